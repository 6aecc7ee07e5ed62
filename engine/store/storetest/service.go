package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/okrmap/okrmap/engine"
)

// testTokens: tokens are stored by hash, found by it, touched, revoked,
// and their names are unique.
func testTokens(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.open(t)
	tok := &engine.Token{Name: "ops", Role: "admin", Hash: "h1", ExpiresAt: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}
	if err := db.CreateToken(ctx, tok); err != nil || tok.ID == 0 {
		t.Fatalf("create: id %d, %v", tok.ID, err)
	}
	if err := db.CreateToken(ctx, &engine.Token{Name: "ops", Role: "read", Hash: "h2"}); engine.ErrorCode(err) != engine.ECONFLICT {
		t.Errorf("a second token named ops: %v", err)
	}
	got, err := db.TokenByHash(ctx, "h1")
	if err != nil || got.Name != "ops" || got.Role != "admin" || !got.ExpiresAt.Equal(tok.ExpiresAt) {
		t.Fatalf("by hash: %+v %v", got, err)
	}
	if _, err := db.TokenByHash(ctx, "nope"); engine.ErrorCode(err) != engine.ENOTFOUND {
		t.Errorf("an unknown hash: %v", err)
	}
	used := time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC)
	if err := db.TouchToken(ctx, tok.ID, used); err != nil {
		t.Fatal(err)
	}
	if err := db.RevokeToken(ctx, "ops"); err != nil {
		t.Fatal(err)
	}
	if err := db.RevokeToken(ctx, "nobody"); engine.ErrorCode(err) != engine.ENOTFOUND {
		t.Errorf("revoking an unknown token: %v", err)
	}
	all, err := db.Tokens(ctx)
	if err != nil || len(all) != 1 || !all[0].LastUsed.Equal(used) || all[0].RevokedAt.IsZero() {
		t.Errorf("tokens: %+v %v", all, err)
	}
}

// testWaivers: adding a waiver for the same rule and entity replaces it;
// removing returns it; an import happens once per marker.
func testWaivers(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.open(t)
	until := engine.DateOf(time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC))
	w := engine.Waiver{Rule: "kpi-stale", Entity: "sqls", Reason: "seasonal", Owner: "ana", Until: until}
	if err := db.AddWaivers(ctx, "ana", w, engine.Waiver{Rule: "r2", Entity: "mkt-*", Reason: "pilot", Until: until}); err != nil {
		t.Fatal(err)
	}
	w.Reason = "still seasonal"
	if err := db.AddWaivers(ctx, "ana", w); err != nil {
		t.Fatal(err)
	}
	ws, err := db.Waivers(ctx)
	if err != nil || len(ws) != 2 {
		t.Fatalf("waivers: %+v %v", ws, err)
	}
	var id int64
	for _, x := range ws {
		if x.Rule == "kpi-stale" {
			id = x.ID
			if x.Reason != "still seasonal" || x.Until != until {
				t.Errorf("the replaced waiver: %+v", x)
			}
		}
	}
	gone, err := db.RemoveWaiver(ctx, id)
	if err != nil || gone.Rule != "kpi-stale" {
		t.Errorf("remove: %+v %v", gone, err)
	}
	if _, err := db.RemoveWaiver(ctx, id); engine.ErrorCode(err) != engine.ENOTFOUND {
		t.Errorf("removing it again: %v", err)
	}
	for i, want := range []bool{true, false} {
		did, err := db.ImportWaivers(ctx, "waivers.yaml", []engine.Waiver{{Rule: "r3", Entity: "x", Reason: "legacy", Until: until}})
		if err != nil || did != want {
			t.Errorf("import %d: %v %v, want %v", i+1, did, err, want)
		}
	}
	if ws, _ := db.Waivers(ctx); len(ws) != 2 {
		t.Errorf("%d waivers after removing one and importing one twice, want 2", len(ws))
	}
}

// testPending: undelivered notifications are kept in order, counted on
// failure and dropped on delivery.
func testPending(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.open(t)
	for _, body := range []string{`{"n":1}`, `{"n":2}`} {
		if err := db.AddPending(ctx, "https://hooks.example/a", []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	ps, err := db.PendingFor(ctx, "https://hooks.example/a")
	if err != nil || len(ps) != 2 || string(ps[0].Body) != `{"n":1}` || ps[0].Attempts != 1 {
		t.Fatalf("pending: %+v %v", ps, err)
	}
	if err := db.SettlePending(ctx, ps[0].ID, true); err != nil {
		t.Fatal(err)
	}
	if err := db.SettlePending(ctx, ps[1].ID, false); err != nil {
		t.Fatal(err)
	}
	ps, _ = db.PendingFor(ctx, "https://hooks.example/a")
	if len(ps) != 1 || ps[0].Attempts != 2 {
		t.Errorf("after one delivery and one failure: %+v", ps)
	}
	if other, _ := db.PendingFor(ctx, "https://hooks.example/b"); len(other) != 0 {
		t.Errorf("another URL's pending: %+v", other)
	}
}

// testRecordAndRead: a batch with an idempotency key stores once, a retry
// replays, and the readers see what was stored.
func testRecordAndRead(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.open(t)
	if _, err := db.ApplyAs(ctx, examples(t), false, "ana"); err != nil {
		t.Fatal(err)
	}
	rev, err := db.Revision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	batch := engine.Batch{
		Measurements:   []engine.Measurement{{KPI: "sqls", At: at, Value: 3400, Note: "import-7"}, {KPI: "sqls", At: at.Add(time.Hour), Value: 3500, Note: "import-7"}},
		CheckIns:       []engine.CheckIn{{KeyResult: "sme-sqls", At: at, Value: 3400, Note: "import-7"}},
		IdempotencyKey: "k1", RequestHash: "r1",
	}
	rec, err := db.Record(ctx, batch)
	if err != nil || rec.Stored != 3 || rec.Replayed {
		t.Fatalf("record: %+v %v", rec, err)
	}
	rec, err = db.Record(ctx, batch)
	if err != nil || !rec.Replayed || rec.Stored != 0 {
		t.Errorf("the retry: %+v %v", rec, err)
	}
	batch.RequestHash = "r2"
	if _, err := db.Record(ctx, batch); engine.ErrorCode(err) != engine.ECONFLICT {
		t.Errorf("the key reused for another request: %v", err)
	}
	batch.IdempotencyKey = ""
	if rec, err := db.Record(ctx, batch); err != nil || rec.Duplicates != 3 || rec.Stored != 0 {
		t.Errorf("the same values again: %+v %v", rec, err)
	}
	if now, _ := db.Revision(ctx); now <= rev {
		t.Errorf("revision %d after writes, was %d", now, rev)
	}
	m, ok, err := db.LatestMeasurement(ctx, "sqls")
	if err != nil || !ok || m.Value != 3500 || !m.At.Equal(at.Add(time.Hour)) {
		t.Errorf("latest: %+v %v %v", m, ok, err)
	}
	if _, ok, err := db.LatestMeasurement(ctx, "mqls"); err != nil || ok {
		t.Errorf("latest of an unmeasured KPI: %v %v", ok, err)
	}
	since, err := db.MeasurementsSince(ctx, at.Add(30*time.Minute))
	if err != nil || len(since["sqls"]) != 1 {
		t.Errorf("since: %+v %v", since, err)
	}
	ms, cs, err := db.CountNoted(ctx, "import-7")
	if err != nil || ms != 2 || cs != 1 {
		t.Errorf("counted %d measurements and %d check-ins noted import-7: %v", ms, cs, err)
	}
	keys, err := db.KPIKeys(ctx)
	if err != nil || !keys["sqls"] || keys["sme-sqls"] {
		t.Errorf("KPI keys: %v", err)
	}
	snap, err := db.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkedIn := slices.ContainsFunc(snap.CheckIns, func(c engine.CheckIn) bool { return c.KeyResult == "sme-sqls" && c.Value == 3400 })
	if len(snap.Plan.KPIs) != len(examples(t).KPIs) || !checkedIn || snap.Latest["sqls"].Value != 3500 {
		t.Errorf("snapshot: %d KPIs, %d check-ins, latest sqls %v: %v", len(snap.Plan.KPIs), len(snap.CheckIns), snap.Latest["sqls"], err)
	}
	if size, err := db.Size(ctx); err != nil || size <= 0 {
		t.Errorf("size %d: %v", size, err)
	}
}

// testRunsByScope: runs list newest first by scope, and a run's previous
// one is the scope's.
func testRunsByScope(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.open(t)
	var ids []int64
	for _, scope := range []string{"all", "team=sales", "all"} {
		run := sampleRun(3, scope+": ")
		run.Scope = scope
		if err := db.SaveRun(ctx, run); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, run.ID)
	}
	all, err := db.Runs(ctx, "all")
	if err != nil || len(all) != 2 || all[0].ID != ids[2] || all[1].ID != ids[0] {
		t.Fatalf("runs of all: %v", err)
	}
	if every, _ := db.Runs(ctx, ""); len(every) != 3 {
		t.Errorf("%d runs in all scopes, want 3", len(every))
	}
	prev, err := db.PreviousRun(ctx, "all", ids[2])
	if err != nil || prev == nil || prev.ID != ids[0] || len(prev.Findings) != 3 {
		t.Errorf("previous run: %+v %v", prev, err)
	}
	if first, err := db.PreviousRun(ctx, "all", ids[0]); err != nil || first != nil {
		t.Errorf("before the first run: %+v %v", first, err)
	}
}
