package rules

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/plan"
	"github.com/okrmap/okrmap/engine/resolve"
)

// CaseFile is a rule pack test file: cases, each a small plan with history
// and the entities one rule must and must not flag.
type CaseFile struct {
	Cases []Case `yaml:"cases"`
}

// Case is one rule test.
type Case struct {
	Name         string               `yaml:"name"`
	Rule         string               `yaml:"rule"`
	Today        string               `yaml:"today"` // YYYY-MM-DD; default 2026-11-20
	Plan         yaml.Node            `yaml:"plan"`  // a plan, as in plan files
	CheckIns     []engine.CheckIn     `yaml:"checkins"`
	Measurements []engine.Measurement `yaml:"measurements"`
	Syncs        []engine.SyncStatus  `yaml:"syncs"` // the last read of KPIs from their connectors
	// CriticalPnLLines stands for plan.critical_pnl_lines in this case.
	CriticalPnLLines []string `yaml:"critical_pnl_lines"`
	Fires            []string `yaml:"fires"` // entities the rule must flag
	Quiet            []string `yaml:"quiet"` // entities it must not flag
}

// CaseResult is the outcome of one case.
type CaseResult struct {
	File     string
	Name     string
	Rule     string
	Failures []string // empty when the case passed
}

// Passed reports whether the case passed.
func (r CaseResult) Passed() bool { return len(r.Failures) == 0 }

// DefaultCaseDay is the day cases are judged on unless they set today.
var DefaultCaseDay = engine.NewDate(2026, 11, 20)

// RunCases runs the cases in files against s. A file that cannot be read is
// an error; a case that cannot be set up fails with the reason.
func (s *Set) RunCases(ctx context.Context, files ...string) ([]CaseResult, error) {
	var out []CaseResult
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, engine.Errorf(engine.EINVALID, "cannot read rule cases: %v", err)
		}
		var cf CaseFile
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(&cf); err != nil {
			return nil, engine.Errorf(engine.EINVALID, "rule cases %s: %v", file, err)
		}
		for i, c := range cf.Cases {
			res := CaseResult{File: file, Name: c.Name, Rule: c.Rule}
			if res.Name == "" {
				res.Name = fmt.Sprintf("%s #%d", c.Rule, i+1)
			}
			res.Failures = s.runCase(ctx, file, i, c)
			out = append(out, res)
		}
	}
	return out, nil
}

func (s *Set) runCase(ctx context.Context, file string, i int, c Case) []string {
	r := s.Rule(c.Rule)
	if r == nil {
		return []string{fmt.Sprintf("no rule %q in the pack (disabled or misspelled)", c.Rule)}
	}
	if len(c.Fires)+len(c.Quiet) == 0 {
		return []string{"the case names no entity under fires or quiet"}
	}
	text, err := yaml.Marshal(&c.Plan)
	if err != nil {
		return []string{err.Error()}
	}
	ps, err := plan.Parse(fmt.Sprintf("%s: case %d: plan", file, i+1), text)
	if err != nil {
		return []string{err.Error()}
	}
	today := DefaultCaseDay
	if c.Today != "" {
		if today, err = engine.ParseDate(c.Today); err != nil {
			return []string{"today: " + err.Error()}
		}
	}
	defer func(lines []string) { engine.CriticalPnLLines = lines }(engine.CriticalPnLLines)
	engine.CriticalPnLLines = c.CriticalPnLLines
	g := resolve.Resolve(resolve.Input{Plan: ps.Plan, CheckIns: c.CheckIns, Latest: engine.Latest(c.Measurements), Syncs: syncsByKPI(c.Syncs), Today: today})
	only := &Set{Rules: []*Rule{r}, byScope: map[string][]*Rule{r.Scope: {r}}}
	findings, err := only.Evaluate(ctx, g)
	if err != nil {
		return []string{err.Error()}
	}
	flagged := map[string]string{}
	for _, f := range findings {
		flagged[f.Entity] = f.Message
		if strings.Contains(f.Message, "could not be evaluated") {
			return []string{f.Message}
		}
	}
	var fails []string
	for _, e := range c.Fires {
		if _, ok := flagged[e]; !ok {
			fails = append(fails, fmt.Sprintf("%s should be flagged and is not", e))
		}
	}
	for _, e := range c.Quiet {
		if msg, ok := flagged[e]; ok {
			fails = append(fails, fmt.Sprintf("%s should not be flagged, but is: %s", e, msg))
		}
	}
	slices.Sort(fails)
	return fails
}

func syncsByKPI(ss []engine.SyncStatus) map[string]engine.SyncStatus {
	m := make(map[string]engine.SyncStatus, len(ss))
	for _, s := range ss {
		m[s.KPI] = s
	}
	return m
}
