package service

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/notify"
	"github.com/okrmap/okrmap/engine/plan"
	"github.com/okrmap/okrmap/engine/report"
	"github.com/okrmap/okrmap/engine/resolve"
	"github.com/okrmap/okrmap/engine/tree"
)

func newService(t *testing.T, o Options) *Service {
	t.Helper()
	o.Rules = Rules{Builtin: true}
	o.Plugins.Timeout = 30 * time.Second
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "okrmap.db"), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	files, _ := filepath.Glob("../../examples/saas-b2b/*.yaml")
	if _, err := s.Apply(context.Background(), ApplyRequest{Files: files}); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestFailedNotificationRetriedOnNextRun: a summary the webhook refused is
// kept and delivered, signed, by the next audit that notifies it, even when
// that audit changed nothing.
func TestFailedNotificationRetriedOnNextRun(t *testing.T) {
	var mu sync.Mutex
	up := false
	var got []notify.Summary
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		b, _ := io.ReadAll(r.Body)
		if !up {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		if r.Header.Get(notify.SignatureHeader) != notify.Sign("k", b) {
			t.Errorf("an unsigned or wrongly signed retry")
		}
		var s notify.Summary
		json.Unmarshal(b, &s)
		got = append(got, s)
	}))
	defer srv.Close()
	s := newService(t, Options{Notify: notify.Options{Attempts: 1}})
	target := []notify.Target{{URL: srv.URL, Secret: "k"}}
	ctx := context.Background()
	res, err := s.Audit(ctx, AuditRequest{Notify: target})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.NotifyErrors) != 1 {
		t.Fatalf("a refused notification gave errors %v", res.NotifyErrors)
	}
	mu.Lock()
	up = true
	mu.Unlock()
	res, err = s.Audit(ctx, AuditRequest{Notify: target}) // nothing changed since run 1
	if err != nil || len(res.NotifyErrors) != 0 {
		t.Fatalf("second audit: %v %v", err, res.NotifyErrors)
	}
	if len(got) != 1 || got[0].Run != 1 {
		t.Fatalf("delivered %+v, want run 1's summary once", got)
	}
	if _, err := s.Audit(ctx, AuditRequest{Notify: target}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Errorf("a delivered notification was sent again: %+v", got)
	}
}

// TestGraphCacheFollowsWrites: reads through the cached graph see every
// committed write.
func TestGraphCacheFollowsWrites(t *testing.T) {
	s := newService(t, Options{})
	ctx := context.Background()
	e, err := s.Entity(ctx, "sqls")
	if err != nil || e.Latest != nil {
		t.Fatalf("before: %+v %v", e, err)
	}
	if err := s.db.Measure(ctx, engine.Measurement{KPI: "sqls", Value: 42}); err != nil {
		t.Fatal(err)
	}
	e, err = s.Entity(ctx, "sqls")
	if err != nil || e.Latest == nil || e.Latest.Value != 42 {
		t.Fatalf("after a measurement: %+v %v", e, err)
	}
	set, err := plan.Read(plan.Document{Name: "x.yaml", Data: []byte("version: 1\nkpis: [{key: brand-new, name: Brand new}]\n")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Apply(ctx, set.Plan, false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Entity(ctx, "brand-new"); err != nil {
		t.Errorf("a KPI applied after the cache was built: %v", err)
	}
}

// TestTokens: secrets authenticate until revoked or expired; only hashes
// are stored.
func TestTokens(t *testing.T) {
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	s := newService(t, Options{Now: func() time.Time { return now }})
	ctx := context.Background()
	secret, tok, err := s.CreateToken(ctx, "ci", RoleWrite, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Hash == secret || len(tok.Hash) != 64 {
		t.Errorf("stored hash %q", tok.Hash)
	}
	if got, err := s.Authenticate(ctx, secret); err != nil || got.Name != "ci" || got.Role != RoleWrite {
		t.Fatalf("authenticate: %+v %v", got, err)
	}
	if _, err := s.Authenticate(ctx, secret+"x"); err != ErrBadToken {
		t.Errorf("a wrong secret: %v", err)
	}
	now = now.Add(2 * time.Hour)
	if _, err := s.Authenticate(ctx, secret); err != ErrBadToken {
		t.Errorf("an expired token: %v", err)
	}
	other, _, _ := s.CreateToken(ctx, "dash", RoleRead, 0)
	if err := s.RevokeToken(ctx, "dash"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, other); err != ErrBadToken {
		t.Errorf("a revoked token: %v", err)
	}
	if !Allows(RoleAdmin, RoleWrite) || Allows(RoleRead, RoleWrite) || Allows("root", RoleRead) {
		t.Error("roles do not nest read < write < admin")
	}
}

// TestStaleGraphRefreshes: with MaxStale, a read after a write may answer
// from the older graph, but a refresh brings the write in without further
// writes.
func TestStaleGraphRefreshes(t *testing.T) {
	s := newService(t, Options{MaxStale: 50 * time.Millisecond})
	s.fastLoad = -1 // treat the example like a large plan
	ctx := context.Background()
	if _, err := s.Entity(ctx, "sqls"); err != nil {
		t.Fatal(err)
	}
	set, err := plan.Read(plan.Document{Name: "x.yaml", Data: []byte("version: 1\nkpis: [{key: brand-new, name: Brand new}]\n")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Apply(ctx, set.Plan, false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Entity(ctx, "brand-new"); err == nil {
		t.Log("the refresh was faster than the first read") // allowed, but the stale path went untested
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := s.Entity(ctx, "brand-new")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the applied KPI never appeared: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Latest values are read fresh even from a stale graph.
	if err := s.db.Measure(ctx, engine.Measurement{KPI: "sqls", Value: 7}); err != nil {
		t.Fatal(err)
	}
	e, err := s.Entity(ctx, "sqls")
	if err != nil || e.Latest == nil || e.Latest.Value != 7 {
		t.Errorf("latest value behind a stale graph: %+v %v", e.Latest, err)
	}
}

// TestConcurrentReadsAndWrites: readers of entities and trees, writers and
// graph refreshes at once (run with -race).
func TestConcurrentReadsAndWrites(t *testing.T) {
	s := newService(t, Options{MaxStale: time.Millisecond})
	s.fastLoad = -1
	ctx := context.Background()
	sc, _ := engine.NewScope("2026-Q4", []string{"marketing"})
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 30 {
				var err error
				switch (i + j) % 3 {
				case 0:
					_, err = s.Entity(ctx, "sqls")
				case 1:
					_, err = s.Tree(ctx, sc, 1+j%4)
				default:
					err = s.db.Measure(ctx, engine.Measurement{KPI: "sqls", Value: float64(j)})
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestHistoryIsTrustworthy: importing a file twice changes nothing and
// says so; values dated too far ahead, NaN and infinities are refused.
func TestHistoryIsTrustworthy(t *testing.T) {
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	s := newService(t, Options{Now: func() time.Time { return now }, FutureTolerance: time.Hour})
	ctx := context.Background()
	csv := "kpi,at,value\nsqls,2026-11-18,3400\nsqls,2026-11-19,3500\nmqls,2026-11-19T10:00:00Z,900\n"
	rec, err := s.ImportMeasurements(ctx, "m.csv", strings.NewReader(csv), "ops")
	if err != nil || rec.Stored != 3 || rec.Duplicates != 0 {
		t.Fatalf("first import: %+v %v", rec, err)
	}
	rec, err = s.ImportMeasurements(ctx, "m.csv", strings.NewReader(csv), "ops")
	if err != nil || rec.Stored != 0 || rec.Duplicates != 3 {
		t.Fatalf("second import: %+v %v", rec, err)
	}
	if ms, _ := s.Measurements(ctx, "sqls"); len(ms) != 2 {
		t.Errorf("sqls has %d measurements after importing its 2 twice", len(ms))
	}
	for name, m := range map[string]engine.Measurement{
		"future": {KPI: "sqls", Value: 1, At: now.Add(2 * time.Hour)},
		"NaN":    {KPI: "sqls", Value: math.NaN()},
		"Inf":    {KPI: "sqls", Value: math.Inf(1)},
	} {
		if _, err := s.Record(ctx, engine.Batch{Measurements: []engine.Measurement{m}}); engine.ErrorCode(err) != engine.EINVALID {
			t.Errorf("%s measurement: %v, want an input error", name, err)
		}
	}
	if _, err := s.Record(ctx, engine.Batch{CheckIns: []engine.CheckIn{{KeyResult: "sme-sqls", Value: math.NaN()}}}); engine.ErrorCode(err) != engine.EINVALID {
		t.Errorf("NaN check-in: %v", err)
	}
	// Within the tolerance is fine: clocks differ a little.
	if _, err := s.Record(ctx, engine.Batch{Measurements: []engine.Measurement{{KPI: "sqls", Value: 1, At: now.Add(30 * time.Minute)}}}); err != nil {
		t.Error(err)
	}
}

// TestKeyResultFollowsItsKPI: a key result measured by a KPI moves when
// the KPI is measured, in the tree, the board pack and quarter close; once
// its objective is closed, measurements leave it be.
func TestKeyResultFollowsItsKPI(t *testing.T) {
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	s := newService(t, Options{Now: func() time.Time { return now }})
	ctx := context.Background()
	if _, err := s.Record(ctx, engine.Batch{Measurements: []engine.Measurement{{KPI: "sourced-pipeline", Value: 7960000, Author: "warehouse"}}}); err != nil {
		t.Fatal(err)
	}
	e, err := s.Entity(ctx, "mkt-sourced-pipeline")
	if err != nil {
		t.Fatal(err)
	}
	want := (7960000.0 - 6000000) / (9000000 - 6000000)
	if e.Progress == nil || math.Abs(*e.Progress-want) > 1e-9 {
		t.Fatalf("progress %v after measuring its KPI, want %.3f", e.Progress, want)
	}
	cs, _ := s.CheckIns(ctx, "mkt-sourced-pipeline")
	if len(cs) != 1 || cs[0].Author != "warehouse" || cs[0].Note != "measured by sourced-pipeline" || !cs[0].At.Equal(now) {
		t.Errorf("the check-in the measurement made: %+v", cs)
	}
	tr, err := s.Tree(ctx, engine.Scope{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	var walk func([]*tree.Node)
	walk = func(ns []*tree.Node) {
		for _, n := range ns {
			if n.Key == "mkt-sourced-pipeline" && n.Progress != nil && math.Abs(*n.Progress-want) < 1e-9 {
				found = true
			}
			walk(n.Children)
		}
	}
	walk(tr.Lines)
	if !found {
		t.Error("the tree does not show the key result's progress")
	}
	res, err := s.Audit(ctx, AuditRequest{Format: "markdown", Writer: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	var md strings.Builder
	if err := mustWriter(t, "markdown").Write(&md, res.Report); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "| Marketing-sourced pipeline | 6,000,000 -> 9,000,000 USD | 65%") {
		t.Errorf("the board pack does not show 65%% for the key result:\n%s", md.String())
	}
	closed, err := s.CloseQuarter(ctx, engine.CloseRequest{Period: "2026-Q4", Force: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range closed.Scores {
		if sc.KeyResult == "mkt-sourced-pipeline" && math.Abs(sc.Score-want) > 1e-9 {
			t.Errorf("closed with score %.2f, want %.2f", sc.Score, want)
		}
	}
	// Closed: a later measurement is stored, the key result stays.
	now = now.Add(24 * time.Hour)
	if _, err := s.Record(ctx, engine.Batch{Measurements: []engine.Measurement{{KPI: "sourced-pipeline", Value: 9500000}}}); err != nil {
		t.Fatalf("measuring a KPI whose key result is closed: %v", err)
	}
	if cs, _ := s.CheckIns(ctx, "mkt-sourced-pipeline"); len(cs) != 1 {
		t.Errorf("a closed key result was checked in: %+v", cs)
	}
}

func mustWriter(t *testing.T, format string) report.Writer {
	w, err := report.Get(format)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// TestWaiversExpire: a waiver listed after its date is marked expired.
func TestWaiversExpire(t *testing.T) {
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	s := newService(t, Options{Now: func() time.Time { return now }})
	ctx := context.Background()
	w, matches, err := s.Waive(ctx, engine.Waiver{Rule: "kpi-unlinked", Entity: "email-*", Reason: "r", Until: engine.NewDate(2026, 12, 31)}, "ops")
	if err != nil || matches != 1 || w.Owner != "ops" {
		t.Fatalf("waive: %+v %d %v", w, matches, err)
	}
	now = time.Date(2027, 1, 5, 9, 0, 0, 0, time.UTC)
	ws, err := s.Waivers(ctx)
	if err != nil || len(ws) != 1 || !ws[0].Expired {
		t.Errorf("waivers after the date: %+v %v", ws, err)
	}
}

// TestLintFindingsAtTheirEntity: each lint finding names the file and line
// where its entity (for a link, its KPI) is declared, in YAML and in JSON.
func TestLintFindingsAtTheirEntity(t *testing.T) {
	files, _ := filepath.Glob("../../examples/saas-b2b/*.yaml")
	set, err := plan.Load(files...)
	if err != nil {
		t.Fatal(err)
	}
	var buf strings.Builder
	if err := plan.Write(&buf, set.Plan, "json"); err != nil {
		t.Fatal(err)
	}
	asJSON := filepath.Join(t.TempDir(), "plan.json")
	if err := os.WriteFile(asJSON, []byte(buf.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	s := newService(t, Options{})
	for _, plans := range [][]string{files, {asJSON}} {
		res, err := s.Lint(context.Background(), LintRequest{Files: plans})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Findings) < 5 {
			t.Fatalf("%v: only %d findings", plans, len(res.Findings))
		}
		for _, f := range res.Findings {
			key, _, _ := strings.Cut(f.Entity, "->")
			data, err := os.ReadFile(f.File)
			if err != nil || f.Line < 1 {
				t.Fatalf("%s: %s at %s:%d (%v)", f.Rule, f.Entity, f.File, f.Line, err)
			}
			lines := strings.Split(string(data), "\n")
			near := strings.Join(lines[f.Line-1:min(f.Line+1, len(lines))], "\n")
			if !strings.Contains(near, "key: "+key) && !strings.Contains(near, `"key": "`+key+`"`) {
				t.Errorf("%s: %s placed at %s:%d, which reads\n%s", f.Rule, f.Entity, f.File, f.Line, near)
			}
		}
	}
}

// TestGraphAsOfADay: a graph judged as of a past day sees no check-in or
// measurement dated after it: a key result's value, confidence and last
// check-in, and a KPI's latest value, are those of that day.
func TestGraphAsOfADay(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	s := newService(t, Options{Now: func() time.Time { return now }})
	ctx := context.Background()
	conf := func(x float64) *float64 { return &x }
	if _, err := s.Record(ctx, engine.Batch{
		CheckIns: []engine.CheckIn{{KeyResult: "sme-sqls", Value: 3400, Confidence: conf(0.8), At: time.Date(2026, 11, 10, 9, 0, 0, 0, time.UTC)},
			{KeyResult: "sme-sqls", Value: 4600, Confidence: conf(0.3), At: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}},
		Measurements: []engine.Measurement{{KPI: "nrr", Value: 101, At: time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC)},
			{KPI: "nrr", Value: 109, At: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)}},
	}); err != nil {
		t.Fatal(err)
	}
	find := func(g *resolve.Graph) (*resolve.KeyResult, *resolve.KPI) {
		var kr *resolve.KeyResult
		var k *resolve.KPI
		for _, x := range g.KeyResults {
			if x.Key == "sme-sqls" {
				kr = x
			}
		}
		for _, x := range g.KPIs {
			if x.Key == "nrr" {
				k = x
			}
		}
		return kr, k
	}
	g, _, err := s.Graph(ctx, engine.NewDate(2026, 11, 15))
	if err != nil {
		t.Fatal(err)
	}
	kr, k := find(g)
	if kr.Current != 3400 || kr.Confidence != 0.8 || kr.CheckIns != 1 || kr.DaysSinceCheckIn != 5 {
		t.Errorf("as of 2026-11-15: key result current %v, confidence %v, %d check-ins, last %d days ago", kr.Current, kr.Confidence, kr.CheckIns, kr.DaysSinceCheckIn)
	}
	if k.Latest != 101 || k.DaysSinceMeasurement != 5 {
		t.Errorf("as of 2026-11-15: KPI latest %v, %d days ago", k.Latest, k.DaysSinceMeasurement)
	}
	g, _, err = s.Graph(ctx, engine.Date{})
	if err != nil {
		t.Fatal(err)
	}
	if kr, k := find(g); kr.Current != 4600 || kr.CheckIns != 2 || k.Latest != 109 {
		t.Errorf("today: key result current %v, %d check-ins; KPI latest %v", kr.Current, kr.CheckIns, k.Latest)
	}
}

// TestMeasurementsCheckInTheirQuarter: a measurement checks in only the
// key results whose period holds its time; December's value is not next
// quarter's check-in (it was, after a roll-forward, and blocked reopen).
func TestMeasurementsCheckInTheirQuarter(t *testing.T) {
	now := time.Date(2027, 1, 20, 12, 0, 0, 0, time.UTC)
	s := newService(t, Options{Now: func() time.Time { return now }})
	ctx := context.Background()
	doc := plan.Document{Name: "q.yaml", Data: []byte(`version: 1
objectives:
  - {key: q4-o, title: Q4, period: 2026-Q4, key_results: [{key: q4-kr, title: Q4 KR, measured_by: arr-kpi, target: 10}]}
  - {key: q1-o, title: Q1, period: 2027-Q1, key_results: [{key: q1-kr, title: Q1 KR, measured_by: arr-kpi, target: 20}]}
kpis: [{key: arr-kpi, name: ARR}]
`)}
	if _, err := s.Apply(ctx, ApplyRequest{Documents: []plan.Document{doc}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Record(ctx, engine.Batch{Measurements: []engine.Measurement{
		{KPI: "arr-kpi", Value: 3.4, At: time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)},
		{KPI: "arr-kpi", Value: 12, At: time.Date(2027, 1, 10, 0, 0, 0, 0, time.UTC)},
	}}); err != nil {
		t.Fatal(err)
	}
	for kr, want := range map[string]float64{"q4-kr": 3.4, "q1-kr": 12} {
		cs, err := s.CheckIns(ctx, kr)
		if err != nil || len(cs) != 1 || cs[0].Value != want {
			t.Errorf("%s check-ins %+v %v, want one of %v", kr, cs, err, want)
		}
	}
}

// formulaService is the example plan's service with blended-cac derived
// from spend / customers.
func formulaService(t *testing.T) *Service {
	s := newService(t, Options{})
	doc := plan.Document{Name: "d.yaml", Data: []byte("version: 1\nkpis:\n  - {key: spend, name: Spend}\n  - {key: customers, name: Customers}\n  - {key: blended-cac, name: Blended CAC, formula: spend / customers}\n")}
	if _, err := s.Apply(context.Background(), ApplyRequest{Documents: []plan.Document{doc}}); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestDerivedKPIsAreNotMeasuredByHand: a value typed in for a formula KPI
// is refused, naming the formula's inputs; it was stored beside the
// formula's and scored its key result.
func TestDerivedKPIsAreNotMeasuredByHand(t *testing.T) {
	s, ctx := formulaService(t), context.Background()
	_, err := s.Record(ctx, engine.Batch{Measurements: []engine.Measurement{{KPI: "blended-cac", Value: 40}}})
	if engine.ErrorCode(err) != engine.EINVALID || !strings.Contains(err.Error(), "measure its inputs (spend, customers)") {
		t.Errorf("a hand value of a formula KPI: %v", err)
	}
	if ms, _ := s.Measurements(ctx, "blended-cac"); len(ms) != 0 {
		t.Errorf("it was stored: %v", ms)
	}
}

// TestDerivedKPIsFollowTheirInputs: importing nine weeks of inputs gives a
// formula KPI nine points, each from the inputs as of that week, not one.
func TestDerivedKPIsFollowTheirInputs(t *testing.T) {
	s, ctx := formulaService(t), context.Background()
	var csv strings.Builder
	csv.WriteString("kpi,at,value\n")
	for w := range 9 {
		day := time.Date(2026, 10, 5+7*w, 0, 0, 0, 0, time.UTC).Format("2006-01-02")
		fmt.Fprintf(&csv, "spend,%s,%d\ncustomers,%s,%d\n", day, 1000*(w+1), day, 10)
	}
	if _, err := s.ImportMeasurements(ctx, "inputs.csv", strings.NewReader(csv.String()), "test"); err != nil {
		t.Fatal(err)
	}
	ms, err := s.Measurements(ctx, "blended-cac")
	if err != nil || len(ms) != 9 {
		t.Fatalf("%d points of the formula KPI (%v), want 9: %v", len(ms), err, ms)
	}
	for i, m := range ms {
		if want := float64(100 * (i + 1)); m.Value != want {
			t.Errorf("week %d: %v, want %v", i+1, m.Value, want)
		}
	}
}
