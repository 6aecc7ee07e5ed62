package audit

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/resolve"
	"github.com/okrmap/okrmap/engine/rules"
)

func f(x float64) *float64 { return &x }

func testPlan() *engine.Plan {
	return &engine.Plan{
		Teams:              []engine.Team{{Key: "mkt", Name: "M"}, {Key: "sales", Name: "S"}},
		BusinessObjectives: []engine.BusinessObjective{{Key: "bo", Title: "B", PnLLine: "revenue", Owner: "ceo", ReviewedAt: engine.NewDate(2026, 10, 1)}},
		Objectives: []engine.Objective{
			{Key: "m1", Title: "M1", Team: "mkt", Period: "2026-Q4", Parent: "bo", Owner: "x", KeyResults: []engine.KeyResult{
				{Key: "m1-a", Title: "A", Owner: "x", Unit: "n", Baseline: f(0), Target: f(10), Due: engine.NewDate(2026, 12, 31), Direction: "increase"},
				{Key: "m1-b", Title: "B", Owner: "x", Unit: "n", Target: f(10), Due: engine.NewDate(2026, 12, 31)}}},
			{Key: "s1", Title: "S1", Team: "sales", Period: "2026-Q4", Parent: "bo", Owner: "y", KeyResults: []engine.KeyResult{
				{Key: "s1-a", Title: "A", Owner: "y", Unit: "n", Baseline: f(10), Target: f(5), Due: engine.NewDate(2026, 12, 31), Direction: "decrease"}}},
			{Key: "old", Title: "Old", Team: "sales", Period: "2026-Q3", Parent: "bo", Owner: "y", Status: "closed"},
		},
		KPIs: []engine.KPI{
			{Key: "shared", Name: "Shared", Kind: "outcome", Team: "mkt", Owner: "x", Frequency: "weekly",
				Links: []engine.Link{{To: "m1-a", Rationale: "r"}, {To: "s1-a", Rationale: "r"}}},
			{Key: "orphan", Name: "Orphan", Team: "sales", Owner: "y"},
		},
	}
}

func run(t *testing.T, s engine.Scope, latest map[string]engine.Measurement) *engine.AuditRun {
	t.Helper()
	p, _ := rules.LoadBuiltin()
	rs, err := rules.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	r, _, err := Run(context.Background(), Input{
		Resolve: resolve.Input{Plan: testPlan(), Latest: latest, Today: engine.NewDate(2026, 11, 20)},
		Rules:   rs, Scope: s, Clock: func() time.Time { return time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestScope(t *testing.T) {
	s, err := engine.NewScope("2026-q4", []string{"sales", "mkt", "sales"})
	if err != nil || s.String() != "period=2026-Q4 teams=mkt,sales" {
		t.Fatalf("scope %q %v", s, err)
	}
	if (engine.Scope{}).String() != "all" {
		t.Error("empty scope")
	}
	sales := run(t, engine.Scope{Teams: []string{"sales"}}, nil)
	for _, f := range sales.Findings {
		if f.Entity == "m1-b" {
			t.Errorf("a marketing finding in the sales scope: %+v", f)
		}
	}
	if !slices.ContainsFunc(sales.Findings, func(f engine.Finding) bool { return f.Rule == "kpi-unlinked" && f.Entity == "orphan" }) {
		t.Error("the sales team's orphan KPI is missing from the sales scope")
	}
	if _, ok := sales.Scorecard.Teams["mkt"]; ok {
		t.Error("scorecard of the sales scope has a marketing row")
	}
	p, _ := rules.LoadBuiltin()
	rs, _ := rules.Compile(p)
	_, _, err = Run(context.Background(), Input{Resolve: resolve.Input{Plan: testPlan()}, Rules: rs, Scope: engine.Scope{Teams: []string{"nope"}}})
	if engine.ErrorCode(err) != engine.EINVALID {
		t.Errorf("unknown team: %v", err)
	}
}

func TestScorecard(t *testing.T) {
	r := run(t, engine.Scope{}, map[string]engine.Measurement{"shared": {KPI: "shared", At: time.Date(2026, 11, 18, 0, 0, 0, 0, time.UTC)}})
	area := func(s engine.Score, name string) engine.AreaScore {
		for _, a := range s.Areas {
			if a.Area == name {
				return a
			}
		}
		t.Fatalf("no area %s", name)
		return engine.AreaScore{}
	}
	c := r.Scorecard.Company
	// 1 of 2 KPIs aligned; 2 of 3 key results measurable (m1-b has no baseline).
	if a := area(c, "vertical_alignment"); a.Score != 50 || a.Judged != 2 || a.Rating != 3 {
		t.Errorf("vertical alignment %+v", a)
	}
	if a := area(c, "measurability"); a.Score != 66.7 || a.Judged != 3 {
		t.Errorf("measurability %+v", a)
	}
	// shared is pushed up by marketing and down by sales: 0 of 1 consistent.
	if a := area(c, "horizontal_consistency"); a.Score != 0 || a.Judged != 1 || a.Rating != 1 || a.Verdict != "absent" {
		t.Errorf("horizontal consistency %+v", a)
	}
	// freshness: shared measured (1 of 2 KPIs), no key result checked in (0 of 3).
	if a := area(c, "freshness"); a.Score != 20 || a.Judged != 5 {
		t.Errorf("freshness %+v", a)
	}
	if a := area(c, "explicit_assumptions"); a.Score != 100 || a.Judged != 2 {
		t.Errorf("explicit assumptions %+v", a)
	}
	if m := area(r.Scorecard.Teams["mkt"], "measurability"); m.Score != 50 {
		t.Errorf("marketing measurability %+v", m)
	}
}

func TestCompare(t *testing.T) {
	a := &engine.AuditRun{ID: 1, Findings: []engine.Finding{{Rule: "r", Entity: "x", Fingerprint: "1"}, {Rule: "r", Entity: "y", Fingerprint: "2"}}}
	b := &engine.AuditRun{ID: 2, Findings: []engine.Finding{{Rule: "r", Entity: "y", Fingerprint: "2"}, {Rule: "r", Entity: "z", Fingerprint: "3"}}}
	a.Scorecard.Company.Overall, b.Scorecard.Company.Overall = 70, 75.5
	d := Compare(a, b)
	if len(d.New) != 1 || d.New[0].Entity != "z" || len(d.Resolved) != 1 || d.Resolved[0].Entity != "x" ||
		len(d.Persisting) != 1 || d.ScoreChange != 5.5 || d.From != 1 || d.To != 2 {
		t.Errorf("diff %+v", d)
	}
	if got := d.Summary(); got != "since run 1: 1 new, 1 resolved, 1 persisting; overall score +5.5" {
		t.Errorf("summary %q", got)
	}
	if first := Compare(nil, b); first.From != 0 || len(first.New) != 2 || first.Summary() != "first run of this scope: 2 findings" {
		t.Errorf("first run diff %+v", first)
	}
}

// fakeStage returns fixed findings, as a plugin would: keys only.
type fakeStage struct{ fs []engine.Finding }

func (s fakeStage) Name() string { return "fake" }
func (s fakeStage) Run(context.Context, *resolve.Graph) ([]engine.Finding, engine.PackRef, error) {
	return slices.Clone(s.fs), engine.PackRef{Name: "fake", Plugin: true}, nil
}

// A plugin's findings get the team and trace of their entity, as rule
// findings do.
func TestStageFindingsGetTeamAndTrace(t *testing.T) {
	p, _ := rules.LoadBuiltin()
	rs, _ := rules.Compile(p)
	stage := fakeStage{[]engine.Finding{
		{Rule: "fake-kpi", Severity: "warning", Scope: "kpi", Entity: "shared", Fingerprint: "a"},
		{Rule: "fake-kr", Severity: "info", Scope: "key_result", Entity: "s1-a", Fingerprint: "b"},
		{Rule: "fake-plan", Severity: "info", Scope: "plan", Fingerprint: "c"},
	}}
	r, _, err := Run(context.Background(), Input{Resolve: resolve.Input{Plan: testPlan(), Today: engine.NewDate(2026, 11, 20)},
		Rules: rs, Stages: []Stage{stage}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]engine.Finding{}
	for _, f := range r.Findings {
		got[f.Rule] = f
	}
	if f := got["fake-kpi"]; f.Team != "mkt" || len(f.Trace) < 2 || f.Trace[0] != "shared" {
		t.Errorf("KPI finding: team %q trace %v, want mkt and the KPI's trace", f.Team, f.Trace)
	}
	if f := got["fake-kr"]; f.Team != "sales" {
		t.Errorf("key result finding: team %q, want sales", f.Team)
	}
	if f, ok := got["fake-plan"]; !ok || f.Team != "" || f.Trace != nil {
		t.Errorf("plan finding: %+v", f)
	}
}

// failingStage is a plugin that cannot run.
type failingStage struct{}

func (failingStage) Name() string { return "fake" }
func (failingStage) Run(context.Context, *resolve.Graph) ([]engine.Finding, engine.PackRef, error) {
	return nil, engine.PackRef{}, errors.New("the plugin crashed")
}

// TestFailedPluginLeavesItsFindings: when a plugin fails, its findings of
// the run before are carried as not judged: not resolved then, not new when
// it runs again, and not counted.
func TestFailedPluginLeavesItsFindings(t *testing.T) {
	p, _ := rules.LoadBuiltin()
	rs, _ := rules.Compile(p)
	ok := fakeStage{[]engine.Finding{{Rule: "fake-kpi", Severity: "error", Scope: "kpi", Entity: "shared", Fingerprint: "fake0000000000aa"}}}
	in := func(st Stage) Input {
		return Input{Resolve: resolve.Input{Plan: testPlan(), Today: engine.NewDate(2026, 11, 20)}, Rules: rs, Stages: []Stage{st}}
	}
	run := func(prev *engine.AuditRun, st Stage, id int64) *engine.AuditRun {
		r, _, err := Run(context.Background(), in(st))
		if err != nil {
			t.Fatal(err)
		}
		CarryForward(prev, r)
		r.ID = id
		return r
	}
	first := run(nil, ok, 1)
	failed := run(first, failingStage{}, 2)
	d := Compare(first, failed)
	if len(d.NotJudged) != 1 || d.NotJudged[0].Rule != "fake-kpi" {
		t.Errorf("not judged: %+v", d.NotJudged)
	}
	for _, f := range d.Resolved {
		if f.Rule == "fake-kpi" {
			t.Error("a failed plugin's finding was reported resolved")
		}
	}
	judged := 0
	for _, f := range failed.Findings {
		if f.Severity == "error" && !f.NotJudged && !f.Waived() {
			judged++
		}
	}
	if failed.Counts["error"] != judged {
		t.Errorf("%d errors counted, %d judged: carried findings must not count", failed.Counts["error"], judged)
	}
	if !strings.Contains(d.Summary(), "1 not judged (a plugin failed)") {
		t.Errorf("summary %q", d.Summary())
	}
	again := run(failed, ok, 3)
	for _, f := range Compare(failed, again).New {
		if f.Rule == "fake-kpi" {
			t.Error("the plugin's finding was reported new when the plugin ran again")
		}
	}
}

// TestNeedsReadsWhatTheDiffShows: a run before whose findings are whole
// only where Needs says so carries forward and compares exactly as the
// whole run does.
func TestNeedsReadsWhatTheDiffShows(t *testing.T) {
	p, _ := rules.LoadBuiltin()
	rs, _ := rules.Compile(p)
	ok := fakeStage{[]engine.Finding{{Rule: "fake-kpi", Severity: "error", Scope: "kpi", Entity: "shared", Fingerprint: "fake0000000000aa"}}}
	audit := func(st Stage) *engine.AuditRun {
		r, _, err := Run(context.Background(), Input{Resolve: resolve.Input{Plan: testPlan(), Today: engine.NewDate(2026, 11, 20)},
			Rules: rs, Stages: []Stage{st}})
		if err != nil {
			t.Fatal(err)
		}
		r.ID = 2
		return r
	}
	prev := audit(ok)
	prev.ID = 1
	gone := engine.Finding{Rule: "fake-kpi", Severity: "warning", Scope: "kpi", Entity: "orphan", Message: "m", Fingerprint: "fake00000000gone"}
	prev.Findings = append(prev.Findings, gone)
	for _, st := range []Stage{ok, failingStage{}} {
		whole, partial := audit(st), audit(st)
		needs := Needs(partial)
		thin := *prev
		thin.Findings = nil
		stripped := 0
		for _, f := range prev.Findings {
			if !needs(f.Fingerprint, f.Rule) {
				f = engine.Finding{Fingerprint: f.Fingerprint, Rule: f.Rule}
				stripped++
			}
			thin.Findings = append(thin.Findings, f)
		}
		if stripped == 0 || stripped == len(prev.Findings) {
			t.Fatalf("%T: Needs kept %d of %d findings whole; want some", st, len(prev.Findings)-stripped, len(prev.Findings))
		}
		CarryForward(prev, whole)
		CarryForward(&thin, partial)
		if !slices.EqualFunc(whole.Findings, partial.Findings, findingsEqual) {
			t.Errorf("%T: carried findings differ", st)
		}
		a, b := Compare(prev, whole), Compare(&thin, partial)
		for _, pair := range [][2][]engine.Finding{{a.New, b.New}, {a.Resolved, b.Resolved}, {a.Persisting, b.Persisting}, {a.NotJudged, b.NotJudged}} {
			if !slices.EqualFunc(pair[0], pair[1], findingsEqual) {
				t.Errorf("%T: diff %v, want %v", st, pair[1], pair[0])
			}
		}
		if !slices.ContainsFunc(append(b.Resolved, b.NotJudged...), func(f engine.Finding) bool { return f.Message == gone.Message }) {
			t.Errorf("%T: the finding gone from this run was not read whole: %+v", st, b)
		}
	}
}

func findingsEqual(a, b engine.Finding) bool { return reflect.DeepEqual(a, b) }

// TestNothingJudgedHasNoScore: a team with objectives and no key results
// or KPIs is judged on nothing: no area scores, no overall (it scored 83.3
// and ranked best); KPIs whose kind is unknown count in neither share of
// outcome focus, and the JSON says null.
func TestNothingJudgedHasNoScore(t *testing.T) {
	p := &engine.Plan{
		Teams:              []engine.Team{{Key: "idle", Name: "Idle"}, {Key: "support", Name: "Support"}},
		BusinessObjectives: []engine.BusinessObjective{{Key: "bo", Title: "B", PnLLine: "revenue"}},
		Objectives: []engine.Objective{
			{Key: "idle-o", Title: "Do things", Team: "idle", Period: "2026-Q4", Parent: "bo", Status: "active"},
			{Key: "support-o", Title: "Help customers", Team: "support", Period: "2026-Q4", Parent: "bo", Status: "active"},
		},
		KPIs: []engine.KPI{
			{Key: "ssat", Name: "SSAT", Team: "support", Links: []engine.Link{{To: "support-o"}}},
			{Key: "solved", Name: "Tickets solved", Team: "support", Links: []engine.Link{{To: "support-o"}}},
		},
	}
	g := resolve.Resolve(resolve.Input{Plan: p, Today: engine.NewDate(2026, 11, 20)})
	sc := Scorecard(g, engine.Scope{})
	idle := sc.Teams["idle"]
	if idle.Scored() {
		t.Errorf("a team judged on nothing scores %+v", idle)
	}
	for _, a := range idle.Areas {
		if a.Scored() || a.Verdict != engine.NotJudged {
			t.Errorf("area %+v of a team judged on nothing", a)
		}
	}
	b, err := json.Marshal(idle)
	if err != nil || !strings.Contains(string(b), `"overall":null`) || !strings.Contains(string(b), `"score":null`) {
		t.Errorf("JSON %s %v", b, err)
	}
	// Support: ssat is an outcome by name, tickets solved unknown; one
	// objective with an outcome KPI. Outcome focus is 100, not 50.
	for _, a := range sc.Teams["support"].Areas {
		if a.Area == "outcome_focus" && (a.Score != 100 || a.Judged != 2) {
			t.Errorf("support outcome focus %+v", a)
		}
	}
}
