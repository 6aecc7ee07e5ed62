// Package report renders audit runs for people and machines. Each format
// lives in its own file behind the Writer interface.
package report

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/audit"
	"github.com/okrmap/okrmap/engine/resolve"
)

// Report is what every format renders: a run and what changed since the
// run before it. Graph, when set, is the plan the run judged; the Markdown
// and HTML formats draw it.
type Report struct {
	Run   *engine.AuditRun
	Diff  audit.Diff
	Graph *resolve.Graph
	Color bool // the text format colours severities, for a terminal
}

// Writer renders a report in one format.
type Writer interface {
	Write(w io.Writer, r *Report) error
}

var writers = map[string]Writer{
	"text":     textWriter{},
	"json":     jsonWriter{},
	"markdown": markdownWriter{},
	"html":     htmlWriter{},
	"junit":    junitWriter{},
	"sarif":    sarifWriter{},
}

// Formats lists the formats Get knows, sorted.
func Formats() []string {
	names := make([]string, 0, len(writers))
	for n := range writers {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// media are each format's media type and file extension.
var media = map[string][2]string{
	"text": {"text/plain; charset=utf-8", "txt"}, "json": {"application/json", "json"},
	"markdown": {"text/markdown; charset=utf-8", "md"}, "html": {"text/html; charset=utf-8", "html"},
	"junit": {"application/xml", "xml"}, "sarif": {"application/sarif+json", "sarif"},
}

// ContentType is format's media type.
func ContentType(format string) string { return media[format][0] }

// Extension is the file extension of format, without the dot.
func Extension(format string) string { return media[format][1] }

// Get returns the writer for format, or an EINVALID error naming the formats.
func Get(format string) (Writer, error) {
	w, ok := writers[format]
	if !ok {
		return nil, engine.Errorf(engine.EINVALID, "unknown report format %q; use one of: %s", format, strings.Join(Formats(), ", "))
	}
	return w, nil
}

// newSet returns the fingerprints of findings new since the previous run.
func (r *Report) newSet() map[string]bool {
	m := make(map[string]bool, len(r.Diff.New))
	for _, f := range r.Diff.New {
		m[f.Fingerprint] = true
	}
	return m
}

// NeedsGraph reports whether format draws the plan (Report.Graph).
func NeedsGraph(format string) bool { return format == "markdown" || format == "html" }

func pct(x float64) string { return fmt.Sprintf("%5.1f", x) }

// flagged returns the unwaived findings per entity key.
func (r *Report) flagged() map[string][]engine.Finding {
	m := map[string][]engine.Finding{}
	for _, f := range r.Run.Findings {
		if !f.Waived() {
			m[f.Entity] = append(m[f.Entity], f)
		}
	}
	return m
}

// worst returns the most severe of fs, or "".
func worst(fs []engine.Finding) string {
	best := ""
	for _, f := range fs {
		if engine.SeverityRank(f.Severity) > engine.SeverityRank(best) {
			best = f.Severity
		}
	}
	return best
}

// title turns an area id into words: vertical_alignment is Vertical alignment.
func title(area string) string {
	s := strings.ReplaceAll(area, "_", " ")
	return strings.ToUpper(s[:1]) + s[1:]
}

// num formats a number compactly.

// Name is how reports name the run: "Audit run 12", or "Audit (not
// stored)" for a run that was judged but not stored.
func (r *Report) Name() string {
	if r.Run.ID == 0 {
		return "Audit (not stored)"
	}
	return fmt.Sprintf("Audit run %d", r.Run.ID)
}

// notJudged returns the run's findings carried from the previous run
// because their plugin failed (engine.Finding.NotJudged).
func notJudged(run *engine.AuditRun) []engine.Finding {
	var out []engine.Finding
	for _, f := range run.Findings {
		if f.NotJudged {
			out = append(out, f)
		}
	}
	return out
}
