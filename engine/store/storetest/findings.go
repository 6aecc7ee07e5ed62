package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/gen"
)

func sampleRun(n int, message string) *engine.AuditRun {
	run := &engine.AuditRun{Scope: "all", Complete: true, Counts: map[string]int{}, StartedAt: time.Now(), FinishedAt: time.Now()}
	for i := range n {
		key := fmt.Sprintf("kpi-%05d", i)
		f := engine.Finding{Rule: "kpi-stale", Severity: "warning", Scope: "kpi", Entity: key, Team: "product",
			Message: message + key, Fix: "Record a measurement.", Trace: []string{key, "kr-1", "obj-1", "bo-1"},
			Fingerprint: engine.Fingerprint("kpi-stale", "kpi", key)}
		if i%3 == 0 {
			f.Waiver = &engine.Waiver{Rule: "kpi-stale", Entity: key, Reason: "seasonal"}
		}
		run.Findings = append(run.Findings, f)
	}
	return run
}

// testRepeatedRunsStoreFindingsOnce: a run that finds what the one before
// found stores no finding again, and every run reads back exactly what was
// stored, in order.
func testRepeatedRunsStoreFindingsOnce(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.open(t)
	first := sampleRun(5000, "never measured: ")
	if err := db.SaveRun(ctx, first); err != nil {
		t.Fatal(err)
	}
	again := sampleRun(5000, "never measured: ")
	if err := db.SaveRun(ctx, again); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, "finding_body"); n != 5000 {
		t.Errorf("%d findings stored for two runs of the same 5,000", n)
	}
	changed := sampleRun(5000, "never measured: ")
	changed.Findings[7].Message = "changed"
	changed.Findings = append(changed.Findings[:10], changed.Findings[11:]...)
	if err := db.SaveRun(ctx, changed); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, "finding_body"); n != 5001 {
		t.Errorf("%d findings stored after one changed, want 5,001", n)
	}
	for _, want := range []*engine.AuditRun{first, again, changed} {
		got, err := db.Run(ctx, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Findings, want.Findings) {
			t.Fatalf("run %d read back different findings", want.ID)
		}
	}
}

// testPruneDropsUnreferencedFindings: pruning keeps what kept runs name and
// deletes the rest.
func testPruneDropsUnreferencedFindings(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.open(t)
	old := sampleRun(50, "old: ")
	old.StartedAt = time.Now().Add(-48 * time.Hour)
	shared := sampleRun(50, "shared: ")
	shared.StartedAt = old.StartedAt
	kept := sampleRun(50, "shared: ")
	for _, r := range []*engine.AuditRun{old, shared, kept} {
		if err := db.SaveRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	ids, err := db.PruneRuns(ctx, 1, time.Now().Add(-time.Hour), false)
	if err != nil || len(ids) != 2 {
		t.Fatalf("pruned %v: %v", ids, err)
	}
	if bodies := count(t, db, "finding_body"); bodies != 50 {
		t.Errorf("%d findings left, want 50", bodies)
	}
	got, err := db.Run(ctx, kept.ID)
	if err != nil || !reflect.DeepEqual(got.Findings, kept.Findings) {
		t.Fatalf("the kept run lost findings: %v", err)
	}
}

// testCancelledApplyStoresNothing: cancelling a large apply mid-way rolls
// it back whole and returns the context's error, although its row loops
// run on a context the driver does not watch.
func testCancelledApplyStoresNothing(t *testing.T, b Backend) {
	db := b.open(t)
	p, err := gen.Plan(gen.Options{KPIs: 50000, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	if _, err := db.Apply(ctx, p, false); !errors.Is(err, context.Canceled) {
		t.Fatalf("apply returned %v, want context.Canceled", err)
	}
	if n := count(t, db, "entity"); n != 0 {
		t.Errorf("%d entities stored by a cancelled apply", n)
	}
}

// testTracesStoredOncePerEntity: every finding about an entity reads its
// trace back.
func testTracesStoredOncePerEntity(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.open(t)
	trace := []string{"k", "kr", "o", "bo"}
	run := &engine.AuditRun{Scope: "all", Counts: map[string]int{}}
	for _, rule := range []string{"r1", "r2", "r3"} {
		run.Findings = append(run.Findings, engine.Finding{Rule: rule, Severity: "warning", Scope: "kpi", Entity: "k", Trace: trace, Fingerprint: rule})
	}
	run.Findings = append(run.Findings, engine.Finding{Rule: "p", Severity: "info", Scope: "plan", Fingerprint: "p"})
	if err := db.SaveRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	if bodies := count(t, db, "finding_body"); bodies != 4 {
		t.Errorf("%d findings stored for one entity's 3 findings and a plan finding", bodies)
	}
	got, err := db.Run(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range got.Findings[:3] {
		if strings.Join(f.Trace, ",") != "k,kr,o,bo" {
			t.Errorf("finding %s read back trace %v", f.Rule, f.Trace)
		}
	}
	if got.Findings[3].Trace != nil {
		t.Errorf("a plan finding got a trace: %v", got.Findings[3].Trace)
	}
}

// testLatestRun: the latest run of a scope reads whole only the findings
// asked for, and a run stored after it still shares its findings.
func testLatestRun(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.open(t)
	if run, err := db.LatestRun(ctx, "all", nil); err != nil || run != nil {
		t.Fatalf("LatestRun of an empty store = %v, %v; want nil", run, err)
	}
	if err := db.SaveRun(ctx, sampleRun(40, "first: ")); err != nil {
		t.Fatal(err)
	}
	second := sampleRun(40, "second: ")
	if err := db.SaveRun(ctx, second); err != nil {
		t.Fatal(err)
	}
	whole, err := db.LatestRun(ctx, "all", nil)
	if err != nil || whole.ID != second.ID || !reflect.DeepEqual(whole.Findings, second.Findings) {
		t.Fatalf("LatestRun(nil) = run %v, %v; want run %d whole", whole, err, second.ID)
	}
	asked := map[string]bool{second.Findings[3].Fingerprint: true, second.Findings[17].Fingerprint: true}
	some, err := db.LatestRun(ctx, "all", func(fingerprint, rule string) bool {
		if rule != "kpi-stale" {
			t.Errorf("rule %q passed to full", rule)
		}
		return asked[fingerprint]
	})
	if err != nil || len(some.Findings) != 40 {
		t.Fatalf("LatestRun(full) = %v, %v", some, err)
	}
	for i, f := range some.Findings {
		want := second.Findings[i]
		if !asked[want.Fingerprint] {
			want = engine.Finding{Fingerprint: want.Fingerprint, Rule: want.Rule}
		}
		if !reflect.DeepEqual(f, want) {
			t.Errorf("finding %d = %+v, want %+v", i, f, want)
		}
	}
	before := count(t, db, "finding_body")
	third := sampleRun(40, "second: ")
	if err := db.SaveRun(ctx, third); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, "finding_body"); n != before {
		t.Errorf("a run finding what the latest found stored %d more findings", n-before)
	}
	got, err := db.Run(ctx, third.ID)
	if err != nil || !reflect.DeepEqual(got.Findings, third.Findings) {
		t.Fatalf("run %d read back different findings: %v", third.ID, err)
	}
	if other, err := db.LatestRun(ctx, "team:sales", nil); err != nil || other != nil {
		t.Errorf("LatestRun of a scope without runs = %v, %v", other, err)
	}
}
