package sqlite

import (
	"context"
	"errors"
	"fmt"
	"reflect"
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

// pageBytes is the size of the database's pages in use.
func pageBytes(t testing.TB, db *DB) int64 {
	t.Helper()
	var pages, free, size int64
	ctx := context.Background()
	db.w.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages)
	db.w.QueryRowContext(ctx, "PRAGMA freelist_count").Scan(&free)
	db.w.QueryRowContext(ctx, "PRAGMA page_size").Scan(&size)
	return (pages - free) * size
}

// TestRepeatedRunsStoreFindingsOnce: a run that finds what the one before
// found adds under 5% of the first run's size, and every run reads back
// exactly what was stored, in order.
func TestRepeatedRunsStoreFindingsOnce(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	empty := pageBytes(t, db)
	first := sampleRun(5000, "never measured: ")
	if err := db.SaveRun(ctx, first); err != nil {
		t.Fatal(err)
	}
	afterFirst := pageBytes(t, db)
	again := sampleRun(5000, "never measured: ")
	if err := db.SaveRun(ctx, again); err != nil {
		t.Fatal(err)
	}
	afterAgain := pageBytes(t, db)
	if grew, firstSize := afterAgain-afterFirst, afterFirst-empty; grew*20 > firstSize {
		t.Errorf("an unchanged run added %d bytes, the first %d", grew, firstSize)
	}
	changed := sampleRun(5000, "never measured: ")
	changed.Findings[7].Message = "changed"
	changed.Findings = append(changed.Findings[:10], changed.Findings[11:]...)
	if err := db.SaveRun(ctx, changed); err != nil {
		t.Fatal(err)
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

// TestPruneDropsUnreferencedFindings: pruning keeps what kept runs name and
// deletes the rest.
func TestPruneDropsUnreferencedFindings(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
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
	var bodies int
	db.r.QueryRowContext(ctx, "SELECT count(*) FROM finding_body").Scan(&bodies)
	if bodies != 50 {
		t.Errorf("%d findings left, want 50", bodies)
	}
	got, err := db.Run(ctx, kept.ID)
	if err != nil || !reflect.DeepEqual(got.Findings, kept.Findings) {
		t.Fatalf("the kept run lost findings: %v", err)
	}
}

// TestRunsStoredRowByRowStillRead: runs stored before findings were shared
// read as they did.
func TestRunsStoredRowByRowStillRead(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	res, err := db.w.ExecContext(ctx, `INSERT INTO audit_run (scope, started_at, finished_at, today, complete, packs, scorecard,
		errors, warnings, infos, waived) VALUES ('all', '2026-01-01T00:00:00.000000000Z', '2026-01-01T00:00:01.000000000Z', '2026-01-01', 1, '[]', '{}', 0, 2, 0, 0)`)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := res.LastInsertId()
	for _, q := range []string{
		`INSERT INTO audit_finding (run_id, pos, rule, severity, scope, entity, message, trace, fingerprint) VALUES
			(?1, 0, 'r', 'warning', 'kpi', 'a', 'm', '["a","o"]', 'f1'), (?1, 1, 'r', 'warning', 'kpi', 'b', 'm', '', 'f2')`,
		`INSERT INTO audit_trace (run_id, entity, trace) VALUES (?1, 'b', '["b","o"]')`,
	} {
		if _, err := db.w.ExecContext(ctx, q, id); err != nil {
			t.Fatal(err)
		}
	}
	run, err := db.Run(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Findings) != 2 || !reflect.DeepEqual(run.Findings[0].Trace, []string{"a", "o"}) ||
		!reflect.DeepEqual(run.Findings[1].Trace, []string{"b", "o"}) {
		t.Fatalf("read %+v", run.Findings)
	}
}

// TestCancelledApplyStoresNothing: cancelling a large apply mid-way rolls
// it back whole and returns the context's error, although its row loops
// run on a context the driver does not watch.
func TestCancelledApplyStoresNothing(t *testing.T) {
	db := openTemp(t)
	p, err := gen.Plan(gen.Options{KPIs: 50000, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	if _, err := db.Apply(ctx, p, false); !errors.Is(err, context.Canceled) {
		t.Fatalf("apply returned %v, want context.Canceled", err)
	}
	var n int
	db.r.QueryRowContext(context.Background(), "SELECT count(*) FROM entity").Scan(&n)
	if n != 0 {
		t.Errorf("%d entities stored by a cancelled apply", n)
	}
}
