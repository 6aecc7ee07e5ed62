package storetest

import (
	"context"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/okrmap/okrmap/engine"
)

func keyResult(p *engine.Plan, key string) *engine.KeyResult {
	for i := range p.Objectives {
		for j := range p.Objectives[i].KeyResults {
			if p.Objectives[i].KeyResults[j].Key == key {
				return &p.Objectives[i].KeyResults[j]
			}
		}
	}
	return nil
}

func testCheckIn(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.open(t)
	if _, err := db.Apply(ctx, examples(t), false); err != nil {
		t.Fatal(err)
	}
	day := func(d int) time.Time { return time.Date(2026, 11, d, 9, 0, 0, 0, time.UTC) }
	if err := db.CheckIn(ctx, engine.CheckIn{KeyResult: "sme-sqls", At: day(10), Value: 3400, Confidence: ptr(0.6), Author: "amy"}); err != nil {
		t.Fatal(err)
	}
	// A back-dated check-in is recorded but does not replace the newer value.
	if err := db.CheckIn(ctx, engine.CheckIn{KeyResult: "sme-sqls", At: day(3), Value: 3100}); err != nil {
		t.Fatal(err)
	}
	p, _ := db.Plan(ctx)
	kr := keyResult(p, "sme-sqls")
	if *kr.Current != 3400 || *kr.Confidence != 0.6 {
		t.Errorf("current %v confidence %v, want 3400 and 0.6", *kr.Current, *kr.Confidence)
	}
	cs, _ := db.CheckIns(ctx, "sme-sqls")
	if len(cs) != 2 || cs[0].Value != 3100 || cs[1].Author != "amy" || !cs[1].At.Equal(day(10)) {
		t.Errorf("check-in history %+v", cs)
	}
	// Re-applying the plan, which does not mention current, keeps it.
	if _, err := db.Apply(ctx, examples(t), false); err != nil {
		t.Fatal(err)
	}
	p, _ = db.Plan(ctx)
	if kr := keyResult(p, "sme-sqls"); kr.Current == nil || *kr.Current != 3400 {
		t.Error("re-applying the plan lost the checked-in current value")
	}
	err := db.CheckIn(ctx, engine.CheckIn{KeyResult: "nope", Value: 1})
	if engine.ErrorCode(err) != engine.ENOTFOUND {
		t.Errorf("unknown key result: %v", err)
	}
	if err := db.CheckIn(ctx, engine.CheckIn{KeyResult: "sme-sqls", Value: 1, Confidence: ptr(2)}); engine.ErrorCode(err) != engine.EINVALID {
		t.Errorf("confidence 2: %v", err)
	}
	if _, err := db.CloseQuarter(ctx, "2026-Q4", ""); err != nil {
		t.Fatal(err)
	}
	err = db.CheckIn(ctx, engine.CheckIn{KeyResult: "sme-sqls", Value: 1})
	if engine.ErrorCode(err) != engine.ECONFLICT || !strings.Contains(err.Error(), "closed") {
		t.Errorf("check-in on a closed objective: %v", err)
	}
}

func testMeasureIsAllOrNothing(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.open(t)
	if _, err := db.Apply(ctx, examples(t), false); err != nil {
		t.Fatal(err)
	}
	err := db.Measure(ctx,
		engine.Measurement{KPI: "sourced-pipeline", Value: 1},
		engine.Measurement{KPI: "missing", Value: 2})
	if engine.ErrorCode(err) != engine.ENOTFOUND {
		t.Fatalf("unknown KPI: %v", err)
	}
	if ms, _ := db.Measurements(ctx, ""); len(ms) != 0 {
		t.Fatalf("a failed batch recorded %d measurements", len(ms))
	}
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	db.SetNow(func() time.Time { return now })
	early := time.Date(2026, 11, 1, 0, 0, 0, 0, time.FixedZone("CET", 3600))
	if err := db.Measure(ctx, engine.Measurement{KPI: "nrr", Value: 105, At: early}, engine.Measurement{KPI: "nrr", Value: 106}); err != nil {
		t.Fatal(err)
	}
	latest, _ := db.LatestMeasurements(ctx)
	if m := latest["nrr"]; m.Value != 106 || !m.At.Equal(now) {
		t.Errorf("latest nrr %+v, want 106 at %v", m, now)
	}
	ms, _ := db.Measurements(ctx, "nrr")
	if len(ms) != 2 || !ms[0].At.Equal(early) {
		t.Errorf("measurements %+v", ms)
	}
}

func testCloseQuarterRollForward(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.open(t)
	if _, err := db.Apply(ctx, examples(t), false); err != nil {
		t.Fatal(err)
	}
	for _, c := range []engine.CheckIn{
		{KeyResult: "sme-sqls", Value: 4000},             // 3000 -> 5000: 0.5
		{KeyResult: "mkt-sourced-pipeline", Value: 9500}, // below the 6,000,000 baseline: 0
		{KeyResult: "lead-response", Value: 4},           // decrease 26 -> 4, reached: 1
	} {
		if err := db.CheckIn(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	res, err := db.CloseQuarter(ctx, "2026-q4", "2027-Q1")
	if err != nil {
		t.Fatal(err)
	}
	scores := map[string]float64{}
	for _, s := range res.Scores {
		scores[s.KeyResult] = s.Score
	}
	for key, want := range map[string]float64{"sme-sqls": 0.5, "mkt-sourced-pipeline": 0, "lead-response": 1} {
		if math.Abs(scores[key]-want) > 1e-9 {
			t.Errorf("score of %s = %v, want %v", key, scores[key], want)
		}
	}
	p, _ := db.Plan(ctx)
	g := engine.NewGraph(p)
	if kr := g.KeyResults["sme-sqls"]; kr.Score == nil || *kr.Score != 0.5 {
		t.Errorf("stored score of sme-sqls: %v, want 0.5", kr.Score)
	}
	if o := g.Objectives["mkt-pipeline"]; o.Status != "closed" {
		t.Errorf("mkt-pipeline status %q, want closed", o.Status)
	}
	rolled := g.Objectives["mkt-pipeline-2027-q1"]
	if rolled == nil || rolled.Period != "2027-Q1" || rolled.Status != "active" || rolled.Parent != "grow-arr" {
		t.Fatalf("rolled objective %+v", rolled)
	}
	if len(rolled.KeyResults) != 2 {
		t.Errorf("rolled %d key results, want the 2 unfinished ones", len(rolled.KeyResults))
	}
	kr := g.KeyResults["sme-sqls-2027-q1"]
	if kr == nil || *kr.Baseline != 4000 || *kr.Target != 5000 || kr.Current != nil || kr.Score != nil || kr.Due.String() != "2027-03-31" {
		t.Fatalf("rolled key result %+v", kr)
	}
	if g.KeyResults["lead-response-2027-q1"] != nil {
		t.Error("a finished key result was rolled forward")
	}
	// A child objective's parent follows its rolled parent.
	if o := g.Objectives["sales-close-faster-2027-q1"]; o == nil || o.Parent != "sales-new-logos-2027-q1" {
		t.Errorf("rolled child objective %+v", o)
	}
	// KPIs linked to a rolled key result are linked to the copy too.
	linked := false
	for _, l := range g.KPIs["sqls"].Links {
		linked = linked || l.To == "sme-sqls-2027-q1"
	}
	if !linked {
		t.Error("KPI sqls is not linked to the rolled key result")
	}

	// Closing again re-scores and creates nothing new.
	before := countEntities(p)
	res, err = db.CloseQuarter(ctx, "2026-Q4", "2027-Q1")
	if err != nil {
		t.Fatal(err)
	}
	p, _ = db.Plan(ctx)
	if n := countEntities(p); n != before || len(res.Rolled) != 0 || len(res.Links) != 0 {
		t.Errorf("second close: %d entities (was %d), %d rolled, %d links", n, before, len(res.Rolled), len(res.Links))
	}

	if _, err := db.CloseQuarter(ctx, "2025-Q1", ""); engine.ErrorCode(err) != engine.ENOTFOUND {
		t.Errorf("closing an empty period: %v", err)
	}
	if _, err := db.CloseQuarter(ctx, "2026-Q4", "2026-Q3"); engine.ErrorCode(err) != engine.EINVALID {
		t.Errorf("rolling backwards: %v", err)
	}
	if _, err := db.CloseQuarter(ctx, "Q4", ""); engine.ErrorCode(err) != engine.EINVALID {
		t.Errorf("bad period: %v", err)
	}
}

// testReopenRestoresThePlan: close with a roll-forward, then reopen: the
// stored plan is exactly what it was; a dry run writes nothing; an early
// close is refused without force.
func testReopenRestoresThePlan(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.open(t)
	if _, err := db.Apply(ctx, examples(t), false); err != nil {
		t.Fatal(err)
	}
	if err := db.CheckIn(ctx, engine.CheckIn{KeyResult: "sme-sqls", Value: 4000}); err != nil {
		t.Fatal(err)
	}
	before, err := db.Plan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	req := engine.CloseRequest{Period: "2026-Q4", Next: "2027-Q1", Today: engine.NewDate(2026, 11, 20)}
	if _, err := db.ClosePeriod(ctx, req); engine.ErrorCode(err) != engine.ECONFLICT {
		t.Fatalf("closing before the end of the period: %v", err)
	}
	req.DryRun = true
	dry, err := db.ClosePeriod(ctx, req)
	if err != nil || len(dry.Rolled) == 0 {
		t.Fatalf("dry run: %+v %v", dry, err)
	}
	if after, _ := db.Plan(ctx); !reflect.DeepEqual(after, before) {
		t.Fatal("a dry run changed the plan")
	}
	req.DryRun, req.Force = false, true
	if _, err := db.ClosePeriod(ctx, req); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Reopen(ctx, "2026-Q4"); err != nil {
		t.Fatal(err)
	}
	after, err := db.Plan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(after, before) {
		t.Errorf("reopen did not restore the plan:\nbefore %+v\nafter  %+v", before.Objectives[0], after.Objectives[0])
	}
}

// testMeasuredKeyResultsFollow: measurements of a KPI that measures a key
// result check it in, whether they come one at a time or many at once.
func testMeasuredKeyResultsFollow(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.open(t)
	if _, err := db.Apply(ctx, examples(t), false); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	var many []engine.Measurement
	for i := range 600 {
		many = append(many, engine.Measurement{KPI: "nrr", At: at.Add(time.Duration(i) * time.Hour), Value: 104 + float64(i)/100})
	}
	if err := db.Measure(ctx, many...); err != nil {
		t.Fatal(err)
	}
	if err := db.Measure(ctx, engine.Measurement{KPI: "nrr", At: at.Add(1000 * time.Hour), Value: 111}); err != nil {
		t.Fatal(err)
	}
	cs, err := db.CheckIns(ctx, "nrr-kr")
	if err != nil || len(cs) != 601 {
		t.Fatalf("%d check-ins of nrr-kr after 601 measurements of nrr: %v", len(cs), err)
	}
	if last := cs[len(cs)-1]; last.Value != 111 || last.Note != "measured by nrr" {
		t.Errorf("the last check-in: %+v", last)
	}
	if other, _ := db.CheckIns(ctx, "churn-kr"); len(other) != 0 {
		t.Errorf("%d check-ins of a key result measured by another KPI", len(other))
	}
}
