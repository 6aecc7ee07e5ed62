// Package tree builds the alignment tree of a resolved graph for a scope:
// each P&L line, the business objectives on it, the objectives under them
// (following parents), their key results, and the KPIs linked at every
// level with the KPIs that drive them nested below; then the objectives and
// KPIs that reach no business objective. The text tree, the HTML report and
// the HTTP API all render this one model.
package tree

import (
	"slices"
	"time"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/forecast"
	"github.com/okrmap/okrmap/engine/resolve"
)

// Node kinds besides the entity kinds.
const (
	KindPnLLine = "pnl_line"
)

// Node is one entry of the tree. Which optional fields are set depends on
// Kind.
type Node struct {
	Kind  string `json:"kind" yaml:"kind"` // pnl_line or an entity kind
	Key   string `json:"key,omitempty" yaml:"key,omitempty"`
	Title string `json:"title" yaml:"title"`
	// Misaligned marks a KPI whose trace reaches no business objective on a
	// P&L line, and a business objective without a P&L line.
	Misaligned bool `json:"misaligned,omitempty" yaml:"misaligned,omitempty"`

	Category string `json:"category,omitempty" yaml:"category,omitempty"` // business objectives and KPIs
	Period   string `json:"period,omitempty" yaml:"period,omitempty"`     // business objectives and objectives
	Team     string `json:"team,omitempty" yaml:"team,omitempty"`         // objectives and KPIs
	Status   string `json:"status,omitempty" yaml:"status,omitempty"`     // objectives
	// SharedFrom marks an objective drawn under a key result it aligns to:
	// it names the parent where the objective is drawn in full.
	SharedFrom string `json:"shared_from,omitempty" yaml:"shared_from,omitempty"`
	Owner      string `json:"owner,omitempty" yaml:"owner,omitempty"` // all but P&L lines
	// OwnerIsLead says a KPI's owner is its team's lead: it names none.
	OwnerIsLead bool `json:"owner_is_lead,omitempty" yaml:"owner_is_lead,omitempty"`

	Unit     string   `json:"unit,omitempty" yaml:"unit,omitempty"` // key results and KPIs
	Baseline *float64 `json:"baseline,omitempty" yaml:"baseline,omitempty"`
	Target   *float64 `json:"target,omitempty" yaml:"target,omitempty"`
	Current  *float64 `json:"current,omitempty" yaml:"current,omitempty"`
	Progress *float64 `json:"progress,omitempty" yaml:"progress,omitempty"` // 0-1, with a current value
	// Expected is the progress a straight line from period start to due
	// would have reached today, 0-1 (key results).
	Expected   *float64    `json:"expected_progress,omitempty" yaml:"expected_progress,omitempty"`
	Confidence *float64    `json:"confidence,omitempty" yaml:"confidence,omitempty"` // key results, 0-1
	Due        engine.Date `json:"due,omitzero" yaml:"due,omitempty"`
	Score      *float64    `json:"score,omitempty" yaml:"score,omitempty"`
	// Forecast is where a key result is expected at its due date.
	Forecast *forecast.Forecast `json:"forecast,omitempty" yaml:"forecast,omitempty"`

	KPIKind  string     `json:"kpi_kind,omitempty" yaml:"kpi_kind,omitempty"` // outcome or activity
	Drives   bool       `json:"drives,omitempty" yaml:"drives,omitempty"`     // a KPI under the KPI it drives
	Latest   *float64   `json:"latest,omitempty" yaml:"latest,omitempty"`
	LatestAt *time.Time `json:"latest_at,omitempty" yaml:"latest_at,omitempty"`
	// StopsAt lists where an unaligned KPI's links lead; empty when it is
	// linked to nothing.
	StopsAt []string `json:"stops_at,omitempty" yaml:"stops_at,omitempty"`

	Children []*Node `json:"children,omitempty" yaml:"children,omitempty"`
	// Below counts the nodes under this one that a depth limit left out.
	Below int `json:"below,omitempty" yaml:"below,omitempty"`

	size int // nodes under this one
}

// Tree is the alignment tree of a scope.
type Tree struct {
	Scope string `json:"scope" yaml:"scope"`
	// Lines are the P&L lines in first-seen order; a line with an empty
	// title holds business objectives without one.
	Lines []*Node `json:"lines" yaml:"lines"`
	// Unparented are objectives in scope whose parent chain reaches no
	// business objective.
	Unparented []*Node `json:"unparented" yaml:"unparented"`
	// Unaligned are KPIs in scope that reach no business objective.
	Unaligned []*Node `json:"unaligned" yaml:"unaligned"`
	// KPIs counts the KPIs in scope.
	KPIs int `json:"kpis" yaml:"kpis"`
	// Empty is true when the graph holds no objectives or KPIs at all.
	Empty bool `json:"empty" yaml:"empty"`
	// ScopeEmpty is true when the scope (a period, teams) holds no
	// objective and no KPI: the graph has some, none of them in scope.
	ScopeEmpty bool `json:"scope_empty,omitempty" yaml:"scope_empty,omitempty"`
}

type builder struct {
	g          *resolve.Graph
	s          engine.Scope
	shown      map[*resolve.Objective]bool
	linkedFrom map[string][]*resolve.KPI // key -> KPIs linking to it, in link order
}

// Build returns the tree of g for scope s. Objectives in scope are shown
// with the objectives above them for context; with teams in the scope,
// business objectives with nothing in scope below them are left out.
func Build(g *resolve.Graph, s engine.Scope) *Tree {
	b := &builder{g: g, s: s, shown: map[*resolve.Objective]bool{}, linkedFrom: map[string][]*resolve.KPI{}}
	kpis := make(map[string]*resolve.KPI, len(g.KPIs))
	for _, k := range g.KPIs {
		kpis[k.Key] = k
	}
	for _, l := range g.Links {
		if k := kpis[l.KPI]; k != nil {
			b.linkedFrom[l.To] = append(b.linkedFrom[l.To], k)
		}
	}
	seen := map[*resolve.Objective]bool{}
	for _, o := range g.Objectives {
		b.markShown(o, seen)
	}

	t := &Tree{Scope: s.String(), Lines: []*Node{}, Unparented: []*Node{}, Unaligned: []*Node{},
		Empty: len(g.BusinessObjectives)+len(g.Objectives)+len(g.KPIs) == 0}
	lines := map[string]*Node{}
	for _, bo := range g.BusinessObjectives {
		if len(s.Teams) > 0 && !b.anyShown(bo.Objectives) {
			continue
		}
		line := lines[bo.PnLLine]
		if line == nil {
			line = &Node{Kind: KindPnLLine, Title: bo.PnLLine}
			lines[bo.PnLLine] = line
			t.Lines = append(t.Lines, line)
		}
		line.Children = append(line.Children, b.businessObjective(bo))
	}
	for _, o := range g.Objectives {
		if b.shown[o] && o.ParentKind == "" {
			t.Unparented = append(t.Unparented, b.objective(o, map[*resolve.Objective]bool{}))
		}
	}
	for _, k := range g.KPIs {
		if !s.HasTeam(k.Team) {
			continue
		}
		t.KPIs++
		if len(k.Reaches) > 0 {
			continue
		}
		n := kpiNode(k)
		for _, l := range k.Links {
			n.StopsAt = append(n.StopsAt, l.To)
		}
		t.Unaligned = append(t.Unaligned, n)
	}
	for _, ns := range [][]*Node{t.Lines, t.Unparented, t.Unaligned} {
		for _, n := range ns {
			count(n)
		}
	}
	inScope := slices.ContainsFunc(g.Objectives, func(o *resolve.Objective) bool { return s.Objective(o.Team, o.Period) })
	if s.Period == "" {
		inScope = inScope || t.KPIs > 0
	}
	t.ScopeEmpty = !t.Empty && (s.Period != "" || len(s.Teams) > 0) && !inScope
	return t
}

// count sets the size of n and the nodes under it, and returns n's.
func count(n *Node) int {
	n.size = 0
	for _, c := range n.Children {
		n.size += 1 + count(c)
	}
	return n.size
}

// Limit returns the tree cut below depth levels (0 or less: the whole
// tree); a cut node's Below says how many nodes were under it. t itself is
// not changed, so a cached tree can be shared.
func (t *Tree) Limit(depth int) *Tree {
	if depth <= 0 {
		return t
	}
	out := *t
	out.Lines, out.Unparented, out.Unaligned = limit(t.Lines, depth), limit(t.Unparented, depth), limit(t.Unaligned, depth)
	return &out
}

func limit(ns []*Node, depth int) []*Node {
	out := make([]*Node, len(ns))
	for i, n := range ns {
		c := *n
		if depth == 1 {
			c.Children, c.Below = nil, n.size
		} else {
			c.Children = limit(n.Children, depth-1)
			if len(c.Children) == 0 {
				c.Children = nil
			}
		}
		out[i] = &c
	}
	return out
}

// markShown marks objectives in scope or with a descendant in scope.
func (b *builder) markShown(o *resolve.Objective, seen map[*resolve.Objective]bool) bool {
	if seen[o] {
		return b.shown[o]
	}
	seen[o] = true
	show := b.s.Objective(o.Team, o.Period)
	for _, c := range children(o) {
		if b.markShown(c, seen) {
			show = true
		}
	}
	b.shown[o] = show
	return show
}

// children are the objectives under o: its own children and those
// cascaded under or aligned to its key results.
func children(o *resolve.Objective) []*resolve.Objective {
	out := o.Children
	for _, kr := range o.KeyResults {
		out = append(out, kr.Objectives...)
		out = append(out, kr.Shared...)
	}
	return out
}

func (b *builder) anyShown(os []*resolve.Objective) bool {
	for _, o := range os {
		if b.shown[o] {
			return true
		}
	}
	return false
}

func (b *builder) businessObjective(bo *resolve.BusinessObjective) *Node {
	n := &Node{Kind: string(engine.KindBusinessObjective), Key: bo.Key, Title: bo.Title, Category: bo.Category,
		Period: bo.Period, Owner: bo.Owner, Misaligned: bo.PnLLine == ""}
	for _, o := range bo.Objectives {
		if b.shown[o] {
			n.Children = append(n.Children, b.objective(o, map[*resolve.Objective]bool{}))
		}
	}
	n.Children = append(n.Children, b.kpisLinkedTo(bo.Key, map[*resolve.KPI]bool{}, false)...)
	return n
}

func (b *builder) objective(o *resolve.Objective, seen map[*resolve.Objective]bool) *Node {
	seen[o] = true
	n := &Node{Kind: string(engine.KindObjective), Key: o.Key, Title: o.Title, Team: o.Team, Period: o.Period, Status: o.Status, Owner: o.Owner}
	for _, kr := range o.KeyResults {
		c := KeyResultNode(kr)
		c.Children = b.kpisLinkedTo(kr.Key, map[*resolve.KPI]bool{}, false)
		for _, sub := range kr.Objectives { // cascaded under the key result
			if b.shown[sub] && !seen[sub] {
				c.Children = append(c.Children, b.objective(sub, seen))
			}
		}
		for _, sub := range kr.Shared { // drawn in full under its parent
			if b.shown[sub] {
				c.Children = append(c.Children, sharedNode(sub))
			}
		}
		n.Children = append(n.Children, c)
	}
	n.Children = append(n.Children, b.kpisLinkedTo(o.Key, map[*resolve.KPI]bool{}, false)...)
	for _, c := range o.Children {
		if b.shown[c] && !seen[c] {
			n.Children = append(n.Children, b.objective(c, seen))
		}
	}
	return n
}

// sharedNode is o drawn under a key result it aligns to, without what is
// below it: that is drawn once, under its parent.
func sharedNode(o *resolve.Objective) *Node {
	return &Node{Kind: string(engine.KindObjective), Key: o.Key, Title: o.Title, Team: o.Team, Period: o.Period,
		Status: o.Status, Owner: o.Owner, SharedFrom: o.Parent}
}

// KeyResultNode is the node of a key result, without children.
func KeyResultNode(kr *resolve.KeyResult) *Node {
	n := &Node{Kind: string(engine.KindKeyResult), Key: kr.Key, Title: kr.Title, Unit: kr.Unit,
		Baseline: opt(kr.HasBaseline, kr.Baseline), Target: opt(kr.HasTarget, kr.Target),
		Current: opt(kr.HasCurrent, kr.Current), Progress: opt(kr.HasCurrent, kr.Progress), Score: opt(kr.HasScore, kr.Score),
		Owner: kr.Owner, Expected: opt(!kr.PeriodStart.IsZero(), kr.ExpectedProgress), Confidence: opt(kr.HasConfidence, kr.Confidence)}
	if kr.HasDue {
		n.Due = engine.DateOf(kr.Due)
	}
	if kr.HasForecast {
		n.Forecast = &forecast.Forecast{Value: kr.Forecast, Low: kr.ForecastLow, High: kr.ForecastHigh,
			Likelihood: kr.ForecastLikelihood, Method: forecast.Method}
	}
	return n
}

// kpisLinkedTo returns the KPIs linking to key, each with the KPIs that
// drive it nested below.
func (b *builder) kpisLinkedTo(key string, seen map[*resolve.KPI]bool, drives bool) []*Node {
	var out []*Node
	for _, k := range b.linkedFrom[key] {
		if seen[k] || !b.s.HasTeam(k.Team) { // a team's tree shows its own KPIs
			continue
		}
		seen[k] = true
		n := kpiNode(k)
		n.Drives = drives
		n.Children = b.kpisLinkedTo(k.Key, seen, true)
		out = append(out, n)
	}
	return out
}

func kpiNode(k *resolve.KPI) *Node {
	n := &Node{Kind: string(engine.KindKPI), Key: k.Key, Title: k.Name, KPIKind: k.Kind, Category: k.Category,
		Team: k.Team, Unit: k.Unit, Owner: k.OwnedBy, OwnerIsLead: k.OwnerIsLead, Target: opt(k.HasTarget, k.Target), Misaligned: !k.Aligned}
	if k.HasMeasurement {
		n.Latest = opt(true, k.Latest)
		at := k.LatestAt
		n.LatestAt = &at
	}
	return n
}

func opt(ok bool, x float64) *float64 {
	if !ok {
		return nil
	}
	return &x
}

// Walk calls fn for every node of the tree, parents before children, with
// its depth below the top level (0).
func (t *Tree) Walk(fn func(n *Node, depth int)) {
	var walk func(ns []*Node, depth int)
	walk = func(ns []*Node, depth int) {
		for _, n := range ns {
			fn(n, depth)
			walk(n.Children, depth+1)
		}
	}
	walk(t.Lines, 0)
	walk(t.Unparented, 0)
	walk(t.Unaligned, 0)
}
