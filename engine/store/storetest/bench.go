package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/gen"
)

// Bench runs the store's benchmarks against be.
func Bench(b *testing.B, be Backend) {
	b.Run("Apply", func(b *testing.B) { benchApply(b, be) })
	b.Run("Reapply", func(b *testing.B) { benchReapply(b, be) })
	b.Run("SaveRun", func(b *testing.B) { benchSaveRun(b, be) })
}

// benchApply applies a generated plan into a new database: the first
// apply of a quarter. It reports entities written per second.
func benchApply(b *testing.B, be Backend) {
	for _, n := range []int{1000, 100000} {
		b.Run(fmt.Sprintf("kpis=%d", n), func(b *testing.B) {
			ctx := context.Background()
			p, err := gen.Plan(gen.Options{KPIs: n, Seed: 1})
			if err != nil {
				b.Fatal(err)
			}
			entities := countEntities(p)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				db, err := be.Open(ctx, be.New(b), nil)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if _, err := db.Apply(ctx, p, false); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				db.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(entities)*float64(b.N)/b.Elapsed().Seconds(), "entities/s")
		})
	}
}

// benchReapply applies an unchanged 100,000-KPI plan again: the load,
// merge and validate path with nothing to write.
func benchReapply(b *testing.B, be Backend) {
	ctx := context.Background()
	p, _ := gen.Plan(gen.Options{KPIs: 100000, Seed: 1})
	db := be.open(b)
	if _, err := db.Apply(ctx, p, false); err != nil {
		b.Fatal(err)
	}
	entities := countEntities(p)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		cs, err := db.Apply(ctx, p, false)
		if err != nil || cs.Changed() {
			b.Fatalf("reapply: changed=%v err=%v", cs.Changed(), err)
		}
	}
	b.ReportMetric(float64(entities)*float64(b.N)/b.Elapsed().Seconds(), "entities/s")
}

// benchSaveRun stores an audit run with 100,000 findings in one
// transaction: into a new database (first), and again unchanged, when
// only the run's list of finding ids is new (unchanged).
func benchSaveRun(b *testing.B, be Backend) {
	ctx := context.Background()
	run := &engine.AuditRun{Scope: "all", Complete: true, Counts: map[string]int{}}
	for i := range 100000 {
		key := fmt.Sprintf("kpi-%06d", i)
		run.Findings = append(run.Findings, engine.Finding{Rule: "kpi-stale", Severity: "warning", Scope: "kpi", Entity: key,
			Team: "product", Message: "KPI " + key + " has never been measured; it is weekly", Fix: "Record a measurement.",
			Trace: []string{key, "kr-1", "obj-1", "bo-1"}, Fingerprint: engine.Fingerprint("kpi-stale", "kpi", key)})
	}
	for _, name := range []string{"first", "unchanged"} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				b.StopTimer()
				db, err := be.Open(ctx, be.New(b), nil)
				if err != nil {
					b.Fatal(err)
				}
				if name == "unchanged" {
					if err := db.SaveRun(ctx, run); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				if err := db.SaveRun(ctx, run); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				db.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(len(run.Findings))*float64(b.N)/b.Elapsed().Seconds(), "findings/s")
		})
	}
}
