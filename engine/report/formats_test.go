package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/testenv"
)

func render(t *testing.T, format string) []byte {
	t.Helper()
	w, err := Get(format)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := w.Write(&buf, exampleReport(t)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestJUnitStructure checks the JUnit XML against the structure CI systems
// read (the element and attribute rules of Jenkins' junit-10.xsd): a
// testsuites root, suites with name and counts that add up, test cases with
// name and classname and one failure or skipped child each.
func TestJUnitStructure(t *testing.T) {
	out := render(t, "junit")
	if !bytes.HasPrefix(out, []byte(xml.Header)) {
		t.Error("no XML declaration")
	}
	var doc struct {
		XMLName  xml.Name
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Skipped  int `xml:"skipped,attr"`
		Suites   []struct {
			Name     string `xml:"name,attr"`
			Tests    int    `xml:"tests,attr"`
			Failures int    `xml:"failures,attr"`
			Skipped  int    `xml:"skipped,attr"`
			Cases    []struct {
				Name      string `xml:"name,attr"`
				Classname string `xml:"classname,attr"`
				Failure   *struct {
					Message string `xml:"message,attr"`
					Type    string `xml:"type,attr"`
				} `xml:"failure"`
				Skipped *struct {
					Message string `xml:"message,attr"`
				} `xml:"skipped"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.XMLName.Local != "testsuites" || doc.Tests != 65 || doc.Skipped != 1 || doc.Failures != 64 {
		t.Errorf("root %s: tests %d failures %d skipped %d", doc.XMLName.Local, doc.Tests, doc.Failures, doc.Skipped)
	}
	total := 0
	for _, s := range doc.Suites {
		if s.Name == "" || s.Tests != len(s.Cases) || s.Failures+s.Skipped != s.Tests {
			t.Errorf("suite %q: tests %d cases %d failures %d skipped %d", s.Name, s.Tests, len(s.Cases), s.Failures, s.Skipped)
		}
		for _, c := range s.Cases {
			if c.Name == "" || !strings.HasPrefix(c.Classname, "okrmap.") || (c.Failure == nil) == (c.Skipped == nil) {
				t.Errorf("case %+v", c)
			}
			if c.Failure != nil && (c.Failure.Message == "" || c.Failure.Type == "") {
				t.Errorf("failure without message or type in %s", c.Name)
			}
		}
		total += s.Tests
	}
	if total != doc.Tests {
		t.Errorf("suites hold %d tests, root says %d", total, doc.Tests)
	}
}

// TestSARIFMatchesSchema validates the SARIF log against the published
// SARIF 2.1.0 schema, which the npm package @microsoft/jest-sarif ships;
// .ci/run installs it and sets OKRMAP_TEST_SARIF_SCHEMA.
func TestSARIFMatchesSchema(t *testing.T) {
	path := os.Getenv("OKRMAP_TEST_SARIF_SCHEMA")
	if path == "" {
		testenv.SkipOutsideCI(t, "set OKRMAP_TEST_SARIF_SCHEMA to the SARIF 2.1.0 schema file (npm install @microsoft/jest-sarif; .ci/run does)")
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("sarif.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("sarif.json")
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(render(t, "sarif")))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(v); err != nil {
		t.Error(err)
	}
	// Findings from plan files (lint) carry physical locations.
	rep := exampleReport(t)
	rep.Run.Findings[0].File, rep.Run.Findings[0].Line = "examples/plan.yaml", 12
	var buf bytes.Buffer
	if err := (sarifWriter{}).Write(&buf, rep); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(buf.Bytes(), []byte(`"uri": "examples/plan.yaml"`)) || !bytes.Contains(buf.Bytes(), []byte(`"startLine": 12`)) {
		t.Error("no physical location for a finding with a file and line")
	}
	if v, err = jsonschema.UnmarshalJSON(&buf); err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(v); err != nil {
		t.Errorf("with a physical location: %v", err)
	}
}

// TestHTMLSelfContained: the HTML loads nothing from the network, and it
// opens in a headless browser with networking off, drawing the tree.
func TestHTMLSelfContained(t *testing.T) {
	out := render(t, "html")
	if m := regexp.MustCompile(`(?i)(src|href)\s*=\s*"(https?:)?//`).Find(out); m != nil {
		t.Errorf("the HTML loads %s from the network", m)
	}
	browser := testenv.Chromium(t, "open the report in a browser")
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	if err := os.WriteFile(page, out, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--dump-dom", "file://"+page)
	dom, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v", browser, err)
	}
	for _, want := range []string{`<svg id="tree"`, "Alignment report", "P&amp;L line: revenue", "Grow ARR from $31M to $40M", "KPI Newsletter email open rate"} {
		if !bytes.Contains(dom, []byte(want)) {
			t.Errorf("the browser's DOM lacks %q", want)
		}
	}
}

// Findings carried from the previous run because their plugin failed have
// their own section in text, markdown and HTML, apart from this run's, and
// the text footer's counts add up.
func TestNotJudgedSection(t *testing.T) {
	r := exampleReport(t)
	marked := 0
	for i := range r.Run.Findings {
		if f := &r.Run.Findings[i]; f.Severity == "error" && !f.Waived() && marked < 2 {
			f.NotJudged, f.Rule = true, "saas-carried-"+f.Rule
			r.Run.Counts["error"]--
			marked++
		}
	}
	if marked != 2 {
		t.Fatalf("the example has %d unwaived errors, want 2 or more", marked)
	}
	for format, heading := range map[string]string{"text": "\nNot judged (2): ", "markdown": "\n### Not judged (2)\n", "html": "<h3>Not judged (2)</h3>"} {
		w, _ := Get(format)
		var buf bytes.Buffer
		if err := w.Write(&buf, r); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		at := strings.Index(out, heading)
		if at < 0 || strings.Count(out, "saas-carried-") != 2 || strings.Index(out, "saas-carried-") < at {
			t.Errorf("%s: carried findings not in their own section after the judged ones:\n%s", format, out)
		}
	}
	w, _ := Get("text")
	var buf bytes.Buffer
	w.Write(&buf, r)
	c := r.Run.Counts
	want := fmt.Sprintf("%d findings: %d errors, %d warnings, %d info, %d waived, 2 not judged\n", len(r.Run.Findings), c["error"], c["warning"], c["info"], c["waived"])
	if !strings.HasSuffix(buf.String(), want) || len(r.Run.Findings) != c["error"]+c["warning"]+c["info"]+c["waived"]+2 {
		t.Errorf("footer: want %q, got %q", want, buf.String()[strings.LastIndex(strings.TrimSpace(buf.String()), "\n")+1:])
	}
}

// A run with a plugin in development mode says so at the top of the text,
// markdown and HTML reports.
func TestDevRunIsMarked(t *testing.T) {
	r := exampleReport(t)
	for format, mark := range map[string]string{"text": "(DEV: saas unpinned)", "markdown": "**Development run**: saas ran unpinned", "html": "Development run: saas ran unpinned."} {
		w, _ := Get(format)
		var plain, dev bytes.Buffer
		w.Write(&plain, r)
		r.Run.Packs = append(r.Run.Packs, engine.PackRef{Name: "saas", Plugin: true, Dev: true})
		if err := w.Write(&dev, r); err != nil {
			t.Fatal(err)
		}
		r.Run.Packs = r.Run.Packs[:len(r.Run.Packs)-1]
		if strings.Contains(plain.String(), mark) || !strings.Contains(dev.String(), mark) {
			t.Errorf("%s: dev run not marked %q", format, mark)
		}
	}
}
