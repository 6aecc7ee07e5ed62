package resolve

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/okrmap/okrmap/engine"
)

func f(x float64) *float64 { return &x }

func TestResolve(t *testing.T) {
	p := &engine.Plan{
		Teams:              []engine.Team{{Key: "mkt", Name: "M", Cadence: "monthly"}},
		BusinessObjectives: []engine.BusinessObjective{{Key: "bo", Title: "B", PnLLine: "revenue", ReviewedAt: engine.NewDate(2026, 10, 1)}, {Key: "vague", Title: "V"}},
		Objectives: []engine.Objective{
			{Key: "top", Title: "T", Team: "mkt", Period: "2026-Q4", Parent: "bo", KeyResults: []engine.KeyResult{
				{Key: "kr", Title: "K", Baseline: f(0), Target: f(100), Current: f(25), Due: engine.NewDate(2026, 12, 31)}}},
			{Key: "child", Title: "C", Period: "2026-Q4", Parent: "top"},
		},
		KPIs: []engine.KPI{
			{Key: "outcome", Name: "Pipeline", Kind: "outcome", Frequency: "weekly", Links: []engine.Link{{To: "kr"}}},
			{Key: "activity", Name: "Calls", Kind: "activity", Links: []engine.Link{{To: "outcome"}}},
			{Key: "loose", Name: "pipeline", Owner: "x", Links: []engine.Link{{To: "vague", Assumptions: []string{"a"}}}},
		},
		Assumptions: []engine.Assumption{{Key: "a", Statement: "A", Status: "invalidated"}},
	}
	today := engine.NewDate(2026, 11, 16)
	g := Resolve(Input{
		Plan:     p,
		CheckIns: []engine.CheckIn{{KeyResult: "kr", At: time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)}},
		Latest:   map[string]engine.Measurement{"outcome": {KPI: "outcome", At: time.Date(2026, 11, 13, 0, 0, 0, 0, time.UTC)}},
		Today:    today,
	})
	out, act, loose := g.KPIs[0], g.KPIs[1], g.KPIs[2]
	if !out.Aligned || !slices.Equal(out.Reaches, []string{"bo"}) || !slices.Equal(out.Trace, []string{"outcome", "kr", "top", "bo"}) {
		t.Errorf("outcome KPI: aligned %v reaches %v trace %v", out.Aligned, out.Reaches, out.Trace)
	}
	if !act.ReachesOutcome || !act.Aligned || len(out.DrivenBy) != 1 {
		t.Errorf("activity KPI: reaches_outcome %v aligned %v", act.ReachesOutcome, act.Aligned)
	}
	if loose.Aligned || !slices.Equal(loose.Reaches, []string{"vague"}) || !slices.Equal(g.Links[2].Invalidated, []string{"a"}) {
		t.Errorf("loose KPI: aligned %v reaches %v invalidated %v", loose.Aligned, loose.Reaches, g.Links[2].Invalidated)
	}
	if !slices.Equal(out.NameConflicts, []string{"loose"}) {
		t.Errorf("name conflicts %v", out.NameConflicts)
	}
	if out.DaysSinceMeasurement != 3 || out.WindowDays != 7 || act.DaysSinceMeasurement != -1 {
		t.Errorf("freshness: %d/%d, never %d", out.DaysSinceMeasurement, out.WindowDays, act.DaysSinceMeasurement)
	}
	kr := g.KeyResults[0]
	// 46 of 91 days from 2026-10-01 to 2026-12-31 have passed.
	if kr.Progress != 0.25 || math.Abs(kr.ExpectedProgress-46.0/91) > 1e-9 || kr.DaysSinceCheckIn != 14 || kr.CadenceDays != 31 {
		t.Errorf("key result: progress %v expected %v days since %d cadence %d", kr.Progress, kr.ExpectedProgress, kr.DaysSinceCheckIn, kr.CadenceDays)
	}
	child := g.Objectives[1]
	if child.BusinessObjective != "bo" || !slices.Equal(child.Ancestors, []string{"top", "bo"}) || child.Status != "active" || child.ParentKind != "objective" {
		t.Errorf("child objective: %+v", child)
	}
	if bo := g.BusinessObjectives[0]; bo.DaysSinceReview != 46 || !slices.Equal(bo.AllObjectiveKeys, []string{"top", "child"}) {
		t.Errorf("business objective: %d days, objectives %v", bo.DaysSinceReview, bo.AllObjectiveKeys)
	}
}

// A KPI reaches a business objective through key results, objectives and
// their parents, and other KPIs; a chain that stops short reaches none.
func TestReaches(t *testing.T) {
	p := &engine.Plan{
		BusinessObjectives: []engine.BusinessObjective{{Key: "bo"}},
		Objectives: []engine.Objective{{Key: "top", Parent: "bo", KeyResults: []engine.KeyResult{{Key: "kr"}}},
			{Key: "child", Parent: "top"}, {Key: "loose"}},
		KPIs: []engine.KPI{
			{Key: "direct", Links: []engine.Link{{To: "kr"}}},
			{Key: "driver", Links: []engine.Link{{To: "direct"}}},
			{Key: "via-child", Links: []engine.Link{{To: "child"}}},
			{Key: "stuck", Links: []engine.Link{{To: "loose"}}},
			{Key: "loop", Links: []engine.Link{{To: "loop"}}},
			{Key: "orphan"},
		},
	}
	want := map[string]bool{"direct": true, "driver": true, "via-child": true, "stuck": false, "loop": false, "orphan": false}
	for _, k := range Resolve(Input{Plan: p, Today: engine.NewDate(2026, 11, 20)}).KPIs {
		if got := len(k.Reaches) > 0; got != want[k.Key] {
			t.Errorf("%s reaches %v, want a business objective: %v", k.Key, k.Reaches, want[k.Key])
		}
	}
}

// TestRecordedToday: a check-in or measurement made later today than
// midnight is 0 days old, not "never" (-1).
func TestRecordedToday(t *testing.T) {
	p := &engine.Plan{
		Teams: []engine.Team{{Key: "mkt", Name: "M"}},
		Objectives: []engine.Objective{{Key: "o", Title: "O", Team: "mkt", Period: "2026-Q4", KeyResults: []engine.KeyResult{
			{Key: "kr", Title: "K", Baseline: f(0), Target: f(10), Due: engine.NewDate(2026, 12, 31)}}}},
		KPIs: []engine.KPI{{Key: "k", Name: "K", Links: []engine.Link{{To: "kr"}}}},
	}
	at := time.Date(2026, 11, 20, 15, 30, 0, 0, time.UTC)
	g := Resolve(Input{Plan: p, Today: engine.NewDate(2026, 11, 20),
		CheckIns: []engine.CheckIn{{KeyResult: "kr", At: at, Value: 3}},
		Latest:   map[string]engine.Measurement{"k": {KPI: "k", At: at, Value: 3}}})
	if kr := g.KeyResults[0]; kr.DaysSinceCheckIn != 0 {
		t.Errorf("a check-in at 15:30 today is %d days old, want 0", kr.DaysSinceCheckIn)
	}
	if k := g.KPIs[0]; k.DaysSinceMeasurement != 0 {
		t.Errorf("a measurement at 15:30 today is %d days old, want 0", k.DaysSinceMeasurement)
	}
}

// An objective under a key result traces through that key result's
// objective to the business objective.
func TestCascadeUnderKeyResult(t *testing.T) {
	p := &engine.Plan{
		Teams:              []engine.Team{{Key: "exec", Name: "E"}, {Key: "mkt", Name: "M"}},
		BusinessObjectives: []engine.BusinessObjective{{Key: "bo", Title: "B", PnLLine: "revenue"}},
		Objectives: []engine.Objective{
			{Key: "ceo", Title: "C", Team: "exec", Period: "2026-Q4", Parent: "bo", KeyResults: []engine.KeyResult{{Key: "ceo-kr", Title: "K"}}},
			{Key: "cmo", Title: "M", Team: "mkt", Period: "2026-Q4", Parent: "ceo-kr", KeyResults: []engine.KeyResult{{Key: "cmo-kr", Title: "K2"}}},
		},
		KPIs: []engine.KPI{{Key: "k", Name: "K", Links: []engine.Link{{To: "cmo-kr"}}}},
	}
	g := Resolve(Input{Plan: p, Today: engine.NewDate(2026, 11, 20)})
	cmo := g.Objectives[1]
	if cmo.ParentKind != "key_result" || cmo.BusinessObjective != "bo" || cmo.PnLLine != "revenue" ||
		!slices.Equal(cmo.Ancestors, []string{"ceo-kr", "ceo", "bo"}) || cmo.ParentStatus != "active" {
		t.Errorf("objective under a key result: %+v", cmo)
	}
	if kr := g.KeyResults[0]; len(kr.Objectives) != 1 || kr.Objectives[0] != cmo {
		t.Errorf("the key result does not list the objective under it: %+v", kr.Objectives)
	}
	if k := g.KPIs[0]; !k.Aligned || !slices.Equal(k.Trace, []string{"k", "cmo-kr", "cmo", "ceo-kr", "ceo", "bo"}) {
		t.Errorf("KPI trace through the cascade: aligned %v, %v", k.Aligned, k.Trace)
	}
}

// TestForecastSeesOnlyItsDay: a forecast as of a day uses the check-ins
// up to it, not later ones, and comments not at all; three are needed.
func TestForecastSeesOnlyItsDay(t *testing.T) {
	p := &engine.Plan{Objectives: []engine.Objective{{Key: "o", Title: "O", Period: "2026-Q4", KeyResults: []engine.KeyResult{
		{Key: "kr", Title: "K", Baseline: f(0), Target: f(100), Due: engine.NewDate(2026, 12, 31)}}}}}
	at := func(day int, v float64) engine.CheckIn {
		return engine.CheckIn{KeyResult: "kr", At: time.Date(2026, 10, day, 12, 0, 0, 0, time.UTC), Value: v}
	}
	comment := at(14, 0)
	comment.Comment, comment.Note = true, "no progress"
	cs := []engine.CheckIn{at(1, 10), at(8, 20), comment, at(15, 30), at(22, 90), at(29, 95)}
	forecastOn := func(day int) *KeyResult {
		return Resolve(Input{Plan: p, CheckIns: cs, Today: engine.NewDate(2026, 10, day)}).KeyResults[0]
	}
	if kr := forecastOn(14); kr.HasForecast {
		t.Errorf("a forecast from two valued check-ins and a comment: %v", kr.Forecast)
	}
	early, late := forecastOn(15), forecastOn(31)
	if !early.HasForecast || !late.HasForecast || early.Forecast >= late.Forecast {
		t.Fatalf("as of 10-15 %v (%v), as of 10-31 %v: the later check-ins should lift it", early.Forecast, early.HasForecast, late.Forecast)
	}
	// Three steady steps of 10 a week: about 10 a week on to the end of
	// December, damped.
	if early.Forecast < 80 || early.Forecast > 130 || early.ForecastLikelihood > 0.9 {
		t.Errorf("as of 10-15: %v, %.2f likely", early.Forecast, early.ForecastLikelihood)
	}
}
