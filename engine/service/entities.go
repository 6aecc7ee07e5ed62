package service

import (
	"context"
	"slices"
	"strings"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/resolve"
)

// EntityFilter narrows a listing. Empty fields do not filter.
type EntityFilter struct {
	Team    string // objectives, key results, KPIs
	Period  string // canonical; objectives and key results, business objectives
	KPIKind string // KPIs: outcome or activity
	Query   string // case-insensitive text in the key, title or name
	After   string // keys after this one (the cursor)
	Limit   int    // at most this many; 0 is no limit
}

// Entity is one entity with what the resolved graph knows of it.
type Entity struct {
	Kind   engine.Kind `json:"kind"`
	Key    string      `json:"key"`
	Entity any         `json:"entity"` // the plan's form: engine.KPI, engine.Objective ...
	// KPIs: the trace and latest measurement.
	Trace   []string            `json:"trace,omitempty"`
	Reaches []string            `json:"reaches,omitempty"`
	Aligned *bool               `json:"aligned,omitempty"`
	Latest  *engine.Measurement `json:"latest,omitempty"`
	// Key results: the objective and progress against pace.
	Objective        string   `json:"objective,omitempty"`
	Progress         *float64 `json:"progress,omitempty"`
	ExpectedProgress *float64 `json:"expected_progress,omitempty"`
	// Objectives: the parent chain and the business objective it reaches.
	Ancestors         []string `json:"ancestors,omitempty"`
	BusinessObjective string   `json:"business_objective,omitempty"`
	// ResolvedKPI and ResolvedKeyResult are the graph's view of a KPI or
	// key result, for front ends that draw more than the fields above.
	ResolvedKPI       *resolve.KPI       `json:"-"`
	ResolvedKeyResult *resolve.KeyResult `json:"-"`
}

// KindNames maps the plural names front ends use to kinds.
var KindNames = map[string]engine.Kind{
	"teams": engine.KindTeam, "business-objectives": engine.KindBusinessObjective, "objectives": engine.KindObjective,
	"key-results": engine.KindKeyResult, "kpis": engine.KindKPI, "assumptions": engine.KindAssumption,
	"investments": engine.KindInvestment,
}

// Entities lists the entities of kind that pass f, sorted by key, and
// whether more follow.
func (s *Service) Entities(ctx context.Context, kind engine.Kind, f EntityFilter) ([]Entity, bool, error) {
	idx, err := s.currentIndex(ctx)
	if err != nil {
		return nil, false, err
	}
	keys := idx.byKind[kind]
	start, _ := slices.BinarySearch(keys, f.After)
	if start < len(keys) && keys[start] == f.After {
		start++
	}
	q := strings.ToLower(f.Query)
	out := []Entity{}
	for _, k := range keys[start:] {
		e := idx.entity(k)
		if !f.match(e, q) {
			continue
		}
		if f.Limit > 0 && len(out) == f.Limit {
			return out, true, nil
		}
		out = append(out, e)
	}
	return out, false, nil
}

// Entity returns the entity with key; ENOTFOUND when there is none.
func (s *Service) Entity(ctx context.Context, key string) (Entity, error) {
	idx, err := s.currentIndex(ctx)
	if err != nil {
		return Entity{}, err
	}
	if _, ok := idx.kinds[key]; !ok {
		return Entity{}, engine.NotFound("entity", "no entity %q", key)
	}
	e := idx.entity(key)
	if e.Kind == engine.KindKPI {
		// The latest value straight from the store: never staler than the
		// last write, whatever the graph's age.
		m, ok, err := s.db.LatestMeasurement(ctx, key)
		if err != nil {
			return Entity{}, err
		}
		e.Latest = nil
		if ok {
			e.Latest = &m
		}
	}
	return e, nil
}

func (f EntityFilter) match(e Entity, q string) bool {
	var team, period, title, kpiKind string
	switch v := e.Entity.(type) {
	case engine.Team:
		title = v.Name
	case engine.BusinessObjective:
		title, period = v.Title, v.Period
	case engine.Objective:
		title, team, period = v.Title, v.Team, v.Period
	case keyResult:
		title, team, period = v.Title, v.team, v.period
	case engine.KPI:
		title, team, kpiKind = v.Name, v.Team, v.Kind
	case engine.Assumption:
		title = v.Statement
	case engine.Investment:
		title, period = v.Name, v.Period
	}
	if f.Team != "" && team != f.Team || f.KPIKind != "" && kpiKind != f.KPIKind {
		return false
	}
	if f.Period != "" {
		p, err := engine.ParsePeriod(period)
		if err != nil || p.Name != f.Period {
			return false
		}
	}
	return q == "" || strings.Contains(strings.ToLower(e.Key), q) || strings.Contains(strings.ToLower(title), q)
}

// keyResult is a key result as listed: with its objective.
type keyResult struct {
	engine.KeyResult
	ObjectiveKey string `json:"objective"`
	team, period string
}

// PlanKeyResult returns e's key result as the plan states it, when e is
// a key result.
func (e Entity) PlanKeyResult() (engine.KeyResult, bool) {
	kr, ok := e.Entity.(keyResult)
	return kr.KeyResult, ok
}

// index finds entities by key in one snapshot.
type index struct {
	kinds  map[string]engine.Kind
	byKind map[engine.Kind][]string // sorted keys
	plain  map[string]any
	kpis   map[string]*resolve.KPI
	krs    map[string]*resolve.KeyResult
	objs   map[string]*resolve.Objective
	latest map[string]engine.Measurement
}

// currentIndex returns the index of the plan as stored now (see Graph):
// the cached graph's, or a new one.
func (s *Service) currentIndex(ctx context.Context) (*index, error) {
	g, snap, err := s.Graph(ctx, engine.Date{})
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	c := s.graph
	s.mu.Unlock()
	if c != nil && c.graph == g {
		return c.indexOf(true), nil
	}
	return buildIndex(g, snap.Plan, snap.Latest), nil
}

// buildIndex indexes one snapshot's entities by key.
func buildIndex(g *resolve.Graph, p *engine.Plan, latest map[string]engine.Measurement) *index {
	idx := &index{kinds: map[string]engine.Kind{}, byKind: map[engine.Kind][]string{}, plain: map[string]any{},
		kpis: map[string]*resolve.KPI{}, krs: map[string]*resolve.KeyResult{}, objs: map[string]*resolve.Objective{}, latest: latest}
	add := func(kind engine.Kind, key string, v any) {
		idx.kinds[key] = kind
		idx.byKind[kind] = append(idx.byKind[kind], key)
		idx.plain[key] = v
	}
	for _, t := range p.Teams {
		add(engine.KindTeam, t.Key, t)
	}
	for _, b := range p.BusinessObjectives {
		add(engine.KindBusinessObjective, b.Key, b)
	}
	for _, o := range p.Objectives {
		for _, kr := range o.KeyResults {
			add(engine.KindKeyResult, kr.Key, keyResult{KeyResult: kr, ObjectiveKey: o.Key, team: o.Team, period: o.Period})
		}
		o.KeyResults = nil // listed on their own
		add(engine.KindObjective, o.Key, o)
	}
	for _, k := range p.KPIs {
		add(engine.KindKPI, k.Key, k)
	}
	for _, a := range p.Assumptions {
		add(engine.KindAssumption, a.Key, a)
	}
	for _, in := range p.Investments {
		add(engine.KindInvestment, in.Key, in)
	}
	for _, keys := range idx.byKind {
		slices.Sort(keys)
	}
	for _, k := range g.KPIs {
		idx.kpis[k.Key] = k
	}
	for _, kr := range g.KeyResults {
		idx.krs[kr.Key] = kr
	}
	for _, o := range g.Objectives {
		idx.objs[o.Key] = o
	}
	return idx
}

func (idx *index) entity(key string) Entity {
	e := Entity{Kind: idx.kinds[key], Key: key, Entity: idx.plain[key]}
	if k := idx.kpis[key]; k != nil {
		e.ResolvedKPI = k
		aligned := k.Aligned
		e.Trace, e.Reaches, e.Aligned = k.Trace, k.Reaches, &aligned
		if m, ok := idx.latest[key]; ok {
			e.Latest = &m
		}
	}
	if kr := idx.krs[key]; kr != nil {
		e.ResolvedKeyResult = kr
		p, x := kr.Progress, kr.ExpectedProgress
		e.Objective, e.Progress, e.ExpectedProgress = kr.Objective, &p, &x
	}
	if o := idx.objs[key]; o != nil {
		e.Ancestors, e.BusinessObjective = o.Ancestors, o.BusinessObjective
	}
	return e
}

// StaleKPIs counts the linked, measured-not-derived KPIs with no
// measurement within their frequency window as of today, as the built-in
// kpi-stale rule judges them.
func (s *Service) StaleKPIs(ctx context.Context) (int, error) {
	g, _, err := s.Graph(ctx, engine.Date{})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, k := range g.KPIs {
		if k.Formula == "" && len(k.Links) > 0 && (!k.HasMeasurement || k.DaysSinceMeasurement > k.WindowDays) {
			n++
		}
	}
	return n, nil
}
