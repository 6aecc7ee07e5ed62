package postgres

import (
	"context"
	"database/sql"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/gen"
	"github.com/okrmap/okrmap/engine/sqlite"
	"github.com/okrmap/okrmap/engine/store"
	"github.com/okrmap/okrmap/engine/store/storetest"
	"github.com/okrmap/okrmap/engine/testenv"
)

// backend is a PostgreSQL server from Debian's package, started once per
// test, with a new database for each database the suite asks for.
func backend(t testing.TB) storetest.Backend {
	return storetest.Backend{
		New: testenv.PostgresDatabases(t),
		Open: func(ctx context.Context, dsn string, migrations fs.FS) (*store.DB, error) {
			if migrations == nil {
				return Open(ctx, dsn)
			}
			return OpenWith(ctx, dsn, migrations)
		},
	}
}

func TestStore(t *testing.T) { storetest.Run(t, backend(t)) }

func BenchmarkStore(b *testing.B) { storetest.Bench(b, backend(b)) }

func TestRebind(t *testing.T) {
	for in, want := range map[string]string{
		"SELECT a FROM t WHERE b = ? AND c = ?":                   "SELECT a FROM t WHERE b = $1 AND c = $2",
		"SELECT 1 WHERE ?1 = '' OR x = ?1 AND y = ?2":             "SELECT 1 WHERE $1 = '' OR x = $1 AND y = $2",
		"SELECT '?', \"a?b\" FROM t WHERE x = ? AND y = 'it''s?'": "SELECT '?', \"a?b\" FROM t WHERE x = $1 AND y = 'it''s?'",
		"id IN (SELECT CAST(value AS BIGINT) FROM json_each(?))":  "id IN (SELECT CAST(value AS BIGINT) FROM json_array_elements_text(CAST($1 AS json)) AS json_each(value))",
		"x = ?1 AND k NOT IN (SELECT value FROM json_each(?2))":   "x = $1 AND k NOT IN (SELECT value FROM json_array_elements_text(CAST($2 AS json)) AS json_each(value))",
	} {
		if got := (dialect{}).Rebind(in); got != want {
			t.Errorf("Rebind(%q)\n = %q\nwant %q", in, got, want)
		}
	}
}

// TestSameVersions: each PostgreSQL migration has the SQLite one's number
// and name.
func TestSameVersions(t *testing.T) {
	pg, _ := fs.Glob(Migrations(), "*.sql")
	lite, _ := fs.Glob(sqlite.Migrations(), "*.sql")
	if strings.Join(pg, " ") != strings.Join(lite, " ") {
		t.Errorf("PostgreSQL migrations %v, SQLite's %v", pg, lite)
	}
}

func TestRefuseForeignDatabase(t *testing.T) {
	dsn := testenv.PostgresDatabases(t)(t)
	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec("CREATE TABLE customers (id INTEGER)"); err != nil {
		t.Fatal(err)
	}
	_, err = Open(context.Background(), dsn)
	if engine.ErrorCode(err) != engine.EINVALID || !strings.Contains(err.Error(), "not an okrmap database") {
		t.Errorf("opening a foreign database: %v", err)
	}
}

// TestErrorsHidePassword: a wrong password and a server that is not there
// say what to do, without the password.
func TestErrorsHidePassword(t *testing.T) {
	dsn := testenv.PostgresDatabases(t)(t)
	bad := strings.Replace(dsn, ":pg-test-Secret@", ":Wrong-Secret@", 1)
	_, err := Open(context.Background(), bad)
	if err == nil || !strings.Contains(err.Error(), "refused the user or password") || strings.Contains(err.Error(), "Wrong-Secret") {
		t.Errorf("a wrong password: %v", err)
	}
	_, err = Open(context.Background(), "postgres://okrmap:Wrong-Secret@127.0.0.1:1/x?sslmode=disable&connect_timeout=2")
	if err == nil || !strings.Contains(err.Error(), "cannot reach PostgreSQL") || strings.Contains(err.Error(), "Wrong-Secret") {
		t.Errorf("no server: %v", err)
	}
}

// TestCopyBothWays copies a SQLite database with history, audits,
// waivers and tokens into PostgreSQL and back into a new SQLite file:
// every table arrives whole, with the same checksums, and the stores read
// the same.
func TestCopyBothWays(t *testing.T) {
	ctx := context.Background()
	src, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "src.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	p, err := gen.Plan(gen.Options{KPIs: 1500, Teams: 12, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Apply(ctx, p, false); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var ms []engine.Measurement
	for i, k := range p.KPIs {
		ms = append(ms, engine.Measurement{KPI: k.Key, At: at.Add(time.Duration(i) * time.Minute), Value: float64(i) + 0.25})
	}
	if err := src.Measure(ctx, ms...); err != nil {
		t.Fatal(err)
	}
	run := &engine.AuditRun{Scope: "all", Complete: true, Counts: map[string]int{"warning": 1}, StartedAt: at, FinishedAt: at,
		Findings: []engine.Finding{{Rule: "kpi-stale", Severity: "warning", Scope: "kpi", Entity: p.KPIs[0].Key, NotJudged: true, Fingerprint: "f"}}}
	if err := src.SaveRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	if err := src.AddWaivers(ctx, "ana", engine.Waiver{Rule: "kpi-stale", Entity: "*", Reason: "r", Until: engine.DateOf(at)}); err != nil {
		t.Fatal(err)
	}
	if err := src.CreateToken(ctx, &engine.Token{Name: "ops", Role: "admin", Hash: "h"}); err != nil {
		t.Fatal(err)
	}

	pg, err := Open(ctx, testenv.PostgresDatabases(t)(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	there, err := store.Copy(ctx, src, pg, nil)
	if err != nil {
		t.Fatalf("SQLite to PostgreSQL: %v", err)
	}
	if _, err := store.Copy(ctx, src, pg, nil); engine.ErrorCode(err) != engine.ECONFLICT {
		t.Errorf("copying into a database that is not empty: %v", err)
	}
	back, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "back.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	again, err := store.Copy(ctx, pg, back, nil)
	if err != nil {
		t.Fatalf("PostgreSQL to SQLite: %v", err)
	}
	if !reflect.DeepEqual(there, again) {
		t.Errorf("the two copies differ:\n%v\n%v", there, again)
	}
	rows := map[string]int64{}
	for _, c := range there {
		rows[c.Table] = c.Rows
	}
	if rows["kpi"] != 1500 || rows["measurement"] != 1500 || rows["finding_body"] != 1 || rows["api_token"] != 1 || rows["revision"] != 1 {
		t.Errorf("copied rows: %v", rows)
	}
	want, err := src.Plan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, db := range []*store.DB{pg, back} {
		got, err := db.Run(ctx, run.ID)
		if err != nil || !reflect.DeepEqual(got.Findings, run.Findings) || !got.Complete {
			t.Errorf("%s: the audit run reads back %+v: %v", db.Path(), got, err)
		}
		plan, _ := db.Plan(ctx)
		if _, cs, _ := engine.Merge(want, plan); cs.Changed() || len(plan.KPIs) != len(want.KPIs) {
			t.Errorf("%s: the plan differs from the source's", db.Path())
		}
		// New rows get new ids after the copied ones.
		if err := db.CreateToken(ctx, &engine.Token{Name: "second", Role: "read", Hash: "h2"}); err != nil {
			t.Errorf("%s: a token after the copy: %v", db.Path(), err)
		}
	}
}

// TestBackupSaysHow: okrmap backup writes SQLite files; on PostgreSQL it
// says what to use instead, and writes nothing.
func TestBackupSaysHow(t *testing.T) {
	db, err := Open(context.Background(), testenv.PostgresDatabases(t)(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	dest := filepath.Join(t.TempDir(), "backup.db")
	err = db.Backup(context.Background(), dest)
	if engine.ErrorCode(err) != engine.EINVALID || !strings.Contains(err.Error(), "pg_dump") || !strings.Contains(err.Error(), "store copy") {
		t.Errorf("backup of a PostgreSQL database: %v", err)
	}
	if _, err := os.Stat(dest); err == nil {
		t.Error("a backup file was written")
	}
}

// TestBadURL: a URL that does not parse is the user's to fix (EINVALID),
// and the message hides its password.
func TestBadURL(t *testing.T) {
	for _, dsn := range []string{"postgres://u:Secret123@127.0.0.1:badport/db", "postgres://u:Secret123@127.0.0.1:5432/db?sslmode=bogus"} {
		_, err := Open(context.Background(), dsn)
		if engine.ErrorCode(err) != engine.EINVALID || strings.Contains(err.Error(), "Secret123") || !strings.Contains(err.Error(), "postgres://USER@HOST") {
			t.Errorf("%s: %v", dsn, err)
		}
	}
}

// TestCopyCoversEveryTable: the PostgreSQL schema has the tables store
// copy copies, and only those besides its version table.
func TestCopyCoversEveryTable(t *testing.T) {
	dsn := testenv.PostgresDatabases(t)(t)
	db, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	storetest.CopiesEveryTable(t, raw, "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name != 'okrmap_schema'")
}

// TestWriteWaitsForItsTurnAWhile: a write waits while another holds the
// writers' turn, and fails saying why once the wait runs out.
func TestWriteWaitsForItsTurnAWhile(t *testing.T) {
	defer func(w time.Duration) { turnWait = w }(turnWait)
	turnWait = time.Second
	dsn := testenv.PostgresDatabases(t)(t)
	db, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stuck, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer stuck.Close()
	conn, err := stuck.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// A hung writer: the turn taken and never given back.
	if _, err := conn.ExecContext(context.Background(), "SELECT pg_advisory_lock($1)", writeLock); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = db.AddWaivers(context.Background(), "ana", engine.Waiver{Rule: "r", Entity: "e", Reason: "x", Until: engine.DateOf(start)})
	if err == nil || !strings.Contains(err.Error(), "has held the database") || time.Since(start) < time.Second {
		t.Fatalf("a write behind a hung one: %v after %s", err, time.Since(start))
	}
	if _, err := conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock($1)", writeLock); err != nil {
		t.Fatal(err)
	}
	if err := db.AddWaivers(context.Background(), "ana", engine.Waiver{Rule: "r", Entity: "e", Reason: "x", Until: engine.DateOf(start)}); err != nil {
		t.Errorf("a write once the turn is free: %v", err)
	}
}
