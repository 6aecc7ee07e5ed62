package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/plan"
)

func openTemp(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "okrmap.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// examples loads the shipped SaaS example plan.
func examples(t *testing.T) *engine.Plan {
	t.Helper()
	files, _ := filepath.Glob("../../examples/saas-b2b/*.yaml")
	set, err := plan.Load(files...)
	if err != nil {
		t.Fatal(err)
	}
	return set.Plan
}

func TestMigrateFresh(t *testing.T) {
	db := openTemp(t)
	v, err := db.SchemaVersion(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	steps, _ := readMigrations(migrationFS)
	if v != len(steps) || v < 2 {
		t.Errorf("schema version %d, want %d", v, len(steps))
	}
	var fk, timeout int
	var mode string
	for _, pool := range []*sql.DB{db.w, db.r} {
		pool.QueryRow("PRAGMA foreign_keys").Scan(&fk)
		pool.QueryRow("PRAGMA busy_timeout").Scan(&timeout)
		pool.QueryRow("PRAGMA journal_mode").Scan(&mode)
		if fk != 1 || timeout != int(busyTimeout.Milliseconds()) || mode != "wal" {
			t.Errorf("pool pragmas: foreign_keys=%d busy_timeout=%d journal_mode=%s", fk, timeout, mode)
		}
	}
}

func TestMigrateUpgradeAndRefuseNewer(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	v1 := fstest.MapFS{"migrations/0001_a.sql": {Data: []byte("CREATE TABLE a (x INTEGER);")}}
	v2 := fstest.MapFS{
		"migrations/0001_a.sql": v1["migrations/0001_a.sql"],
		"migrations/0002_b.sql": {Data: []byte("ALTER TABLE a ADD COLUMN y TEXT; INSERT INTO a VALUES (1, 'two');")},
	}
	db, err := open(ctx, path, v1)
	if err != nil {
		t.Fatal(err)
	}
	db.w.Exec("INSERT INTO a VALUES (7)")
	db.Close()

	db, err = open(ctx, path, v2)
	if err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	var n int
	if err := db.r.QueryRow("SELECT count(*) FROM a WHERE y IS NULL AND x = 7").Scan(&n); err != nil || n != 1 {
		t.Errorf("data written before the upgrade: n=%d err=%v", n, err)
	}
	if v, _ := db.SchemaVersion(ctx); v != 2 {
		t.Errorf("version after upgrade %d, want 2", v)
	}
	db.Close()

	before, _ := os.ReadFile(path)
	_, err = open(ctx, path, v1)
	if engine.ErrorCode(err) != engine.ECONFLICT || !strings.Contains(err.Error(), "newer okrmap") {
		t.Fatalf("opening a newer database: %v", err)
	}
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Error("refusing a newer database changed the file")
	}
}

func TestMigrationFailureRollsBack(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	bad := fstest.MapFS{
		"migrations/0001_a.sql": {Data: []byte("CREATE TABLE a (x INTEGER);")},
		"migrations/0002_b.sql": {Data: []byte("CREATE TABLE b (x INTEGER); CREATE TABLE a (x INTEGER);")},
	}
	if _, err := open(ctx, path, bad); err == nil {
		t.Fatal("a failing migration succeeded")
	}
	good := fstest.MapFS{"migrations/0001_a.sql": bad["migrations/0001_a.sql"]}
	db, err := open(ctx, path, good)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	db.r.QueryRow("SELECT count(*) FROM sqlite_master WHERE name = 'b'").Scan(&n)
	if v, _ := db.SchemaVersion(ctx); v != 1 || n != 0 {
		t.Errorf("after a failed migration: version %d, table b exists %v", v, n == 1)
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

func TestApplyIsIdempotent(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	p := examples(t)
	cs, err := db.Apply(ctx, p, false)
	if err != nil {
		t.Fatal(err)
	}
	if cs.Count(engine.KindKPI, engine.Created) != len(p.KPIs) {
		t.Errorf("created %d KPIs, want %d", cs.Count(engine.KindKPI, engine.Created), len(p.KPIs))
	}
	cs, err = db.Apply(ctx, p, false)
	if err != nil {
		t.Fatal(err)
	}
	if cs.Changed() {
		for _, c := range cs {
			if c.Action != engine.Unchanged {
				t.Errorf("second apply: %s %s %s", c.Action, c.Kind, c.Key)
			}
		}
	}
}

func TestApplyUpdatesAndDryRun(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	p := examples(t)
	if _, err := db.Apply(ctx, p, false); err != nil {
		t.Fatal(err)
	}
	change := &engine.Plan{KPIs: []engine.KPI{p.KPIs[0]}}
	change.KPIs[0].Name = "Renamed"
	change.KPIs[0].Links = change.KPIs[0].Links[:1]

	cs, err := db.Apply(ctx, change, true)
	if err != nil || cs.Count(engine.KindKPI, engine.Updated) != 1 {
		t.Fatalf("dry run: %v %v", cs, err)
	}
	stored, _ := db.Plan(ctx)
	if stored.KPIs[0].Name == "Renamed" {
		t.Fatal("dry run wrote")
	}
	if _, err := db.Apply(ctx, change, false); err != nil {
		t.Fatal(err)
	}
	stored, _ = db.Plan(ctx)
	if k := stored.KPIs[0]; k.Name != "Renamed" || len(k.Links) != 1 {
		t.Errorf("after update: name %q, %d links; want Renamed with 1 link", k.Name, len(k.Links))
	}
}

func TestFailedApplyChangesNothing(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	p := examples(t)
	if _, err := db.Apply(ctx, p, false); err != nil {
		t.Fatal(err)
	}
	before, _ := db.Plan(ctx)
	bad := &engine.Plan{
		Teams: []engine.Team{{Key: "new-team", Name: "New"}},
		KPIs:  []engine.KPI{{Key: "x", Name: "X", Links: []engine.Link{{To: "no-such-thing", Src: engine.Source{File: "bad.yaml", Path: "/kpis/0/links/0"}}}}},
	}
	_, err := db.Apply(ctx, bad, false)
	var probs engine.Problems
	if !errors.As(err, &probs) || len(probs) != 1 || probs[0].Path != "/kpis/0/links/0/to" {
		t.Fatalf("want one problem at the link, got %v", err)
	}
	after, _ := db.Plan(ctx)
	if _, cs, _ := engine.Merge(before, after); cs.Changed() || len(after.Teams) != len(before.Teams) {
		t.Error("a failed apply changed the database")
	}
}

func TestApplyReferencesStoredEntities(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	company := &engine.Plan{BusinessObjectives: []engine.BusinessObjective{{Key: "grow", Title: "Grow", PnLLine: "revenue"}}}
	if _, err := db.Apply(ctx, company, false); err != nil {
		t.Fatal(err)
	}
	team := &engine.Plan{Objectives: []engine.Objective{{Key: "o", Title: "O", Period: "2026-Q4", Parent: "grow"}}}
	if _, err := db.Apply(ctx, team, false); err != nil {
		t.Fatalf("a team plan naming a stored business objective: %v", err)
	}
	clash := &engine.Plan{KPIs: []engine.KPI{{Key: "grow", Name: "Grow"}}}
	if _, err := db.Apply(ctx, clash, false); err == nil || !strings.Contains(err.Error(), "already a business_objective") {
		t.Errorf("kind clash: %v", err)
	}
}

// TestExportApplyRoundTrip: exporting and applying to an empty database
// reproduces the same model.
func TestExportApplyRoundTrip(t *testing.T) {
	ctx := context.Background()
	src := openTemp(t)
	if _, err := src.Apply(ctx, examples(t), false); err != nil {
		t.Fatal(err)
	}
	if err := src.CheckIn(ctx, engine.CheckIn{KeyResult: "sme-sqls", Value: 3400, Confidence: ptr(0.7)}); err != nil {
		t.Fatal(err)
	}
	if _, err := src.CloseQuarter(ctx, "2026-Q4", "2027-Q1"); err != nil {
		t.Fatal(err)
	}
	exported, _ := src.Plan(ctx)
	for _, format := range []string{"yaml", "json"} {
		var buf strings.Builder
		if err := plan.Write(&buf, exported, format); err != nil {
			t.Fatal(err)
		}
		set, err := plan.Parse("export."+format, []byte(buf.String()))
		if err != nil {
			t.Fatalf("%s: exported plan does not load: %v", format, err)
		}
		dst := openTemp(t)
		if _, err := dst.Apply(ctx, set.Plan, false); err != nil {
			t.Fatalf("%s: applying the export: %v", format, err)
		}
		again, _ := dst.Plan(ctx)
		if _, cs, _ := engine.Merge(exported, again); cs.Changed() || len(cs) != countEntities(exported) {
			t.Errorf("%s: the re-applied export differs from the source", format)
		}
	}
}

func countEntities(p *engine.Plan) int {
	n := 0
	p.EachEntity(func(engine.Kind, string, engine.Source) { n++ })
	return n
}

func ptr(x float64) *float64 { return &x }

func TestBackup(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	if _, err := db.Apply(ctx, examples(t), false); err != nil {
		t.Fatal(err)
	}
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
	if _, cs, _ := engine.Merge(a, b); cs.Changed() {
		t.Error("backup differs from the source")
	}
}
