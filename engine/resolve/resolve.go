// Package resolve turns a plan and its history into the read-only, typed
// graph that rules and plugins judge: every KPI with its links, trace and
// freshness; every objective with its key results, parent chain and KPIs;
// key results with progress against the expected pace.
//
// Field tags name each field as rules write it: kpi.days_since_measurement.
// Optional numbers come with a has_ flag (has_baseline, baseline).
package resolve

import (
	"math"
	"slices"
	"strings"
	"time"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/forecast"
	"github.com/okrmap/okrmap/engine/formula"
)

// Input is what a graph is resolved from.
type Input struct {
	Plan     *engine.Plan
	CheckIns []engine.CheckIn              // any order
	Latest   map[string]engine.Measurement // KPI key -> latest measurement
	Syncs    map[string]engine.SyncStatus  // KPI key -> its last read from a connector
	Today    engine.Date
}

// Graph is the resolved model. Slices keep plan order.
type Graph struct {
	Today              time.Time            `expr:"today"`
	Teams              []*Team              `expr:"teams"`
	BusinessObjectives []*BusinessObjective `expr:"business_objectives"`
	Objectives         []*Objective         `expr:"objectives"`
	KeyResults         []*KeyResult         `expr:"key_results"`
	KPIs               []*KPI               `expr:"kpis"`
	Links              []*Link              `expr:"links"`
	Assumptions        []*Assumption        `expr:"assumptions"`
	Investments        []*Investment        `expr:"investments"`
}

// Team is a team with what it owns.
type Team struct {
	Key         string       `expr:"key"`
	Name        string       `expr:"name"`
	Function    string       `expr:"function"`
	Cadence     string       `expr:"cadence"`
	CadenceDays int          `expr:"cadence_days"` // 7 when no cadence is set
	Lead        string       `expr:"lead"`
	Objectives  []*Objective `expr:"objectives"`
	KPIs        []*KPI       `expr:"kpis"`
}

// BusinessObjective is a company priority with what hangs under it.
type BusinessObjective struct {
	Key              string       `expr:"key"`
	Title            string       `expr:"title"`
	Category         string       `expr:"category"`
	PnLLine          string       `expr:"pnl_line"`
	Owner            string       `expr:"owner"`
	Period           string       `expr:"period"`
	HasTarget        bool         `expr:"has_target"`
	Target           float64      `expr:"target"`
	Reviewed         bool         `expr:"reviewed"`
	ReviewedAt       time.Time    `expr:"reviewed_at"`
	DaysSinceReview  int          `expr:"days_since_review"` // -1 when never reviewed
	Objectives       []*Objective `expr:"objectives"`        // direct children
	KPIs             []*KPI       `expr:"kpis"`              // KPIs linked to it directly
	AllObjectiveKeys []string     `expr:"all_objectives"`    // every objective below it
}

// Objective is a team objective with its surroundings.
type Objective struct {
	Key               string    `expr:"key"`
	Title             string    `expr:"title"`
	Team              string    `expr:"team"`
	TeamLead          string    `expr:"team_lead"` // its team's lead, or ""
	Owner             string    `expr:"owner"`
	Period            string    `expr:"period"`
	Status            string    `expr:"status"`
	StandaloneReason  string    `expr:"standalone_reason"`
	PeriodStart       time.Time `expr:"period_start"`
	PeriodEnd         time.Time `expr:"period_end"`
	Parent            string    `expr:"parent"`
	ParentKind        string    `expr:"parent_kind"`   // objective, business_objective, key_result or ""
	ParentStatus      string    `expr:"parent_status"` // a parent objective's (or key result's objective's) status
	ParentPeriod      string    `expr:"parent_period"`
	Ancestors         []string  `expr:"ancestors"`          // parent chain, nearest first
	BusinessObjective string    `expr:"business_objective"` // the one the chain reaches, or ""
	PnLLine           string    `expr:"pnl_line"`           // of that business objective
	// AlignsTo are the key results it serves besides its parent line.
	AlignsTo []string `expr:"aligns_to"`
	// BusinessObjectives are all it reaches: through its parents first,
	// then through the key results it aligns to, each once.
	BusinessObjectives []string     `expr:"business_objectives"`
	KeyResults         []*KeyResult `expr:"key_results"`
	Children           []*Objective `expr:"children"`
	KPIs               []*KPI       `expr:"kpis"` // linked to it or to its key results
}

// KeyResult is a key result with progress and rhythm.
type KeyResult struct {
	Key              string    `expr:"key"`
	Title            string    `expr:"title"`
	Objective        string    `expr:"objective"`
	Team             string    `expr:"team"`
	Owner            string    `expr:"owner"`
	Unit             string    `expr:"unit"`
	MeasuredBy       string    `expr:"measured_by"` // the KPI whose value it is, or ""
	Direction        string    `expr:"direction"`
	Commitment       string    `expr:"commitment"`
	ObjectiveStatus  string    `expr:"objective_status"`
	HasBaseline      bool      `expr:"has_baseline"`
	Baseline         float64   `expr:"baseline"`
	HasTarget        bool      `expr:"has_target"`
	Target           float64   `expr:"target"`
	HasCurrent       bool      `expr:"has_current"`
	Current          float64   `expr:"current"`
	HasConfidence    bool      `expr:"has_confidence"`
	Confidence       float64   `expr:"confidence"`
	HasDue           bool      `expr:"has_due"`
	Due              time.Time `expr:"due"`
	PeriodStart      time.Time `expr:"period_start"`
	PeriodEnd        time.Time `expr:"period_end"`
	HasScore         bool      `expr:"has_score"` // set at quarter close
	Score            float64   `expr:"score"`
	Progress         float64   `expr:"progress"`          // 0-1, see engine.KeyResult.Progress
	ExpectedProgress float64   `expr:"expected_progress"` // share of the time to due that has passed, 0-1
	CheckIns         int       `expr:"checkins"`
	DaysSinceCheckIn int       `expr:"days_since_checkin"` // -1 when never checked in
	CadenceDays      int       `expr:"cadence_days"`       // the team's
	KPIs             []*KPI    `expr:"kpis"`
	// Objectives are those cascaded under this key result (their parent).
	Objectives []*Objective `expr:"objectives"`
	// Shared are objectives under another parent that align to it too.
	Shared []*Objective `expr:"shared_objectives"`
	// The forecast of its value at its due date (else its period's end),
	// from its valued check-ins up to today, with its 80% interval and the
	// likelihood of reaching its target, 0-1 (see package forecast). Set
	// for an open key result with a target and three or more check-ins.
	// PnLLines are the P&L lines its objective reaches (through parents
	// and alignments); CriticalLines those of them the company marked
	// critical (plan.critical_pnl_lines).
	PnLLines           []string `expr:"pnl_lines"`
	CriticalLines      []string `expr:"critical_lines"`
	HasForecast        bool     `expr:"has_forecast"`
	Forecast           float64  `expr:"forecast"`
	ForecastLow        float64  `expr:"forecast_low"`
	ForecastHigh       float64  `expr:"forecast_high"`
	ForecastLikelihood float64  `expr:"forecast_likelihood"`
}

// KPI is a KPI with its links, trace and freshness.
type KPI struct {
	Key        string `expr:"key"`
	Name       string `expr:"name"`
	Definition string `expr:"definition"`
	Unit       string `expr:"unit"`
	// Kind is the declared kind, else the kind the name, unit or category
	// make clear (KindReason says which), else "": counted as neither.
	Kind         string `expr:"kind"` // outcome, activity or ""
	KindDeclared bool   `expr:"kind_declared"`
	KindReason   string `expr:"kind_reason"` // why an undeclared kind was inferred
	Category     string `expr:"category"`
	Owner        string `expr:"owner"`
	// OwnedBy is who answers for the KPI: its owner, else its team's lead
	// (OwnerIsLead), else "".
	OwnedBy     string   `expr:"owned_by"`
	OwnerIsLead bool     `expr:"owner_is_lead"`
	Team        string   `expr:"team"`
	Frequency   string   `expr:"frequency"`
	Source      string   `expr:"source"`
	Attribution string   `expr:"attribution"`
	Direction   string   `expr:"direction"`
	Formula     string   `expr:"formula"`
	Tags        []string `expr:"tags"`
	HasTarget   bool     `expr:"has_target"`
	Target      float64  `expr:"target"`
	// Thresholds: the values at which the KPI turns amber and red, and
	// which one its latest value is past ("critical", "warning" or "").
	HasWarning  bool    `expr:"has_warning"`
	Warning     float64 `expr:"warning"`
	HasCritical bool    `expr:"has_critical"`
	Critical    float64 `expr:"critical"`
	Breaching   string  `expr:"breaching"`
	// FormulaMissing names what the formula refers to that is no KPI;
	// FormulaError says why the formula does not parse.
	FormulaMissing []string `expr:"formula_missing"`
	FormulaError   string   `expr:"formula_error"`
	// NameConflicts are other KPIs with the same name (ignoring case) but
	// another unit or owner.
	NameConflicts []string `expr:"name_conflicts"`
	Links         []*Link  `expr:"links"`
	// Drives are the KPIs this one links to; DrivenBy those linking to it.
	Drives   []*KPI `expr:"drives"`
	DrivenBy []*KPI `expr:"driven_by"`
	// KeyResults and Objectives are those linked directly (a key result's
	// objective counts); BusinessObjectives those linked directly.
	KeyResults         []*KeyResult `expr:"key_results"`
	Objectives         []*Objective `expr:"objectives"`
	BusinessObjectives []string     `expr:"business_objectives"`
	// Measures are the key results whose value this KPI is (their
	// measured_by), linked to it or not.
	Measures []*KeyResult `expr:"measures"`
	// Trace: what the KPI reaches through links, driver links and parents.
	Reaches              []string  `expr:"reaches"`         // business objective keys
	PnLLines             []string  `expr:"pnl_lines"`       // their P&L lines
	Trace                []string  `expr:"trace"`           // one path, KPI first
	Aligned              bool      `expr:"aligned"`         // reaches a business objective with a P&L line
	ReachesOutcome       bool      `expr:"reaches_outcome"` // a driver path reaches an aligned outcome KPI
	Teams                []string  `expr:"teams"`           // teams of linked key results and objectives
	WindowDays           int       `expr:"window_days"`     // from frequency; 31 when unset
	HasMeasurement       bool      `expr:"has_measurement"`
	Latest               float64   `expr:"latest"`
	LatestAt             time.Time `expr:"latest_at"`
	DaysSinceMeasurement int       `expr:"days_since_measurement"` // -1 when never measured
	// Connector names where okrmap sync reads it ("" when it has no
	// measure); SyncFailed and SyncError say its last read failed, and why.
	Connector  string    `expr:"connector"`
	Synced     bool      `expr:"synced"` // read at least once
	SyncedAt   time.Time `expr:"synced_at"`
	SyncFailed bool      `expr:"sync_failed"`
	SyncError  string    `expr:"sync_error"`
}

// Link is one KPI link.
type Link struct {
	KPI         string        `expr:"kpi"`
	KPIKind     string        `expr:"kpi_kind"`
	Team        string        `expr:"team"` // the KPI's team
	To          string        `expr:"to"`
	ToKind      string        `expr:"to_kind"`
	ToStatus    string        `expr:"to_status"` // status of the objective it reaches, if any
	HasWeight   bool          `expr:"has_weight"`
	Weight      float64       `expr:"weight"`
	Rationale   string        `expr:"rationale"`
	Assumptions []*Assumption `expr:"assumptions"`
	Invalidated []string      `expr:"invalidated"` // keys of invalidated assumptions it rests on
}

// Assumption is an assumption with how much rests on it.
type Assumption struct {
	Key         string    `expr:"key"`
	Statement   string    `expr:"statement"`
	Owner       string    `expr:"owner"`
	Status      string    `expr:"status"`
	Evidence    string    `expr:"evidence"`
	HasReviewBy bool      `expr:"has_review_by"`
	ReviewBy    time.Time `expr:"review_by"`
	Links       int       `expr:"links"` // links resting on it
}

// Investment is a budget line with its return.
type Investment struct {
	Key               string  `expr:"key"`
	Name              string  `expr:"name"`
	Amount            float64 `expr:"amount"`
	Currency          string  `expr:"currency"`
	Period            string  `expr:"period"`
	Owner             string  `expr:"owner"`
	Objective         string  `expr:"objective"`
	Team              string  `expr:"team"` // the team of its objective
	HasReturn         bool    `expr:"has_return"`
	ReturnKPI         string  `expr:"return_kpi"`
	ReturnValue       float64 `expr:"return_value"`
	ReturnKPIMeasured bool    `expr:"return_kpi_measured"`
}

// FrequencyDays is how many days a frequency allows between measurements.
func FrequencyDays(frequency string) int {
	switch frequency {
	case "daily":
		return 1
	case "weekly":
		return 7
	case "monthly":
		return 31
	case "quarterly":
		return 92
	}
	return 31
}

// days returns whole days from a to b.
// days is the number of calendar days (UTC) from a's day to b's, never
// below 0: something recorded later today, or dated ahead, is 0 days old.
func days(a, b time.Time) int {
	da, db := engine.DateOf(a.UTC()).Time(), engine.DateOf(b.UTC()).Time()
	return max(0, int(math.Round(db.Sub(da).Hours()/24)))
}

// Resolve builds the graph. The plan should be valid; dangling references
// are skipped, not followed.
func Resolve(in Input) *Graph {
	p := in.Plan
	today := in.Today.Time()
	g := &Graph{Today: today}

	teams := map[string]*Team{}
	for _, t := range p.Teams {
		cadence := 7
		if t.Cadence != "" {
			cadence = FrequencyDays(t.Cadence)
		}
		rt := &Team{Key: t.Key, Name: t.Name, Function: t.Function, Cadence: t.Cadence, CadenceDays: cadence, Lead: t.Lead}
		teams[t.Key] = rt
		g.Teams = append(g.Teams, rt)
	}
	bos := map[string]*BusinessObjective{}
	for _, b := range p.BusinessObjectives {
		rb := &BusinessObjective{Key: b.Key, Title: b.Title, Category: b.Category, PnLLine: b.PnLLine, Owner: b.Owner,
			Period: b.Period, DaysSinceReview: -1}
		if b.Target != nil {
			rb.HasTarget, rb.Target = true, *b.Target
		}
		if !b.ReviewedAt.IsZero() {
			rb.Reviewed, rb.ReviewedAt, rb.DaysSinceReview = true, b.ReviewedAt.Time(), days(b.ReviewedAt.Time(), today)
		}
		bos[b.Key] = rb
		g.BusinessObjectives = append(g.BusinessObjectives, rb)
	}
	assumptions := map[string]*Assumption{}
	for _, a := range p.Assumptions {
		ra := &Assumption{Key: a.Key, Statement: a.Statement, Owner: a.Owner, Status: a.Status, Evidence: a.Evidence}
		if !a.ReviewBy.IsZero() {
			ra.HasReviewBy, ra.ReviewBy = true, a.ReviewBy.Time()
		}
		assumptions[a.Key] = ra
		g.Assumptions = append(g.Assumptions, ra)
	}

	checkins := map[string][]engine.CheckIn{}
	for _, c := range in.CheckIns {
		checkins[c.KeyResult] = append(checkins[c.KeyResult], c)
	}
	objs := map[string]*Objective{}
	krs := map[string]*KeyResult{}
	for _, o := range p.Objectives {
		ro := &Objective{Key: o.Key, Title: o.Title, Team: o.Team, Owner: o.Owner, Period: o.Period, Status: o.Status,
			StandaloneReason: o.StandaloneReason, Parent: o.Parent, AlignsTo: o.AlignsTo}
		if t := teams[o.Team]; t != nil {
			ro.TeamLead = t.Lead
		}
		if ro.Status == "" {
			ro.Status = "active" // what apply stores for a new objective
		}
		if per, err := engine.ParsePeriod(o.Period); err == nil {
			ro.PeriodStart, ro.PeriodEnd = per.Start.Time(), per.End.Time()
		}
		objs[o.Key] = ro
		g.Objectives = append(g.Objectives, ro)
		if t := teams[o.Team]; t != nil {
			t.Objectives = append(t.Objectives, ro)
		}
		for _, kr := range o.KeyResults {
			rk := resolveKR(kr, ro, checkins[kr.Key], today)
			if t := teams[o.Team]; t != nil {
				rk.CadenceDays = t.CadenceDays
			} else {
				rk.CadenceDays = 7
			}
			krs[kr.Key] = rk
			ro.KeyResults = append(ro.KeyResults, rk)
			g.KeyResults = append(g.KeyResults, rk)
		}
	}
	for _, ro := range g.Objectives {
		switch {
		case objs[ro.Parent] != nil:
			parent := objs[ro.Parent]
			ro.ParentKind, ro.ParentStatus, ro.ParentPeriod = string(engine.KindObjective), parent.Status, parent.Period
			parent.Children = append(parent.Children, ro)
		case bos[ro.Parent] != nil:
			ro.ParentKind, ro.ParentPeriod = string(engine.KindBusinessObjective), bos[ro.Parent].Period
			bos[ro.Parent].Objectives = append(bos[ro.Parent].Objectives, ro)
		case krs[ro.Parent] != nil:
			kr := krs[ro.Parent]
			ro.ParentKind = string(engine.KindKeyResult)
			if o := objs[kr.Objective]; o != nil {
				ro.ParentStatus, ro.ParentPeriod = o.Status, o.Period
			}
			kr.Objectives = append(kr.Objectives, ro)
		}
		seen := map[string]bool{ro.Key: true}
		for key := ro.Parent; key != "" && !seen[key]; {
			seen[key] = true
			ro.Ancestors = append(ro.Ancestors, key)
			if b := bos[key]; b != nil {
				ro.BusinessObjective, ro.PnLLine = b.Key, b.PnLLine
				b.AllObjectiveKeys = append(b.AllObjectiveKeys, ro.Key)
				break
			}
			if o := objs[key]; o != nil {
				key = o.Parent
				continue
			}
			if kr := krs[key]; kr != nil {
				key = kr.Objective
				continue
			}
			break
		}
		for _, a := range ro.AlignsTo {
			if kr := krs[a]; kr != nil {
				kr.Shared = append(kr.Shared, ro)
			}
		}
	}
	reached := map[*Objective]bool{}
	for _, ro := range g.Objectives {
		var lines []string
		for _, b := range reachAll(ro, objs, krs, reached) {
			if b != ro.BusinessObjective {
				bos[b].AllObjectiveKeys = append(bos[b].AllObjectiveKeys, ro.Key)
			}
			if l := bos[b].PnLLine; l != "" && !slices.Contains(lines, l) {
				lines = append(lines, l)
			}
		}
		var critical []string
		for _, l := range lines {
			if slices.Contains(engine.CriticalPnLLines, l) {
				critical = append(critical, l)
			}
		}
		for _, kr := range ro.KeyResults {
			kr.PnLLines, kr.CriticalLines = lines, critical
		}
	}

	kpis := make(map[string]*KPI, len(p.KPIs))
	g.KPIs = make([]*KPI, 0, len(p.KPIs))
	kpiArena := make([]KPI, len(p.KPIs)) // one allocation for all
	for i, k := range p.KPIs {
		// Field by field: a struct literal is built aside and copied whole,
		// every pointer in it behind a write barrier while the collector
		// runs, which took a quarter of resolving a million KPIs.
		rk := &kpiArena[i]
		rk.Key, rk.Name, rk.Definition, rk.Unit, rk.Kind = k.Key, k.Name, k.Definition, k.Unit, k.Kind
		rk.Category, rk.Owner, rk.Team, rk.Frequency, rk.Source = k.Category, k.Owner, k.Team, k.Frequency, k.Source
		rk.Attribution, rk.Direction, rk.Formula, rk.Tags = k.Attribution, k.Direction, k.Formula, k.Tags
		rk.WindowDays, rk.DaysSinceMeasurement = FrequencyDays(k.Frequency), -1
		rk.OwnedBy = k.Owner
		if t := teams[k.Team]; k.Owner == "" && t != nil && t.Lead != "" {
			rk.OwnedBy, rk.OwnerIsLead = t.Lead, true
		}
		if rk.KindDeclared = k.Kind != ""; !rk.KindDeclared {
			rk.Kind, rk.KindReason = inferKind(k.Name, k.Unit, k.Category)
		}
		if k.Target != nil {
			rk.HasTarget, rk.Target = true, *k.Target
		}
		if m, ok := in.Latest[k.Key]; ok {
			rk.HasMeasurement, rk.Latest, rk.LatestAt = true, m.Value, m.At
			rk.DaysSinceMeasurement = days(m.At, today)
			rk.Breaching = k.Thresholds.Breaching(k.Direction, m.Value)
		}
		if t := k.Thresholds; t != nil {
			if t.Warning != nil {
				rk.HasWarning, rk.Warning = true, *t.Warning
			}
			if t.Critical != nil {
				rk.HasCritical, rk.Critical = true, *t.Critical
			}
		}
		if k.Measure != nil {
			rk.Connector = k.Measure.From
			if st, ok := in.Syncs[k.Key]; ok {
				rk.Synced, rk.SyncedAt, rk.SyncFailed, rk.SyncError = true, st.At, st.Error != "", st.Error
			}
		}
		kpis[k.Key] = rk
		g.KPIs = append(g.KPIs, rk)
		if t := teams[k.Team]; t != nil {
			t.KPIs = append(t.KPIs, rk)
		}
	}
	nlinks := 0
	for _, k := range p.KPIs {
		nlinks += len(k.Links)
	}
	g.Links = make([]*Link, 0, nlinks)
	linkArena := make([]Link, nlinks)
	for i, k := range p.KPIs {
		rk := g.KPIs[i]
		for _, l := range k.Links {
			rl := &linkArena[len(g.Links)]
			*rl = Link{KPI: k.Key, KPIKind: rk.Kind, Team: k.Team, To: l.To, Rationale: l.Rationale}
			if l.Weight != nil {
				rl.HasWeight, rl.Weight = true, *l.Weight
			}
			for _, a := range l.Assumptions {
				if ra := assumptions[a]; ra != nil {
					ra.Links++
					rl.Assumptions = append(rl.Assumptions, ra)
					if ra.Status == "invalidated" {
						rl.Invalidated = append(rl.Invalidated, ra.Key)
					}
				}
			}
			// One lookup per kind, in turn: with a million KPIs each is a
			// cache miss.
			if kr := krs[l.To]; kr != nil {
				rl.ToKind, rl.ToStatus = string(engine.KindKeyResult), kr.ObjectiveStatus
				rk.KeyResults = append(rk.KeyResults, kr)
				kr.KPIs = append(kr.KPIs, rk)
				addObjective(rk, objs[kr.Objective])
			} else if o := objs[l.To]; o != nil {
				rl.ToKind, rl.ToStatus = string(engine.KindObjective), o.Status
				addObjective(rk, o)
			} else if bo := bos[l.To]; bo != nil {
				rl.ToKind = string(engine.KindBusinessObjective)
				rk.BusinessObjectives = append(rk.BusinessObjectives, l.To)
				bo.KPIs = append(bo.KPIs, rk)
			} else if driven := kpis[l.To]; driven != nil {
				rl.ToKind = string(engine.KindKPI)
				rk.Drives = append(rk.Drives, driven)
				driven.DrivenBy = append(driven.DrivenBy, rk)
			}
			rk.Links = append(rk.Links, rl)
			g.Links = append(g.Links, rl)
		}
	}
	for _, kr := range g.KeyResults {
		if k := kpis[kr.MeasuredBy]; k != nil {
			k.Measures = append(k.Measures, kr)
		}
	}
	t := &tracer{objs: objs, bos: bos, krs: krs, kpis: kpis, memo: make(map[*KPI]*reach, len(kpis))}
	for _, rk := range g.KPIs {
		r := t.kpi(rk)
		rk.Reaches, rk.Trace = r.bos, r.path
		for _, b := range rk.Reaches {
			if line := bos[b].PnLLine; line != "" && !slices.Contains(rk.PnLLines, line) {
				rk.PnLLines = append(rk.PnLLines, line)
			}
		}
		rk.Aligned = len(rk.PnLLines) > 0
	}
	for _, rk := range g.KPIs {
		rk.ReachesOutcome = len(rk.Drives) > 0 && reachesOutcome(rk, map[string]bool{})
	}
	resolveFormulas(g.KPIs)
	nameConflicts(g.KPIs)
	for _, in := range p.Investments {
		ri := &Investment{Key: in.Key, Name: in.Name, Amount: in.Amount, Currency: in.Currency, Period: in.Period,
			Owner: in.Owner, Objective: in.Objective}
		if o := objs[in.Objective]; o != nil {
			ri.Team = o.Team
		}
		if r := in.ExpectedReturn; r != nil {
			ri.HasReturn, ri.ReturnKPI, ri.ReturnValue = true, r.KPI, r.Value
			ri.ReturnKPIMeasured = kpis[r.KPI] != nil && kpis[r.KPI].HasMeasurement
		}
		g.Investments = append(g.Investments, ri)
	}
	return g
}

// resolveFormulas records formula references that name no KPI.
func resolveFormulas(kpis []*KPI) {
	byName := make(map[string]bool, len(kpis))
	for _, k := range kpis {
		byName[formula.Name(k.Key)] = true
	}
	for _, k := range kpis {
		if k.Formula == "" {
			continue
		}
		names, err := formula.Names(k.Formula)
		if err != nil {
			k.FormulaError = err.Error()
			continue
		}
		for _, n := range names {
			if !byName[n] {
				k.FormulaMissing = append(k.FormulaMissing, n)
			}
		}
	}
}

// maxConflicts caps how many conflicting KPIs one KPI lists.
const maxConflicts = 5

// nameConflicts finds KPIs defined twice under one name with different
// units or owners.
func nameConflicts(kpis []*KPI) {
	type definition struct{ unit, owner string }
	// Most names are unique: group by number, and gather the KPIs of the
	// names that repeat.
	group := make(map[string]int32, len(kpis))
	of := make([]int32, len(kpis)) // the group of each KPI
	var size []int32
	for i, k := range kpis {
		n := strings.ToLower(strings.TrimSpace(k.Name))
		g, ok := group[n]
		if !ok {
			g = int32(len(size))
			group[n] = g
			size = append(size, 0)
		}
		of[i] = g
		size[g]++
	}
	byGroup := map[int32][]*KPI{}
	for i, k := range kpis {
		if size[of[i]] > 1 {
			byGroup[of[i]] = append(byGroup[of[i]], k)
		}
	}
	for _, same := range byGroup {
		var defs []definition
		first := map[definition]string{} // definition -> first KPI key with it
		for _, k := range same {
			d := definition{k.Unit, k.Owner}
			if _, ok := first[d]; !ok {
				first[d] = k.Key
				defs = append(defs, d)
			}
		}
		if len(defs) < 2 {
			continue
		}
		for _, k := range same {
			for _, d := range defs {
				if d != (definition{k.Unit, k.Owner}) && len(k.NameConflicts) < maxConflicts {
					k.NameConflicts = append(k.NameConflicts, first[d])
				}
			}
		}
	}
}

func addObjective(k *KPI, o *Objective) {
	if o == nil {
		return
	}
	if !slices.Contains(k.Objectives, o) {
		k.Objectives = append(k.Objectives, o)
	}
	if !slices.Contains(o.KPIs, k) {
		o.KPIs = append(o.KPIs, k)
	}
	if o.Team != "" && !slices.Contains(k.Teams, o.Team) {
		k.Teams = append(k.Teams, o.Team)
	}
}

func resolveKR(kr engine.KeyResult, o *Objective, cs []engine.CheckIn, today time.Time) *KeyResult {
	r := &KeyResult{Key: kr.Key, Title: kr.Title, Objective: o.Key, Team: o.Team, Owner: kr.Owner, Unit: kr.Unit, MeasuredBy: kr.MeasuredBy,
		Direction: kr.Direction, Commitment: kr.Commitment, ObjectiveStatus: o.Status,
		PeriodStart: o.PeriodStart, PeriodEnd: o.PeriodEnd, Progress: kr.Progress(), CheckIns: len(cs), DaysSinceCheckIn: -1}
	set := func(has *bool, v *float64, p *float64) {
		if p != nil {
			*has, *v = true, *p
		}
	}
	set(&r.HasBaseline, &r.Baseline, kr.Baseline)
	set(&r.HasTarget, &r.Target, kr.Target)
	set(&r.HasCurrent, &r.Current, kr.Current)
	set(&r.HasConfidence, &r.Confidence, kr.Confidence)
	set(&r.HasScore, &r.Score, kr.Score)
	if !kr.Due.IsZero() {
		r.HasDue, r.Due = true, kr.Due.Time()
	}
	end := r.PeriodEnd
	if r.HasDue {
		end = r.Due
	}
	if !r.PeriodStart.IsZero() && end.After(r.PeriodStart) {
		r.ExpectedProgress = math.Max(0, math.Min(1, today.Sub(r.PeriodStart).Hours()/end.Sub(r.PeriodStart).Hours()))
	}
	var last time.Time
	for _, c := range cs {
		if c.At.After(last) {
			last = c.At
		}
	}
	if !last.IsZero() {
		r.DaysSinceCheckIn = days(last, today)
	}
	if r.HasTarget && o.Status != "closed" && len(cs) >= forecast.MinPoints {
		forecastKR(r, cs, end, today)
	}
	return r
}

// forecastKR sets r's forecast at due from its valued check-ins up to
// today.
func forecastKR(r *KeyResult, cs []engine.CheckIn, due, today time.Time) {
	ps := make([]forecast.Point, 0, len(cs))
	until := today.AddDate(0, 0, 1)
	for _, c := range cs {
		if !c.Comment && c.At.Before(until) {
			ps = append(ps, forecast.Point{At: c.At, Value: c.Value})
		}
	}
	if f, ok := forecast.Make(ps, due, forecast.Target{Value: r.Target, Direction: r.Direction}); ok {
		r.HasForecast, r.Forecast, r.ForecastLow, r.ForecastHigh, r.ForecastLikelihood = true, f.Value, f.Low, f.High, f.Likelihood
	}
}

// tracer finds what KPIs reach, reusing each objective's parent chain and
// each KPI's result.
type tracer struct {
	objs map[string]*Objective
	bos  map[string]*BusinessObjective
	krs  map[string]*KeyResult
	kpis map[string]*KPI
	memo map[*KPI]*reach // each KPI's trace; nil while in progress
}

// reach is what one node reaches: business objectives in link order, and
// one path, the first that ends on a business objective or else the
// longest dead end.
type reach struct {
	bos  []string
	path []string
}

func (r *reach) ends(t *tracer) bool { return len(r.path) > 0 && t.bos[r.path[len(r.path)-1]] != nil }

func (t *tracer) objective(o *Objective) *reach {
	return &reach{path: append([]string{o.Key}, o.Ancestors...), bos: o.BusinessObjectives}
}

// reachAll sets and returns o.BusinessObjectives: what its parent chain
// reaches, then what the objectives of the key results it aligns to reach,
// along their own chains and alignments. done marks objectives finished or
// in progress, so a cycle in an invalid plan ends.
func reachAll(o *Objective, objs map[string]*Objective, krs map[string]*KeyResult, done map[*Objective]bool) []string {
	if done[o] {
		return o.BusinessObjectives
	}
	done[o] = true
	var out []string
	if o.BusinessObjective != "" {
		out = append(out, o.BusinessObjective)
	}
	add := func(from *Objective) {
		for _, b := range reachAll(from, objs, krs, done) {
			if !slices.Contains(out, b) {
				out = append(out, b)
			}
		}
	}
	// The chain's objectives may align elsewhere too.
	for _, key := range o.Ancestors {
		if a := objs[key]; a != nil && len(a.AlignsTo) > 0 {
			add(a)
		}
	}
	for _, key := range o.AlignsTo {
		if kr := krs[key]; kr != nil && objs[kr.Objective] != nil {
			add(objs[kr.Objective])
		}
	}
	o.BusinessObjectives = out
	return out
}

func (t *tracer) node(key string) *reach {
	if t.bos[key] != nil {
		return &reach{bos: []string{key}, path: []string{key}}
	}
	if kr := t.krs[key]; kr != nil {
		r := &reach{path: []string{key}}
		if o := t.objs[kr.Objective]; o != nil {
			or := t.objective(o)
			r.bos, r.path = or.bos, append(r.path, or.path...)
		}
		return r
	}
	if o := t.objs[key]; o != nil {
		return t.objective(o)
	}
	if k := t.kpis[key]; k != nil {
		return t.kpi(k)
	}
	return &reach{path: []string{key}}
}

func (t *tracer) kpi(k *KPI) *reach {
	if r, done := t.memo[k]; done {
		if r == nil { // a driver cycle in an invalid plan
			return &reach{path: []string{k.Key}}
		}
		return r
	}
	t.memo[k] = nil
	r := &reach{}
	var best *reach
	bestEnds := false
	for _, l := range k.Links {
		lr := t.node(l.To)
		for _, b := range lr.bos {
			if !slices.Contains(r.bos, b) {
				r.bos = append(r.bos, b)
			}
		}
		if best == nil || !bestEnds && (lr.ends(t) || len(lr.path) > len(best.path)) {
			best, bestEnds = lr, lr.ends(t)
		}
	}
	r.path = []string{k.Key}
	if best != nil {
		r.path = append(r.path, best.path...)
	}
	t.memo[k] = r
	return r
}

// reachesOutcome reports whether k drives, directly or through other KPIs,
// an aligned outcome KPI.
func reachesOutcome(k *KPI, seen map[string]bool) bool {
	if seen[k.Key] {
		return false
	}
	seen[k.Key] = true
	for _, d := range k.Drives {
		if d.Kind == "outcome" && d.Aligned || reachesOutcome(d, seen) {
			return true
		}
	}
	return false
}
