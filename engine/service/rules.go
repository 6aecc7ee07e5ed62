package service

import (
	"context"
	"slices"
	"strings"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/audit"
	"github.com/okrmap/okrmap/engine/plan"
	"github.com/okrmap/okrmap/engine/resolve"
	"github.com/okrmap/okrmap/engine/rules"
	"github.com/okrmap/okrmap/plugins/host"
)

// RuleSet compiles the built-in pack (unless configured off), the
// configured packs and extra.
func (s *Service) RuleSet(extra []string) (*rules.Set, error) {
	return s.ruleSet(s.opt.Rules.Builtin, extra)
}

func (s *Service) ruleSet(builtin bool, extra []string) (*rules.Set, error) {
	var packs []*rules.Pack
	if builtin {
		p, err := rules.LoadBuiltin()
		if err != nil {
			return nil, err
		}
		packs = append(packs, p)
	}
	for _, path := range append(slices.Clone(s.opt.Rules.Packs), extra...) {
		p, err := rules.LoadPack(path)
		if err != nil {
			return nil, err
		}
		packs = append(packs, p)
	}
	if len(packs) == 0 {
		return nil, engine.Errorf(engine.EINVALID, "no rule packs: rules.builtin is off and no packs are configured")
	}
	rs, err := rules.Compile(packs...)
	if err != nil {
		return nil, err
	}
	rs.Limits = rules.Limits{Steps: s.opt.Rules.MaxSteps, Text: s.opt.Rules.MaxText, Timeout: s.opt.Rules.Timeout}
	return rs, nil
}

// RuleInfo describes one rule of a pack or a pinned plugin.
type RuleInfo struct {
	ID       string   `json:"id" yaml:"id"`
	Name     string   `json:"name" yaml:"name"`
	Severity string   `json:"severity" yaml:"severity"`
	Scope    string   `json:"scope" yaml:"scope"`
	Tags     []string `json:"tags" yaml:"tags"`
	Pack     string   `json:"pack" yaml:"pack"` // a pack's name, or plugin:<name>
	When     string   `json:"when,omitempty" yaml:"when,omitempty"`
	Assert   string   `json:"assert,omitempty" yaml:"assert,omitempty"`
	Message  string   `json:"message,omitempty" yaml:"message,omitempty"`
	Doc      string   `json:"doc" yaml:"doc"`
	Fix      string   `json:"fix" yaml:"fix"`
}

// Rules lists the rules audits evaluate: the packs' and, described by each
// pinned plugin, the plugins'. With pack set, only that pack's or plugin's.
func (s *Service) Rules(ctx context.Context, extra []string, pack string, dev ...string) ([]RuleInfo, error) {
	set, err := s.RuleSet(extra)
	if err != nil {
		return nil, err
	}
	out := []RuleInfo{}
	for _, r := range set.Rules {
		if pack == "" || r.Pack == pack {
			out = append(out, ruleInfo(r))
		}
	}
	l, err := s.readLock()
	if err != nil {
		return nil, err
	}
	if err := packRulesInPluginSpace(set, l); err != nil {
		return nil, err
	}
	plugins, err := s.Plugins(ctx)
	if err != nil {
		return nil, err
	}
	if len(dev) > 0 {
		devLock, err := s.devPlugins(ctx, dev, l)
		if err != nil {
			return nil, err
		}
		for _, d := range devLock.Plugins { // in place of a pinned one of its name
			desc, err := host.Describe(context.WithoutCancel(ctx), s.pluginSpec(d))
			plugins = slices.DeleteFunc(plugins, func(p Plugin) bool { return p.Name == d.Name })
			plugins = append(plugins, Plugin{Locked: d, Description: desc, Err: err})
		}
	}
	for _, p := range plugins {
		if pack != "" && p.Name != pack {
			continue
		}
		if p.Err != nil {
			s.opt.Log.Warn("plugin's rules left out: it could not describe itself", "plugin", p.Name, "err", p.Err)
			continue
		}
		for _, r := range p.Description.GetRules() {
			out = append(out, RuleInfo{ID: r.GetId(), Name: r.GetName(), Severity: r.GetSeverity(), Scope: r.GetScope(),
				Tags: r.GetTags(), Pack: "plugin:" + p.Description.GetName(), Doc: r.GetDoc(), Fix: r.GetFix()})
		}
	}
	return out, nil
}

// Rule returns the rule with id, of a pack or of a pinned plugin
// (starting plugins only when no pack has it).
func (s *Service) Rule(ctx context.Context, extra []string, id string, dev ...string) (RuleInfo, error) {
	set, err := s.RuleSet(extra)
	if err != nil {
		return RuleInfo{}, err
	}
	if r := set.Rule(id); r != nil {
		return ruleInfo(r), nil
	}
	all, err := s.Rules(ctx, extra, "", dev...)
	if err != nil {
		return RuleInfo{}, err
	}
	for _, r := range all {
		if r.ID == id {
			return r, nil
		}
	}
	return RuleInfo{}, engine.NotFound("rule", "no rule %q in the rule packs or plugins", id)
}

func ruleInfo(r *rules.Rule) RuleInfo {
	return RuleInfo{ID: r.ID, Name: r.Name, Severity: r.Severity, Scope: r.Scope, Tags: r.Tags,
		Pack: r.Pack, When: r.When, Assert: r.Assert, Message: r.Message, Doc: r.Doc, Fix: r.Fix}
}

// LintRequest asks for the rules' findings on plan files alone.
type LintRequest struct {
	Files   []string
	Packs   []string    // rule pack files besides the configured ones
	Today   engine.Date // zero is today
	Plugins bool        // run the pinned plugins too
	// DevPlugins are plugin binaries to run unpinned (development mode).
	DevPlugins []string
}

// LintResult is what lint found.
type LintResult struct {
	Findings []engine.Finding
	Rules    *rules.Set // the rules evaluated, in pack order
	Skipped  []string   // rules that judge history, which plan files lack
	Stopped  []string   // rules a limit stopped (see rules.BudgetError)
	Failed   []string   // plugins that failed; each has a plugin-failure finding
}

// Lint validates plan files, resolves them without history and evaluates
// the rule packs, skipping the rules tagged history, and with req.Plugins
// the pinned plugins.
func (s *Service) Lint(ctx context.Context, req LintRequest) (*LintResult, error) {
	ph := s.phases("lint", "load")
	// Resolving needs no valid plan, so it runs beside validation; its
	// graph is dropped if validation fails.
	today := s.Today(req.Today)
	resolved := make(chan *resolve.Graph, 1)
	set, err := s.loadValid(ph, req.Files, func(set *plan.Set) {
		go func() { resolved <- resolve.Resolve(resolve.Input{Plan: set.Plan, Today: today}) }()
	})
	if err != nil {
		return nil, err
	}
	ph.next("compile")
	rs, err := s.RuleSet(req.Packs)
	if err != nil {
		return nil, err
	}
	rs, skipped := rs.WithoutTag("history")
	ph.next("resolve")
	g := <-resolved
	var stages []audit.Stage
	if req.Plugins || len(req.DevPlugins) > 0 {
		plugins, err := s.PluginStages(ctx, rs, req.DevPlugins)
		if err != nil {
			return nil, err
		}
		for _, st := range plugins {
			stages = append(stages, st)
		}
	}
	ph.next("evaluate")
	ev, err := audit.Evaluate(ctx, g, rs, stages)
	if err != nil {
		return nil, err
	}
	ph.next("locate")
	locate(ev.Findings, set)
	ph.end("rules", len(rs.Rules), "plugins", len(stages), "findings", len(ev.Findings))
	return &LintResult{Findings: ev.Findings, Rules: rs, Skipped: skipped, Stopped: ev.Stopped, Failed: ev.Failed}, nil
}

// locate sets each finding's file and line: where its entity (for a link,
// its KPI) is declared in set's files.
func locate(fs []engine.Finding, set *plan.Set) {
	at := make(map[string][]int, len(fs)) // finding indexes by entity key
	for i := range fs {
		key, _, _ := strings.Cut(fs[i].Entity, "->")
		at[key] = append(at[key], i)
	}
	var probs engine.Problems
	set.Plan.EachEntity(func(_ engine.Kind, key string, s engine.Source) {
		if _, ok := at[key]; ok && s.File != "" {
			probs = append(probs, engine.Problem{File: s.File, Path: s.Path, Key: key})
		}
	})
	for _, p := range set.Locate(probs) {
		if p.Line > 0 {
			for _, i := range at[p.Key] {
				fs[i].File, fs[i].Line = p.File, p.Line
			}
		}
	}
}
