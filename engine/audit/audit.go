// Package audit judges a plan for a scope: it evaluates rule packs over the
// resolved graph, keeps the findings in scope, scores alignment per team and
// for the company, and compares runs.
package audit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/resolve"
	"github.com/okrmap/okrmap/engine/rules"
	"github.com/okrmap/okrmap/engine/waiver"
	"github.com/okrmap/okrmap/plugins/host"
)

// Input is what an audit judges.
type Input struct {
	Resolve resolve.Input
	Rules   *rules.Set
	Scope   engine.Scope
	Waivers []engine.Waiver
	// Stages are further sources of findings (plugins), run concurrently
	// with the rule packs over the same graph.
	Stages []Stage
	// Clock stamps the run's start and finish; nil is time.Now.
	Clock func() time.Time
	// Phase, if set, is called as each phase starts: resolve, evaluate, score.
	Phase func(name string)
}

// Stage is a source of findings besides the rule packs. A stage that fails
// yields a plugin-failure finding naming it, and the run is incomplete.
type Stage interface {
	Name() string
	Run(ctx context.Context, g *resolve.Graph) ([]engine.Finding, engine.PackRef, error)
}

// FailureRule is the rule id of a stage's failure finding.
const FailureRule = "plugin-failure"

// Evaluation is what the rule packs and the stages found in a graph.
type Evaluation struct {
	// Findings are the packs', then each stage's with the packs' overrides
	// applied, or a plugin-failure finding for a stage that failed.
	Findings []engine.Finding
	Stages   []engine.PackRef // one per stage, Failed when it failed
	Stopped  []string         // rules a limit stopped (see rules.BudgetError)
	Failed   []string         // stages that failed
}

// Complete reports whether every rule and stage ran to the end.
func (e *Evaluation) Complete() bool { return len(e.Stopped) == 0 && len(e.Failed) == 0 }

// Evaluate runs the rule packs and, concurrently, the stages over g.
func Evaluate(ctx context.Context, g *resolve.Graph, rs *rules.Set, stages []Stage) (*Evaluation, error) {
	type stageResult struct {
		findings []engine.Finding
		ref      engine.PackRef
		err      error
	}
	results := make([]stageResult, len(stages))
	var wg sync.WaitGroup
	for i, st := range stages {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fs, ref, err := st.Run(ctx, g)
			results[i] = stageResult{fs, ref, err}
		}()
	}
	all, err := rs.Evaluate(ctx, g)
	wg.Wait()
	ev := &Evaluation{}
	var over *rules.BudgetError
	if errors.As(err, &over) {
		ev.Stopped, err = over.Rules, nil // the stopped rules' findings say so
	}
	if err != nil {
		return nil, err
	}
	for i, r := range results {
		name := stages[i].Name()
		if r.err != nil {
			all = append(all, engine.Finding{Rule: FailureRule, Severity: "error", Scope: "plugin", Entity: name,
				Message: r.err.Error(), Fix: failureFix(name, r.err),
				Fingerprint: engine.Fingerprint(FailureRule, "plugin", name)})
			ref := r.ref
			ref.Name, ref.Failed = name, true
			ev.Stages = append(ev.Stages, ref)
			ev.Failed = append(ev.Failed, name)
			continue
		}
		rules.AttachEntities(g, r.findings)
		all = append(all, rs.PluginFindings(name, r.findings)...)
		ev.Stages = append(ev.Stages, r.ref)
	}
	ev.Findings = all
	return ev, nil
}

// Run evaluates the rules and scores the plan, and returns the run with the
// graph it judged. The run is not stored; its ID is 0.
func Run(ctx context.Context, in Input) (*engine.AuditRun, *resolve.Graph, error) {
	clock := in.Clock
	if clock == nil {
		clock = time.Now
	}
	start := clock()
	phase := in.Phase
	if phase == nil {
		phase = func(string) {}
	}
	for _, t := range in.Scope.Teams {
		if !slices.ContainsFunc(in.Resolve.Plan.Teams, func(x engine.Team) bool { return x.Key == t }) {
			return nil, nil, engine.Errorf(engine.EINVALID, "team %s: no such team", t)
		}
	}
	phase("resolve")
	g := resolve.Resolve(in.Resolve)
	phase("evaluate")
	ev, err := Evaluate(ctx, g, in.Rules, in.Stages)
	if err != nil {
		return nil, nil, err
	}
	all, stageRefs, complete := ev.Findings, ev.Stages, ev.Complete()
	phase("score")
	inScope := scopeKeys(g, in.Scope)
	run := &engine.AuditRun{Scope: in.Scope.String(), StartedAt: start, Today: in.Resolve.Today, Complete: complete,
		Counts: map[string]int{"error": 0, "warning": 0, "info": 0, "waived": 0}}
	run.Findings = all
	if inScope != nil {
		run.Findings = slices.DeleteFunc(all, func(f engine.Finding) bool {
			return !inScope[f.Entity] && f.Scope != "plan" && f.Scope != "plugin"
		})
	}
	waiver.Apply(run.Findings, in.Waivers, in.Resolve.Today)
	countFindings(run)
	for _, p := range in.Rules.Packs {
		n := 0
		for _, r := range in.Rules.Rules {
			if r.Pack == p.Name {
				n++
			}
		}
		run.Packs = append(run.Packs, engine.PackRef{Name: p.Name, Version: p.Version, Rules: n})
	}
	run.Packs = append(run.Packs, stageRefs...)
	run.Scorecard = Scorecard(g, in.Scope)
	d := Delivery(g, in.Scope)
	run.Delivery = &d
	run.FinishedAt = clock()
	return run, g, nil
}

// countFindings sets run.Counts from its judged findings.
func countFindings(run *engine.AuditRun) {
	run.Counts = map[string]int{"error": 0, "warning": 0, "info": 0, "waived": 0}
	for _, f := range run.Findings {
		switch {
		case f.NotJudged:
		case f.Waived():
			run.Counts["waived"]++
		default:
			run.Counts[f.Severity]++
		}
	}
}

// CarryForward copies into cur the findings prev has of every plugin that
// failed in cur, marked NotJudged: a plugin that could not run leaves its
// findings as they were, so they are neither resolved now nor new when it
// runs again. prev may be nil.
func CarryForward(prev, cur *engine.AuditRun) {
	if prev == nil {
		return
	}
	failed := failedPacks(cur)
	if len(failed) == 0 {
		return
	}
	for _, f := range prev.Findings {
		if ofPacks(f.Rule, failed) {
			f.NotJudged = true
			cur.Findings = append(cur.Findings, f)
		}
	}
	countFindings(cur)
}

// failedPacks returns the rule prefixes of the packs that failed in run.
func failedPacks(run *engine.AuditRun) []string {
	var failed []string
	for _, p := range run.Packs {
		if p.Failed {
			failed = append(failed, p.Name+"-")
		}
	}
	return failed
}

func ofPacks(rule string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(rule, p) {
			return true
		}
	}
	return false
}

// Needs says which findings of the run before cur CarryForward and Compare
// read whole: those cur does not find again and those of packs that failed
// in cur. Of the others they read only the fingerprint.
func Needs(cur *engine.AuditRun) func(fingerprint, rule string) bool {
	now := make(map[string]bool, len(cur.Findings))
	for _, f := range cur.Findings {
		now[f.Fingerprint] = true
	}
	failed := failedPacks(cur)
	return func(fingerprint, rule string) bool {
		return !now[fingerprint] || ofPacks(rule, failed)
	}
}

// scopeKeys returns the keys of entities in scope, or nil for the whole
// plan. Link findings use "kpi->to" keys.
func scopeKeys(g *resolve.Graph, s engine.Scope) map[string]bool {
	if s.All() {
		return nil
	}
	keys := map[string]bool{}
	for _, o := range g.Objectives {
		if !s.Objective(o.Team, o.Period) {
			continue
		}
		keys[o.Key] = true
		for _, kr := range o.KeyResults {
			keys[kr.Key] = true
		}
		for _, k := range o.KPIs {
			keys[k.Key] = true
		}
		if o.BusinessObjective != "" {
			keys[o.BusinessObjective] = true
		}
	}
	for _, k := range g.KPIs {
		if len(s.Teams) > 0 && s.HasTeam(k.Team) {
			keys[k.Key] = true
		}
	}
	for _, t := range g.Teams {
		if s.HasTeam(t.Key) {
			keys[t.Key] = true
		}
	}
	for _, l := range g.Links {
		if keys[l.KPI] {
			keys[l.KPI+"->"+l.To] = true
			for _, a := range l.Assumptions {
				keys[a.Key] = true
			}
		}
	}
	for _, in := range g.Investments {
		if keys[in.Objective] {
			keys[in.Key] = true
		}
	}
	return keys
}

// Diff is what changed between two runs of a scope, by fingerprint.
type Diff struct {
	From       int64            `json:"from"` // run ids; From is 0 when there is no earlier run
	To         int64            `json:"to"`
	New        []engine.Finding `json:"new"`
	Resolved   []engine.Finding `json:"resolved"`
	Persisting []engine.Finding `json:"persisting"`
	// NotJudged are findings of plugins that failed in To, carried from
	// the run before: neither new nor resolved.
	NotJudged []engine.Finding `json:"not_judged,omitempty"`
	// ScoreChange is the company's overall score change, To minus From.
	ScoreChange float64 `json:"score_change"`
}

// Compare returns what changed from prev (nil when there is none) to cur.
func Compare(prev, cur *engine.AuditRun) Diff {
	d := Diff{To: cur.ID, New: []engine.Finding{}, Resolved: []engine.Finding{}, Persisting: []engine.Finding{}}
	var seen map[string]struct{}
	if prev != nil {
		d.From = prev.ID
		d.ScoreChange = cur.Scorecard.Company.Overall - prev.Scorecard.Company.Overall
		seen = make(map[string]struct{}, len(prev.Findings))
		for _, f := range prev.Findings {
			seen[f.Fingerprint] = struct{}{}
		}
		d.Persisting = make([]engine.Finding, 0, len(cur.Findings))
	} else {
		d.New = make([]engine.Finding, 0, len(cur.Findings))
	}
	now := make(map[string]struct{}, len(cur.Findings))
	for _, f := range cur.Findings {
		now[f.Fingerprint] = struct{}{}
		if f.NotJudged {
			d.NotJudged = append(d.NotJudged, f)
			continue
		}
		if _, ok := seen[f.Fingerprint]; ok {
			d.Persisting = append(d.Persisting, f)
		} else {
			d.New = append(d.New, f)
		}
	}
	if prev != nil {
		for _, f := range prev.Findings {
			if _, ok := now[f.Fingerprint]; !ok {
				d.Resolved = append(d.Resolved, f)
			}
		}
	}
	return d
}

// Summary is a one-line account of a diff.
func (d Diff) Summary() string {
	if d.From == 0 {
		return fmt.Sprintf("first run of this scope: %d findings", len(d.New)+len(d.Persisting))
	}
	s := fmt.Sprintf("since run %d: %d new, %d resolved, %d persisting", d.From, len(d.New), len(d.Resolved), len(d.Persisting))
	if len(d.NotJudged) > 0 {
		s += fmt.Sprintf(", %d not judged (a plugin failed)", len(d.NotJudged))
	}
	return s + fmt.Sprintf("; overall score %+.1f", d.ScoreChange)
}

// failureFix says what to do about a plugin that failed: correct its
// settings if it refused them, else read what it said. A changed binary's
// message says how to re-pin it.
func failureFix(name string, err error) string {
	if _, ok := errors.AsType[*host.ConfigureError](err); ok {
		return "Correct plugins.settings." + name + " in the configuration: the message names the setting, and okrmap plugins list shows the settings the plugin accepts."
	}
	return "Read the message and the plugin's lines in okrmap's log (--log-level info shows them all)."
}
