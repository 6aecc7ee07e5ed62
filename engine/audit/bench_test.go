package audit_test

import (
	"context"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/audit"
	"github.com/okrmap/okrmap/engine/gen"
	"github.com/okrmap/okrmap/engine/report"
	"github.com/okrmap/okrmap/engine/resolve"
	"github.com/okrmap/okrmap/engine/rules"
	"github.com/okrmap/okrmap/engine/sqlite"
)

// BenchmarkAudit audits a generated 100,000-KPI database, measured and
// checked in on this week, end to end: read
// the snapshot, evaluate the built-in pack, store the run, write the JSON
// report. It reports the seconds each stage takes per run.
func BenchmarkAudit(b *testing.B) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "audit.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	p, err := gen.Plan(gen.Options{KPIs: 100000, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.Apply(ctx, p, false); err != nil {
		b.Fatal(err)
	}
	today := engine.NewDate(2026, 11, 20)
	at := today.Time().Add(-12 * time.Hour)
	var ms []engine.Measurement
	for _, k := range p.KPIs {
		ms = append(ms, engine.Measurement{KPI: k.Key, At: at, Value: 1})
	}
	if err := db.Measure(ctx, ms...); err != nil {
		b.Fatal(err)
	}
	// A live quarter: every key result checked in on, on pace.
	for _, o := range p.Objectives {
		for _, kr := range o.KeyResults {
			onPace := *kr.Baseline + (*kr.Target-*kr.Baseline)*0.6
			if err := db.CheckIn(ctx, engine.CheckIn{KeyResult: kr.Key, At: at, Value: onPace}); err != nil {
				b.Fatal(err)
			}
		}
	}
	pack, _ := rules.LoadBuiltin()
	rs, err := rules.Compile(pack)
	if err != nil {
		b.Fatal(err)
	}
	w, _ := report.Get("json")
	var load, eval, store, rep time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		snap, err := db.Snapshot(ctx)
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		run, _, err := audit.Run(ctx, audit.Input{
			Resolve: resolve.Input{Plan: snap.Plan, CheckIns: snap.CheckIns, Latest: snap.Latest, Today: today},
			Rules:   rs,
		})
		if err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		if err := db.SaveRun(ctx, run); err != nil {
			b.Fatal(err)
		}
		prev, err := db.PreviousRun(ctx, run.Scope, run.ID)
		if err != nil {
			b.Fatal(err)
		}
		t3 := time.Now()
		if err := w.Write(io.Discard, &report.Report{Run: run, Diff: audit.Compare(prev, run)}); err != nil {
			b.Fatal(err)
		}
		t4 := time.Now()
		load, eval, store, rep = load+t1.Sub(t0), eval+t2.Sub(t1), store+t3.Sub(t2), rep+t4.Sub(t3)
		b.ReportMetric(float64(len(run.Findings)), "findings")
	}
	n := float64(b.N)
	b.ReportMetric(load.Seconds()/n, "load-s")
	b.ReportMetric(eval.Seconds()/n, "eval-s")
	b.ReportMetric(store.Seconds()/n, "store-s")
	b.ReportMetric(rep.Seconds()/n, "report-s")
}
