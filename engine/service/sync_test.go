package service

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/connect"
	"github.com/okrmap/okrmap/engine/plan"
)

const syncPlan = `version: 1
period: 2026-Q4
business_objectives: [{key: bo, title: Grow, pnl_line: revenue}]
objectives:
  - key: o
    title: O
    parent: bo
    key_results: [{key: arr-kr, title: ARR, measured_by: arr, baseline: 0, target: 1000, unit: USD}]
kpis:
  - {key: arr, name: ARR, unit: USD, frequency: daily, links: [{to: arr-kr, rationale: r}],
     measure: {from: db, query: "SELECT sum(amount) FROM bookings WHERE booked_at >= :period_start"}}
  - {key: leads, name: Leads, frequency: weekly, links: [{to: bo, rationale: r}], measure: {from: sheet}}
  - {key: broken, name: Broken, frequency: daily, links: [{to: bo, rationale: r}], measure: {from: db, query: "SELECT nope"}}
  - {key: slow, name: Slow, frequency: daily, links: [{to: bo, rationale: r}], measure: {from: api, query: slow, value: body.v}}
  - {key: ghost, name: Ghost, frequency: daily, links: [{to: bo, rationale: r}], measure: {from: nowhere}}
  - {key: by-hand, name: By hand, frequency: daily, links: [{to: bo, rationale: r}]}
  - {key: double, name: Double, formula: arr * 2, links: [{to: bo, rationale: r}]}
`

// syncService is a service over syncPlan with its sources: a SQLite
// database, a CSV sheet and an HTTP API that answers too late.
func syncService(t *testing.T, clock *time.Time) *Service {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "src.db")
	db, err := sql.Open("sqlite3", src)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"CREATE TABLE bookings (amount REAL, booked_at TEXT)",
		"INSERT INTO bookings VALUES (100, '2026-10-05'), (250, '2026-11-19')"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	sheet := filepath.Join(dir, "sheet.csv")
	os.WriteFile(sheet, []byte("kpi,at,value\nleads,2026-11-10,120\nleads,2026-11-17,140\n"), 0o644)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(api.Close)
	s, err := Open(context.Background(), filepath.Join(dir, "okrmap.db"), Options{
		Rules: Rules{Builtin: true}, Now: func() time.Time { return *clock },
		Connectors: map[string]connect.Config{
			"db":    {Type: "sqlite", Path: src},
			"sheet": {Type: "csv", Path: sheet},
			"api":   {Type: "http", URL: api.URL, Timeout: 100 * time.Millisecond},
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Apply(context.Background(), ApplyRequest{Documents: []plan.Document{{Name: "plan.yaml", Data: []byte(syncPlan)}}}); err != nil {
		t.Fatal(err)
	}
	return s
}

func items(res *SyncResult) map[string]SyncItem {
	m := map[string]SyncItem{}
	for _, it := range res.Items {
		m[it.KPI] = it
	}
	return m
}

func TestSyncStoresWhatItReadsOnce(t *testing.T) {
	clock := time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)
	s := syncService(t, &clock)
	ctx := context.Background()

	dry, err := s.Sync(ctx, SyncRequest{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if it := items(dry)["arr"]; it.Status != "read" || it.Latest == nil || it.Latest.Value != 350 {
		t.Errorf("dry run: %+v", it)
	}
	if ms, _ := s.Measurements(ctx, "arr"); len(ms) != 0 {
		t.Fatalf("a dry run stored %d values", len(ms))
	}

	res, err := s.Sync(ctx, SyncRequest{})
	if err != nil {
		t.Fatal(err)
	}
	got := items(res)
	want := map[string]string{"arr": "stored", "leads": "stored", "broken": "failed", "slow": "failed", "ghost": "failed"}
	for k, st := range want {
		if got[k].Status != st {
			t.Errorf("%s: %+v, want %s", k, got[k], st)
		}
	}
	if _, ok := got["by-hand"]; ok {
		t.Error("a KPI without a measure was synced")
	}
	if !strings.Contains(got["broken"].Error, "no such column: nope") || !strings.Contains(got["slow"].Error, "no answer within 100ms") ||
		!strings.Contains(got["ghost"].Error, `no connector "nowhere"`) {
		t.Errorf("errors: %q, %q, %q", got["broken"].Error, got["slow"].Error, got["ghost"].Error)
	}
	if res.Failed != 3 || res.Stored != 3 || got["leads"].Readings != 2 {
		t.Errorf("result: failed %d stored %d leads %+v", res.Failed, res.Stored, got["leads"])
	}
	// The value is dated at the start of the day; the derived KPI and the
	// key result it measures follow.
	ms, _ := s.Measurements(ctx, "arr")
	if len(ms) != 1 || ms[0].Value != 350 || !ms[0].At.Equal(time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)) || ms[0].Author != "sync:db" {
		t.Errorf("arr: %+v", ms)
	}
	if ms, _ := s.Measurements(ctx, "double"); len(ms) != 1 || ms[0].Value != 700 {
		t.Errorf("the derived KPI: %+v", ms)
	}
	if cs, _ := s.CheckIns(ctx, "arr-kr"); len(cs) != 1 || cs[0].Value != 350 {
		t.Errorf("the key result measured by arr: %+v", cs)
	}

	// Again, later the same day: nothing is due but what failed; read
	// anyway, nothing new is stored.
	clock = clock.Add(3 * time.Hour)
	again, err := s.Sync(ctx, SyncRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if g := items(again); g["arr"].Status != "skipped" || g["leads"].Status != "skipped" || g["broken"].Status != "failed" || again.Stored != 0 {
		t.Errorf("a second sync: %+v", again.Items)
	}
	forced, err := s.Sync(ctx, SyncRequest{KPIs: []string{"arr", "leads"}})
	if g := items(forced); err != nil || g["arr"].Status != "unchanged" || g["leads"].Status != "unchanged" || forced.Stored != 0 {
		t.Errorf("a forced second sync: %+v %v", forced.Items, err)
	}
	// A new value the same day supersedes the morning's.
	src := s.opt.Connectors["db"].Path
	db, _ := sql.Open("sqlite3", src)
	db.Exec("INSERT INTO bookings VALUES (50, '2026-11-20')")
	db.Close()
	res, err = s.Sync(ctx, SyncRequest{KPIs: []string{"arr"}})
	if err != nil || items(res)["arr"].Status != "stored" {
		t.Fatalf("a changed value: %+v %v", res, err)
	}
	if l, _, _ := s.DB().LatestMeasurement(ctx, "arr"); l.Value != 400 || !l.At.Equal(clock) {
		t.Errorf("the latest arr is %+v", l)
	}

	// The audit tells a failed source from a KPI nobody measures.
	audit, err := s.Audit(ctx, AuditRequest{NoStore: true})
	if err != nil {
		t.Fatal(err)
	}
	failing, stale := map[string]string{}, map[string]bool{}
	for _, f := range audit.Run.Findings {
		switch f.Rule {
		case "kpi-source-failing":
			failing[f.Entity] = f.Message
		case "kpi-stale":
			stale[f.Entity] = true
		}
	}
	if !strings.Contains(failing["broken"], "could not be read from db") || !strings.Contains(failing["slow"], "no answer within") || len(failing) != 3 {
		t.Errorf("kpi-source-failing: %v", failing)
	}
	if !stale["by-hand"] || stale["broken"] || stale["arr"] {
		t.Errorf("kpi-stale: %v", stale)
	}
}

func TestSyncRefusesUnknownNames(t *testing.T) {
	clock := time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)
	s := syncService(t, &clock)
	for _, req := range []SyncRequest{{KPIs: []string{"nope"}}, {KPIs: []string{"by-hand"}}, {Connectors: []string{"nope"}}} {
		if _, err := s.Sync(context.Background(), req); engine.ErrorCode(err) != engine.EINVALID {
			t.Errorf("%+v: %v", req, err)
		}
	}
	res, err := s.Sync(context.Background(), SyncRequest{Connectors: []string{"sheet"}})
	if err != nil || len(res.Items) != 1 || res.Items[0].KPI != "leads" {
		t.Errorf("one connector: %+v %v", res, err)
	}
}

func TestSyncRefusesFutureValues(t *testing.T) {
	clock := time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC) // before the sheet's rows
	s := syncService(t, &clock)
	res, err := s.Sync(context.Background(), SyncRequest{KPIs: []string{"leads", "arr"}})
	if err != nil {
		t.Fatal(err)
	}
	g := items(res)
	if g["leads"].Status != "failed" || !strings.Contains(g["leads"].Error, "is in the future") || g["arr"].Status != "stored" {
		t.Errorf("%+v", res.Items)
	}
}
