package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/gen"
	"github.com/okrmap/okrmap/engine/store"
	"github.com/okrmap/okrmap/engine/store/storetest"
)

// backend is SQLite for the store suite: a new file per database.
var backend = storetest.Backend{
	New: func(t testing.TB) string { return filepath.Join(t.TempDir(), "okrmap.db") },
	Open: func(ctx context.Context, path string, migrations fs.FS) (*store.DB, error) {
		if migrations == nil {
			return Open(ctx, path)
		}
		return OpenWith(ctx, path, migrations)
	},
}

func TestStore(t *testing.T) { storetest.Run(t, backend) }

func BenchmarkStore(b *testing.B) { storetest.Bench(b, backend) }

func openTemp(t *testing.T) (*store.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "okrmap.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

// apply200 applies a generated plan of 200 KPIs to db.
func apply200(t *testing.T, db *store.DB) {
	t.Helper()
	p, err := gen.Plan(gen.Options{KPIs: 200, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Apply(context.Background(), p, false); err != nil {
		t.Fatal(err)
	}
}

// TestPragmas: every connection the DSNs make has foreign keys on, the
// busy timeout and WAL.
func TestPragmas(t *testing.T) {
	_, path := openTemp(t)
	for _, extra := range []string{"_txlock=immediate", "mode=ro"} {
		pool, err := sql.Open(driver, dsn(path, extra))
		if err != nil {
			t.Fatal(err)
		}
		var fk, timeout int
		var mode string
		pool.QueryRow("PRAGMA foreign_keys").Scan(&fk)
		pool.QueryRow("PRAGMA busy_timeout").Scan(&timeout)
		pool.QueryRow("PRAGMA journal_mode").Scan(&mode)
		pool.Close()
		if fk != 1 || timeout != int(busyTimeout.Milliseconds()) || mode != "wal" {
			t.Errorf("%s: foreign_keys=%d busy_timeout=%d journal_mode=%s", extra, fk, timeout, mode)
		}
	}
}

// TestRefusingNewerLeavesTheFile: a database from a newer okrmap is
// refused without a byte changed.
func TestRefusingNewerLeavesTheFile(t *testing.T) {
	db, path := openTemp(t)
	db.Close()
	before, _ := os.ReadFile(path)
	one, err := fs.ReadFile(Migrations(), "0001_model.sql")
	if err != nil {
		t.Fatal(err)
	}
	_, err = OpenWith(context.Background(), path, fstest.MapFS{"0001_model.sql": {Data: one}})
	if engine.ErrorCode(err) != engine.ECONFLICT {
		t.Fatalf("opening a newer database: %v", err)
	}
	if after, _ := os.ReadFile(path); string(before) != string(after) {
		t.Error("refusing a newer database changed the file")
	}
}

func TestRefuseForeignDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.db")
	other, _ := sql.Open("sqlite3", path)
	other.Exec("CREATE TABLE customers (id INTEGER)")
	other.Close()
	_, err := Open(context.Background(), path)
	if engine.ErrorCode(err) != engine.EINVALID || !strings.Contains(err.Error(), "not an okrmap one") {
		t.Errorf("opening a foreign database: %v", err)
	}
	notDB := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(notDB, []byte("hello, this is not a database at all, just some text"), 0o644)
	if _, err := Open(context.Background(), notDB); engine.ErrorCode(err) != engine.EINVALID {
		t.Errorf("opening a text file: %v", err)
	}
}

func TestBackup(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	apply200(t, db)
	dest := filepath.Join(t.TempDir(), "copy.db")
	if err := db.Backup(ctx, dest); err != nil {
		t.Fatal(err)
	}
	if err := db.Backup(ctx, dest); engine.ErrorCode(err) != engine.EINVALID {
		t.Errorf("backup over an existing file: %v", err)
	}
	cp, err := Open(ctx, dest)
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	a, _ := db.Plan(ctx)
	b, _ := cp.Plan(ctx)
	if _, cs, _ := engine.Merge(a, b); cs.Changed() || len(b.KPIs) != 200 {
		t.Error("backup differs from the source")
	}
}

// TestCloseLeavesOneFile: closing folds the write-ahead log into the
// database file, even after reads, so the file copied alone is the whole
// database.
func TestCloseLeavesOneFile(t *testing.T) {
	ctx := context.Background()
	db, path := openTemp(t)
	apply200(t, db)
	if _, err := db.Plan(ctx); err != nil { // a read leaves a read-only connection open
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + "-wal"); !os.IsNotExist(err) {
		t.Fatalf("the write-ahead log is still there after close: %v", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	copied := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(copied, data, 0o600); err != nil {
		t.Fatal(err)
	}
	cp, err := Open(ctx, copied)
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if got, err := cp.Plan(ctx); err != nil || len(got.KPIs) != 200 {
		t.Fatalf("the copied file holds %d KPIs (%v), want 200", len(got.KPIs), err)
	}
}

// TestRunsStoredRowByRowStillRead: runs stored before findings were shared
// (schema version 5) read as they did.
func TestRunsStoredRowByRowStillRead(t *testing.T) {
	ctx := context.Background()
	db, path := openTemp(t)
	raw, err := sql.Open(driver, dsn(path, ""))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var id int64
	err = raw.QueryRowContext(ctx, `INSERT INTO audit_run (scope, started_at, finished_at, today, complete, packs, scorecard,
		errors, warnings, infos, waived) VALUES ('all', '2026-01-01T00:00:00.000000000Z', '2026-01-01T00:00:01.000000000Z', '2026-01-01', 1, '[]', '{}', 0, 2, 0, 0)
		RETURNING id`).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO audit_finding (run_id, pos, rule, severity, scope, entity, message, trace, fingerprint) VALUES
			(?1, 0, 'r', 'warning', 'kpi', 'a', 'm', '["a","o"]', 'f1'), (?1, 1, 'r', 'warning', 'kpi', 'b', 'm', '', 'f2')`,
		`INSERT INTO audit_trace (run_id, entity, trace) VALUES (?1, 'b', '["b","o"]')`,
	} {
		if _, err := raw.ExecContext(ctx, q, id); err != nil {
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

// TestFileGrowsLittleOnUnchangedRuns: a run that finds what the one before
// found adds under 5% of the first run's bytes.
func TestFileGrowsLittleOnUnchangedRuns(t *testing.T) {
	ctx := context.Background()
	db, path := openTemp(t)
	raw, err := sql.Open(driver, dsn(path, "mode=ro"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	used := func() int64 {
		var pages, free, size int64
		raw.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages)
		raw.QueryRowContext(ctx, "PRAGMA freelist_count").Scan(&free)
		raw.QueryRowContext(ctx, "PRAGMA page_size").Scan(&size)
		return (pages - free) * size
	}
	run := func() *engine.AuditRun {
		r := &engine.AuditRun{Scope: "all", Counts: map[string]int{}}
		for i := range 5000 {
			key := fmt.Sprintf("kpi-%05d", i)
			r.Findings = append(r.Findings, engine.Finding{Rule: "kpi-stale", Severity: "warning", Scope: "kpi", Entity: key,
				Message: "never measured: " + key, Trace: []string{key, "kr", "o", "bo"}, Fingerprint: key})
		}
		return r
	}
	empty := used()
	if err := db.SaveRun(ctx, run()); err != nil {
		t.Fatal(err)
	}
	first := used()
	if err := db.SaveRun(ctx, run()); err != nil {
		t.Fatal(err)
	}
	if grew, size := used()-first, first-empty; grew*20 > size {
		t.Errorf("an unchanged run added %d bytes, the first %d", grew, size)
	}
}

// TestCopyCoversEveryTable: store copy knows every table the migrations
// make, so a new table cannot be left behind by a copy.
func TestCopyCoversEveryTable(t *testing.T) {
	_, path := openTemp(t)
	raw, err := sql.Open(driver, dsn(path, "mode=ro"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	storetest.CopiesEveryTable(t, raw, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
}
