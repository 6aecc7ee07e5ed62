package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// junitWriter reports each finding as a failed test case, grouped in one
// test suite per rule; waived findings are skipped test cases. CI systems
// that read JUnit XML show findings as failing tests.
type junitWriter struct{}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Timestamp string      `xml:"timestamp,attr"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

func (junitWriter) Write(w io.Writer, r *Report) error {
	out := junitSuites{Name: "okrmap audit " + r.Run.Scope}
	index := map[string]int{}
	for _, f := range r.Run.Findings {
		i, ok := index[f.Rule]
		if !ok {
			i = len(out.Suites)
			index[f.Rule] = i
			out.Suites = append(out.Suites, junitSuite{Name: f.Rule, Timestamp: r.Run.StartedAt.UTC().Format("2006-01-02T15:04:05")})
		}
		s := &out.Suites[i]
		c := junitCase{Name: f.Entity, Classname: "okrmap." + f.Scope + "." + f.Rule}
		if c.Name == "" {
			c.Name = "plan"
		}
		if f.Waived() {
			c.Skipped = &junitSkipped{Message: fmt.Sprintf("waived until %s: %s", f.Waiver.Until, f.Waiver.Reason)}
			s.Skipped++
			out.Skipped++
		} else {
			text := f.Message
			if f.Fix != "" {
				text += "\nFix: " + f.Fix
			}
			if len(f.Trace) > 0 {
				text += "\nTrace: " + strings.Join(f.Trace, " -> ")
			}
			c.Failure = &junitFailure{Message: f.Message, Type: f.Severity, Text: text}
			s.Failures++
			out.Failures++
		}
		s.Tests++
		out.Tests++
		s.Cases = append(s.Cases, c)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
