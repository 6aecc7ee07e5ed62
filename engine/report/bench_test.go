package report

import (
	"fmt"
	"io"
	"testing"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/audit"
)

// BenchmarkReports writes each format for a run with 100,000 findings, all
// persisting from the previous run.
func BenchmarkReports(b *testing.B) {
	run := &engine.AuditRun{ID: 2, Complete: true, Counts: map[string]int{"warning": 100000}}
	for i := range 100000 {
		key := fmt.Sprintf("kpi-%06d", i)
		run.Findings = append(run.Findings, engine.Finding{Rule: "kpi-stale", Severity: "warning", Scope: "kpi", Entity: key,
			Team: "product", Message: "KPI " + key + " has never been measured; it is weekly", Fix: "Record a measurement.",
			Trace: []string{key, "kr-1", "obj-1", "bo-1"}, Fingerprint: engine.Fingerprint("kpi-stale", "kpi", key)})
	}
	r := &Report{Run: run, Diff: audit.Diff{From: 1, To: 2, Persisting: run.Findings}}
	for _, format := range []string{"json", "sarif", "junit", "text"} {
		b.Run(format, func(b *testing.B) {
			w, _ := Get(format)
			cw := &countingWriter{}
			b.ReportAllocs()
			for range b.N {
				if err := w.Write(cw, r); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cw.n)/float64(b.N)/(1<<20), "MiB/op")
		})
	}
}

type countingWriter struct{ n int }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }

var _ io.Writer = (*countingWriter)(nil)
