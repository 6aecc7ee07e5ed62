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
)

// Report is what every format renders: a run and what changed since the
// run before it.
type Report struct {
	Run  *engine.AuditRun
	Diff audit.Diff
}

// Writer renders a report in one format.
type Writer interface {
	Write(w io.Writer, r *Report) error
}

var writers = map[string]Writer{
	"text": textWriter{},
	"json": jsonWriter{},
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

// Get returns the writer for format, or an EINVALID error naming the formats.
func Get(format string) (Writer, error) {
	w, ok := writers[format]
	if !ok {
		return nil, engine.Errorf(engine.EINVALID, "unknown report format %q; use one of: %s", format, strings.Join(Formats(), ", "))
	}
	return w, nil
}

// isNew reports whether f is new since the previous run.
func (r *Report) isNew(f engine.Finding) bool {
	return slices.ContainsFunc(r.Diff.New, func(n engine.Finding) bool { return n.Fingerprint == f.Fingerprint })
}

func pct(x float64) string { return fmt.Sprintf("%5.1f", x) }
