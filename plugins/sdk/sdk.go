// Package sdk is what an okrmap rule plugin is written against: the Plugin
// interface, the graph it judges, and Serve. A plugin is a small main
// package:
//
//	func main() { sdk.Serve(myPlugin{}) }
//
// Plugins run as separate processes started by okrmap through
// github.com/hashicorp/go-plugin over gRPC. They import neither okrmap's
// store nor its command line.
package sdk

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/okrmap/okrmap/plugins/protocol"
)

// ProtocolVersion is the plugin protocol this SDK speaks.
const ProtocolVersion = protocol.Version

// Plugin is a set of industry-specific rules.
type Plugin interface {
	// Describe names the plugin and lists its rules and settings.
	Describe() Description
	// Configure receives the plugin's settings from okrmap's config, before
	// any Check. An error is reported as a plugin failure.
	Configure(settings map[string]string) error
	// Check judges the graph and returns findings for its rules. It must
	// honour ctx: okrmap cancels it at the plugin's timeout.
	Check(ctx context.Context, g *Graph) ([]Finding, error)
}

// Description says who a plugin is. Name is lowercase letters, digits,
// '-' and '_'. okrmap refuses to pin or run a plugin whose description
// breaks this or what Rule asks.
type Description struct {
	Name    string
	Version string
	Rules   []Rule
	Config  []ConfigKey
	// History is how much history the rules need. okrmap sends at least
	// that, and plugins.history_days (90 by default) when that is more, up
	// to plugins.max_history_days; Graph.HistoryDays and
	// Graph.CheckInHistoryDays say what was sent.
	History History
}

// History is days of history before today, by kind: KPI measurements and
// key result check-ins.
type History struct {
	MeasurementDays, CheckInDays int
}

// Rule describes one rule a plugin provides. IDs are unique and start
// with the plugin's name and '-' ("saas-ltv-cac-low"), so they never clash
// with okrmap's rules or another plugin's.
type Rule struct {
	ID       string
	Name     string
	Severity string // error, warning or info
	Scope    string // kpi, key_result, objective, business_objective, investment, team or plan
	Doc      string
	Fix      string
	Tags     []string
}

// ConfigKey is a setting the plugin accepts. A part of Key in angle
// brackets stands for any name without a dot: "min_roas.<channel>" accepts
// min_roas.search. okrmap refuses settings no key accepts, and values that
// are not of the key's Type, before Configure runs.
type ConfigKey struct {
	Key     string
	Doc     string
	Default string
	// Type is String (when ""), Int, Float, Bool, Duration or List; see
	// ParseSettings for typed values.
	Type string
}

// Setting types.
const (
	String   = "string"
	Int      = "int"
	Float    = "float"
	Bool     = "bool"
	Duration = "duration" // as Go writes durations: 90s, 2h30m
	List     = "list"     // comma-separated, spaces trimmed
)

// pattern splits a key with a <name> part into what stands before and
// after it; ok is false for a plain key.
func (c ConfigKey) pattern() (prefix, suffix string, ok bool) {
	open, end := strings.IndexByte(c.Key, '<'), strings.IndexByte(c.Key, '>')
	if open < 0 || end < open {
		return "", "", false
	}
	return c.Key[:open], c.Key[end+1:], true
}

// Matches reports whether the setting named key is this one.
func (c ConfigKey) Matches(key string) bool {
	prefix, suffix, ok := c.pattern()
	if !ok {
		return key == c.Key
	}
	rest, ok := strings.CutPrefix(key, prefix)
	if !ok {
		return false
	}
	name, ok := strings.CutSuffix(rest, suffix)
	return ok && name != "" && !strings.Contains(name, ".")
}

// Finding is one rule's verdict on one entity. Rule must be one of the
// plugin's rules and Entity a key in the graph (or "" for plan scope);
// okrmap reports anything else as a plugin failure.
type Finding struct {
	Rule     string
	Severity string // "" means the rule's severity
	Scope    string // "" means the rule's scope
	Entity   string
	Message  string
	Fix      string // "" means the rule's fix
}

// Graph is the resolved plan a plugin judges. Treat it as read-only: the
// lookups index it on first use, and any number of goroutines may read it.
//
// Its entities carry every field okrmap's rule language sees (a test in
// okrmap fails when one is missing), with related entities as keys.
// History holds a KPI's measurements within HistoryDays before today and a
// key result's check-ins within CheckInHistoryDays, oldest first (0: no
// history). Both are at least what Description.History asks, unless
// okrmap's plugins.max_history_days capped it: a rule that needs more can
// say so rather than judge on too little.
type Graph struct {
	Today              time.Time
	HistoryDays        int
	CheckInHistoryDays int
	Teams              []Team
	BusinessObjectives []BusinessObjective
	Objectives         []Objective
	KeyResults         []KeyResult
	KPIs               []KPI
	Investments        []Investment
	Links              []Link
	Assumptions        []Assumption

	once sync.Once
	idx  *index
}

// Team is a team. CadenceDays is how often it checks in, from Cadence.
type Team struct {
	Key, Name, Function, Cadence, Lead string
	CadenceDays                        int
	Objectives, KPIs                   []string // keys of its objectives and KPIs
}

// BusinessObjective is a company priority on a P&L line. ReviewedAt is
// zero, and DaysSinceReview -1, when it was never reviewed.
type BusinessObjective struct {
	Key, Title, Category, PnLLine, Period, Owner string
	Target                                       *float64
	ReviewedAt                                   time.Time
	DaysSinceReview                              int
	// Objectives are directly under it, AllObjectives every one whose
	// parent chain reaches it, KPIs those linked to it directly (keys).
	Objectives, AllObjectives, KPIs []string
}

// Objective is a team objective; BusinessObjective is the one its parent
// chain reaches, or "", and PnLLine that one's P&L line. ParentKind is
// objective, business_objective or ""; Ancestors are the keys up the
// parent chain, nearest first.
type Objective struct {
	Key, Title, Team, Owner, Period, Status, StandaloneReason string
	Parent, ParentKind, ParentStatus, ParentPeriod            string
	TeamLead                                                  string // owns it when Owner is ""
	BusinessObjective, PnLLine                                string
	Ancestors                                                 []string
	PeriodStart, PeriodEnd                                    time.Time
	KeyResults, Children, KPIs                                []string // keys; KPIs linked to it or its key results
	// AlignsTo are key results it serves besides its parent line;
	// BusinessObjectives are all it reaches, the parent line's first.
	AlignsTo, BusinessObjectives []string
}

// KeyResult is a key result with its progress (0-1) and the progress
// expected by today. Due is zero when not set; DaysSinceCheckIn is -1
// when it was never checked in on; CadenceDays is its team's cadence.
type KeyResult struct {
	Key, Title, Objective, ObjectiveStatus, Team, Owner, Unit, Direction string
	MeasuredBy, Commitment                                               string
	Baseline, Target, Current, Confidence, Score                         *float64
	Progress, ExpectedProgress                                           float64
	Due, PeriodStart, PeriodEnd                                          time.Time
	CheckIns, DaysSinceCheckIn, CadenceDays                              int
	History                                                              []CheckIn // within plugins.history_days, oldest first
	KPIs, Objectives                                                     []string  // keys of those linked to it
	// SharedObjectives are objectives under another parent that align
	// to it too.
	SharedObjectives []string
	// Forecast is where it is expected at its due date, from its
	// check-ins; nil without three of them and a target.
	Forecast *Forecast
	// PnLLines are the P&L lines its objective reaches; CriticalLines
	// those the company marked critical.
	PnLLines, CriticalLines []string
}

// Forecast is a value expected at a due date, its 80% interval (Low to
// High), and the likelihood (0-1) of reaching the target.
type Forecast struct {
	Value, Low, High, Likelihood float64
	Method                       string
}

// Measurement is one value of a KPI.
type Measurement struct {
	At           time.Time
	Value        float64
	Author, Note string
}

// CheckIn is one check-in on a key result.
type CheckIn struct {
	At           time.Time
	Value        float64
	Confidence   *float64
	Note, Author string
}

// KPI is a KPI with its links and trace. Latest is its latest measured
// value, at LatestAt (DaysSinceMeasurement is -1 when never measured);
// WindowDays is how old a value may be, from Frequency. Links are the
// keys it links to; Reaches the business objectives its trace reaches and
// PnLLines their P&L lines; Trace one path up, the KPI first; Teams those
// of the key results and objectives it is linked to; BusinessObjectives
// those it links to directly. Connector is where okrmap sync reads it;
// SyncFailed and SyncError tell how its last read went.
type KPI struct {
	Key, Name, Definition, Unit, Kind, Category, Owner, Team, Frequency, Source string
	Attribution, Direction, Formula, FormulaError                               string
	Tags, FormulaMissing, NameConflicts                                         []string
	Target, Latest                                                              *float64
	LatestAt, SyncedAt                                                          time.Time
	DaysSinceMeasurement, WindowDays                                            int
	Links, KeyResults, BusinessObjectives, Reaches, PnLLines, Trace, Teams      []string
	Aligned, ReachesOutcome                                                     bool
	Connector, SyncError                                                        string
	SyncFailed                                                                  bool
	History                                                                     []Measurement // within plugins.history_days, oldest first
	Drives, DrivenBy, Objectives                                                []string      // keys: KPIs it links to, KPIs linking to it, objectives linked
	// Kind is the declared kind, else the kind the name, unit or category
	// make clear (KindReason says which), else "".
	KindDeclared bool
	KindReason   string
	Measures     []string // key results measured by it (their measured_by)
	OwnedBy      string   // Owner, else the team's lead (OwnerIsLead)
	OwnerIsLead  bool
	// Warning and Critical are the values at which the KPI turns amber
	// and red (nil when not set); Breaching names the one its latest value
	// is past: "critical", "warning", or "" for neither.
	Warning, Critical *float64
	Breaching         string
}

// Link is one KPI link, from KPI to an objective, key result, business
// objective or KPI (ToKind says which, ToStatus the target's status).
// Invalidated are its assumptions found invalid.
type Link struct {
	KPI, KPIKind, Team, To, ToKind, ToStatus, Rationale string
	Weight                                              *float64
	Assumptions, Invalidated                            []string
}

// Assumption is a belief links rest on; ReviewBy is zero when not set and
// Links counts the links resting on it.
type Assumption struct {
	Key, Statement, Owner, Status, Evidence string
	ReviewBy                                time.Time
	Links                                   int
}

// Investment is a budget line and its expected return; Team is its
// objective's team.
type Investment struct {
	Key, Name, Currency, Period, Owner, Objective, Team, ReturnKPI string
	Amount                                                         float64
	ReturnValue                                                    *float64
	ReturnKPIMeasured                                              bool
}

// Entity names one entity in the graph. Kind is kpi, key_result,
// objective or business_objective.
type Entity struct{ Kind, Key string }

// index maps keys to positions, built on first use.
type index struct {
	kpi, kr, obj, bo, team, inv, as map[string]int
	links                           map[string][]int // KPI key -> its links
}

func (g *Graph) index() *index {
	g.once.Do(func() {
		positions := func(n int, key func(int) string) map[string]int {
			m := make(map[string]int, n)
			for i := range n {
				m[key(i)] = i
			}
			return m
		}
		g.idx = &index{
			kpi:   positions(len(g.KPIs), func(i int) string { return g.KPIs[i].Key }),
			kr:    positions(len(g.KeyResults), func(i int) string { return g.KeyResults[i].Key }),
			obj:   positions(len(g.Objectives), func(i int) string { return g.Objectives[i].Key }),
			bo:    positions(len(g.BusinessObjectives), func(i int) string { return g.BusinessObjectives[i].Key }),
			team:  positions(len(g.Teams), func(i int) string { return g.Teams[i].Key }),
			inv:   positions(len(g.Investments), func(i int) string { return g.Investments[i].Key }),
			as:    positions(len(g.Assumptions), func(i int) string { return g.Assumptions[i].Key }),
			links: map[string][]int{},
		}
		for i, l := range g.Links {
			g.idx.links[l.KPI] = append(g.idx.links[l.KPI], i)
		}
	})
	return g.idx
}

// KPI returns the KPI with key, or nil.
func (g *Graph) KPI(key string) *KPI { return at(g.KPIs, g.index().kpi, key) }

// KeyResult returns the key result with key, or nil.
func (g *Graph) KeyResult(key string) *KeyResult { return at(g.KeyResults, g.index().kr, key) }

// Objective returns the objective with key, or nil.
func (g *Graph) Objective(key string) *Objective { return at(g.Objectives, g.index().obj, key) }

// BusinessObjective returns the business objective with key, or nil.
func (g *Graph) BusinessObjective(key string) *BusinessObjective {
	return at(g.BusinessObjectives, g.index().bo, key)
}

// Team returns the team with key, or nil.
func (g *Graph) Team(key string) *Team { return at(g.Teams, g.index().team, key) }

// Investment returns the investment with key, or nil.
func (g *Graph) Investment(key string) *Investment { return at(g.Investments, g.index().inv, key) }

// Assumption returns the assumption with key, or nil.
func (g *Graph) Assumption(key string) *Assumption { return at(g.Assumptions, g.index().as, key) }

// LinksOf returns the links of the KPI with key, in plan order.
func (g *Graph) LinksOf(kpi string) []*Link {
	var out []*Link
	for _, i := range g.index().links[kpi] {
		out = append(out, &g.Links[i])
	}
	return out
}

// at returns the element of s that index places key at, or nil.
func at[T any](s []T, index map[string]int, key string) *T {
	if i, ok := index[key]; ok {
		return &s[i]
	}
	return nil
}

// Trace walks the KPI's alignment upwards, nearest first and each entity
// once: the KPIs and key results it links to, their objectives, parent
// objectives, the key results objectives align to, and business
// objectives. The KPI itself is not included;
// KPI.Reaches lists the business objectives the trace ends at.
func (g *Graph) Trace(kpi string) []Entity {
	k := g.KPI(kpi)
	if k == nil {
		return nil
	}
	idx := g.index()
	seen := map[string]bool{kpi: true}
	var out []Entity
	queue := slices.Clone(k.Links)
	for len(queue) > 0 {
		key := queue[0]
		queue = queue[1:]
		if seen[key] {
			continue
		}
		seen[key] = true
		if i, ok := idx.kpi[key]; ok {
			out = append(out, Entity{"kpi", key})
			queue = append(queue, g.KPIs[i].Links...)
		} else if i, ok := idx.kr[key]; ok {
			out = append(out, Entity{"key_result", key})
			queue = append(queue, g.KeyResults[i].Objective)
		} else if i, ok := idx.obj[key]; ok {
			out = append(out, Entity{"objective", key})
			if p := g.Objectives[i].Parent; p != "" {
				queue = append(queue, p)
			}
			queue = append(queue, g.Objectives[i].AlignsTo...)
		} else if _, ok := idx.bo[key]; ok {
			out = append(out, Entity{"business_objective", key})
		}
	}
	return out
}

// FindKPIs returns the KPIs for which match is true, in plan order.
func (g *Graph) FindKPIs(match func(*KPI) bool) []*KPI {
	var out []*KPI
	for i := range g.KPIs {
		if match(&g.KPIs[i]) {
			out = append(out, &g.KPIs[i])
		}
	}
	return out
}

// KPIsInCategory returns the KPIs of a category (revenue, pipeline, brand,
// customer, efficiency, product, operations, finance or people).
func (g *Graph) KPIsInCategory(category string) []*KPI {
	return g.FindKPIs(func(k *KPI) bool { return k.Category == category })
}

// KPIsTagged returns the KPIs that carry any of tags; a tag ending in ':'
// matches every tag with that prefix ("channel:" matches channel:search).
func (g *Graph) KPIsTagged(tags ...string) []*KPI {
	return g.FindKPIs(func(k *KPI) bool {
		return slices.ContainsFunc(k.Tags, func(have string) bool {
			return slices.ContainsFunc(tags, func(want string) bool {
				return have == want || strings.HasSuffix(want, ":") && strings.HasPrefix(have, want)
			})
		})
	})
}

// HasBusinessObjective reports whether a business objective of category
// exists (revenue_growth, profitability, ...).
func (g *Graph) HasBusinessObjective(category string) bool {
	for _, b := range g.BusinessObjectives {
		if b.Category == category {
			return true
		}
	}
	return false
}

// Mentions reports whether the KPI's key, name or one of its tags contains
// any of words, ignoring case: a simple way to find "ltv", "cac" or "roas"
// KPIs.
func (k *KPI) Mentions(words ...string) bool {
	return mentions(words, k.Tags, k.Key, k.Name)
}

// Mentions reports whether the key result's key or title contains any of
// words, ignoring case.
func (kr *KeyResult) Mentions(words ...string) bool {
	return mentions(words, nil, kr.Key, kr.Title)
}

// Mentions reports whether the objective's key or title contains any of
// words, ignoring case.
func (o *Objective) Mentions(words ...string) bool {
	return mentions(words, nil, o.Key, o.Title)
}

// Mentions reports whether the business objective's key, title or P&L
// line contains any of words, ignoring case.
func (b *BusinessObjective) Mentions(words ...string) bool {
	return mentions(words, nil, b.Key, b.Title, b.PnLLine)
}

func mentions(words, tags []string, fields ...string) bool {
	for _, w := range words {
		for _, f := range fields {
			if containsFold(f, w) {
				return true
			}
		}
		for _, f := range tags {
			if containsFold(f, w) {
				return true
			}
		}
	}
	return false
}

// containsFold is strings.Contains ignoring case, without allocating: it
// runs once per KPI and word.
func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}
