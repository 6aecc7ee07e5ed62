package engine

import "time"

// Kind names an entity kind. Keys share one namespace across all kinds.
type Kind string

// Entity kinds.
const (
	KindTeam              Kind = "team"
	KindBusinessObjective Kind = "business_objective"
	KindObjective         Kind = "objective"
	KindKeyResult         Kind = "key_result"
	KindKPI               Kind = "kpi"
	KindAssumption        Kind = "assumption"
	KindInvestment        Kind = "investment"
)

// Kinds lists every entity kind in the order a plan declares them.
var Kinds = []Kind{KindTeam, KindBusinessObjective, KindObjective, KindKeyResult, KindKPI, KindAssumption, KindInvestment}

// Enumerations. Plan files, the JSON Schema and validation use these lists.
var (
	Functions = []string{"marketing", "sales", "product", "finance", "customer_success",
		"engineering", "operations", "people", "executive", "other"}
	BusinessCategories = []string{"revenue_growth", "profitability", "market_share",
		"brand_equity", "customer_experience"}
	ObjectiveStatuses = []string{"draft", "active", "closed"}
	Directions        = []string{"increase", "decrease", "maintain"}
	Commitments       = []string{"committed", "aspirational"}
	KPIKinds          = []string{"outcome", "activity"}
	KPICategories     = []string{"revenue", "pipeline", "brand", "customer", "efficiency", "product", "operations", "finance", "people"}

	// A company's own team functions, business-objective categories and
	// KPI categories (plan.functions, plan.business_categories,
	// plan.kpi_categories), allowed beside the built-in ones: a hospital
	// has clinical teams and safety KPIs.
	CompanyFunctions, CompanyBusinessCategories, CompanyKPICategories []string
	// CriticalPnLLines are the P&L lines the company marked critical
	// (plan.critical_pnl_lines): a key result on one forecast to miss is an
	// error, not a warning.
	CriticalPnLLines   []string
	Frequencies        = []string{"daily", "weekly", "monthly", "quarterly"}
	AttributionModels  = []string{"first_touch", "last_touch", "multi_touch", "data_driven"}
	AssumptionStatuses = []string{"untested", "holding", "invalidated"}
)

// Source records where a plan entity was read from. It is not stored.
type Source struct {
	File string // the plan file
	Path string // JSON pointer to the entity inside the file
}

// Plan is a set of entities: what a plan file declares, what apply writes,
// and what export reads back. KeyResults nest in Objectives, Links in KPIs.
type Plan struct {
	Version            int                 `json:"version" yaml:"version"`
	Period             string              `json:"period,omitempty" yaml:"period,omitempty"`
	Teams              []Team              `json:"teams,omitempty" yaml:"teams,omitempty"`
	BusinessObjectives []BusinessObjective `json:"business_objectives,omitempty" yaml:"business_objectives,omitempty"`
	Objectives         []Objective         `json:"objectives,omitempty" yaml:"objectives,omitempty"`
	KPIs               []KPI               `json:"kpis,omitempty" yaml:"kpis,omitempty"`
	Assumptions        []Assumption        `json:"assumptions,omitempty" yaml:"assumptions,omitempty"`
	Investments        []Investment        `json:"investments,omitempty" yaml:"investments,omitempty"`
}

// Team is a group that owns objectives and KPIs.
type Team struct {
	Key      string `json:"key" yaml:"key"`
	Name     string `json:"name" yaml:"name"`
	Function string `json:"function,omitempty" yaml:"function,omitempty"`
	// Cadence is how often the team checks in on its key results.
	Cadence string `json:"cadence,omitempty" yaml:"cadence,omitempty"`
	// Lead answers for what the team owns without a named owner: a KPI
	// without an owner is its team lead's.
	Lead string `json:"lead,omitempty" yaml:"lead,omitempty"`
	Src  Source `json:"-" yaml:"-"`
}

// BusinessObjective is a company-level priority that sits on a P&L line.
type BusinessObjective struct {
	Key         string   `json:"key" yaml:"key"`
	Title       string   `json:"title" yaml:"title"`
	Description string   `json:"description,omitempty" yaml:"description,omitempty"`
	Category    string   `json:"category,omitempty" yaml:"category,omitempty"`
	PnLLine     string   `json:"pnl_line,omitempty" yaml:"pnl_line,omitempty"`
	Owner       string   `json:"owner,omitempty" yaml:"owner,omitempty"`
	Period      string   `json:"period,omitempty" yaml:"period,omitempty"`
	Target      *float64 `json:"target,omitempty" yaml:"target,omitempty"`
	Unit        string   `json:"unit,omitempty" yaml:"unit,omitempty"`
	ReviewedAt  Date     `json:"reviewed_at,omitzero" yaml:"reviewed_at,omitempty"`
	Src         Source   `json:"-" yaml:"-"`
}

// Objective is a team's OKR objective. Parent names another objective, a key
// result or a business objective; parents form a tree. AlignsTo names more
// key results the objective also serves, beside its parent line.
type Objective struct {
	Key         string `json:"key" yaml:"key"`
	Title       string `json:"title" yaml:"title"`
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
	Team        string `json:"team,omitempty" yaml:"team,omitempty"`
	Owner       string `json:"owner,omitempty" yaml:"owner,omitempty"`
	Period      string `json:"period,omitempty" yaml:"period,omitempty"`
	Parent      string `json:"parent,omitempty" yaml:"parent,omitempty"`
	// AlignsTo names key results besides the parent that the objective
	// serves: it is traced and drawn under each, and counted once.
	AlignsTo []string `json:"aligns_to,omitempty" yaml:"aligns_to,omitempty"`
	// StandaloneReason explains an objective that deliberately has no parent.
	StandaloneReason string `json:"standalone_reason,omitempty" yaml:"standalone_reason,omitempty"`
	// Status is draft, active or closed; left empty in a plan it keeps the
	// stored value (active for a new objective).
	Status     string      `json:"status,omitempty" yaml:"status,omitempty"`
	KeyResults []KeyResult `json:"key_results,omitempty" yaml:"key_results,omitempty"`
	Src        Source      `json:"-" yaml:"-"`
}

// KeyResult is a measurable result of an objective: baseline to target by due.
// Current, Confidence and Score are state: left out of a plan they keep the
// stored value; check-ins and quarter close update them.
type KeyResult struct {
	Key   string `json:"key" yaml:"key"`
	Title string `json:"title" yaml:"title"`
	// Description says what the key result means and how it is counted.
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
	Owner       string `json:"owner,omitempty" yaml:"owner,omitempty"`
	Unit        string `json:"unit,omitempty" yaml:"unit,omitempty"`
	// MeasuredBy is the KPI whose value this key result is: each new
	// measurement of it becomes a check-in.
	MeasuredBy string   `json:"measured_by,omitempty" yaml:"measured_by,omitempty"`
	Baseline   *float64 `json:"baseline,omitempty" yaml:"baseline,omitempty"`
	Target     *float64 `json:"target,omitempty" yaml:"target,omitempty"`
	Direction  string   `json:"direction,omitempty" yaml:"direction,omitempty"`
	Due        Date     `json:"due,omitzero" yaml:"due,omitempty"`
	Commitment string   `json:"commitment,omitempty" yaml:"commitment,omitempty"`
	Current    *float64 `json:"current,omitempty" yaml:"current,omitempty"`
	Confidence *float64 `json:"confidence,omitempty" yaml:"confidence,omitempty"`
	Score      *float64 `json:"score,omitempty" yaml:"score,omitempty"`
	Objective  string   `json:"-" yaml:"-"` // set from the enclosing objective
	Src        Source   `json:"-" yaml:"-"`
}

// KPI is an indicator a team tracks. Links say which objective it moves.
type KPI struct {
	Key         string      `json:"key" yaml:"key"`
	Name        string      `json:"name" yaml:"name"`
	Definition  string      `json:"definition,omitempty" yaml:"definition,omitempty"`
	Unit        string      `json:"unit,omitempty" yaml:"unit,omitempty"`
	Kind        string      `json:"kind,omitempty" yaml:"kind,omitempty"`
	Category    string      `json:"category,omitempty" yaml:"category,omitempty"`
	Owner       string      `json:"owner,omitempty" yaml:"owner,omitempty"`
	Team        string      `json:"team,omitempty" yaml:"team,omitempty"`
	Frequency   string      `json:"frequency,omitempty" yaml:"frequency,omitempty"`
	Source      string      `json:"source,omitempty" yaml:"source,omitempty"`
	Attribution string      `json:"attribution,omitempty" yaml:"attribution,omitempty"`
	Direction   string      `json:"direction,omitempty" yaml:"direction,omitempty"`
	Target      *float64    `json:"target,omitempty" yaml:"target,omitempty"`
	Thresholds  *Thresholds `json:"thresholds,omitempty" yaml:"thresholds,omitempty"`
	// Formula is an expression over other KPIs' keys (with - written as _).
	Formula string   `json:"formula,omitempty" yaml:"formula,omitempty"`
	Tags    []string `json:"tags,omitempty" yaml:"tags,omitempty"`
	// Measure says where okrmap sync reads the KPI's values.
	Measure *Measure `json:"measure,omitempty" yaml:"measure,omitempty"`
	Links   []Link   `json:"links,omitempty" yaml:"links,omitempty"`
	Src     Source   `json:"-" yaml:"-"`
}

// Measure says where a KPI's values are read: from a connector named in
// the configuration, with what query, and how often.
type Measure struct {
	From string `json:"from" yaml:"from"`
	// Query is what the connector runs: SQL, PromQL, a URL or path for
	// HTTP JSON, the row key of a CSV (the KPI's key when empty).
	Query string `json:"query,omitempty" yaml:"query,omitempty"`
	// Value and At are expr expressions that pick the value and its time
	// out of an HTTP JSON response (body).
	Value string `json:"value,omitempty" yaml:"value,omitempty"`
	At    string `json:"at,omitempty" yaml:"at,omitempty"`
	// Every is how often a value is due; the KPI's frequency when empty.
	Every string `json:"every,omitempty" yaml:"every,omitempty"`
}

// Thresholds are the values at which a KPI turns amber and red.
type Thresholds struct {
	Warning  *float64 `json:"warning,omitempty" yaml:"warning,omitempty"`
	Critical *float64 `json:"critical,omitempty" yaml:"critical,omitempty"`
}

// Breaching says which threshold value v is past for a KPI going in
// direction: "critical", "warning", or "" for neither. A KPI to decrease
// breaches at or above a threshold; any other at or below it.
func (t *Thresholds) Breaching(direction string, v float64) string {
	if t == nil {
		return ""
	}
	past := func(limit *float64) bool {
		if limit == nil {
			return false
		}
		if direction == "decrease" {
			return v >= *limit
		}
		return v <= *limit
	}
	switch {
	case past(t.Critical):
		return "critical"
	case past(t.Warning):
		return "warning"
	}
	return ""
}

// Link says that moving a KPI moves the entity To: a key result, an
// objective, a business objective, or another KPI (a driver link).
type Link struct {
	To          string   `json:"to" yaml:"to"`
	Weight      *float64 `json:"weight,omitempty" yaml:"weight,omitempty"`
	Rationale   string   `json:"rationale,omitempty" yaml:"rationale,omitempty"`
	Assumptions []string `json:"assumptions,omitempty" yaml:"assumptions,omitempty"`
	Src         Source   `json:"-" yaml:"-"`
}

// Assumption is a written-down belief a plan rests on.
type Assumption struct {
	Key       string `json:"key" yaml:"key"`
	Statement string `json:"statement" yaml:"statement"`
	Owner     string `json:"owner,omitempty" yaml:"owner,omitempty"`
	Status    string `json:"status,omitempty" yaml:"status,omitempty"`
	Evidence  string `json:"evidence,omitempty" yaml:"evidence,omitempty"`
	ReviewBy  Date   `json:"review_by,omitzero" yaml:"review_by,omitempty"`
	Src       Source `json:"-" yaml:"-"`
}

// Investment is a budget line with the return it is expected to bring.
type Investment struct {
	Key            string          `json:"key" yaml:"key"`
	Name           string          `json:"name" yaml:"name"`
	Amount         float64         `json:"amount" yaml:"amount"`
	Currency       string          `json:"currency,omitempty" yaml:"currency,omitempty"`
	Period         string          `json:"period,omitempty" yaml:"period,omitempty"`
	Owner          string          `json:"owner,omitempty" yaml:"owner,omitempty"`
	Objective      string          `json:"objective,omitempty" yaml:"objective,omitempty"`
	ExpectedReturn *ExpectedReturn `json:"expected_return,omitempty" yaml:"expected_return,omitempty"`
	Src            Source          `json:"-" yaml:"-"`
}

// ExpectedReturn is the KPI value an investment is expected to produce.
type ExpectedReturn struct {
	KPI   string  `json:"kpi" yaml:"kpi"`
	Value float64 `json:"value" yaml:"value"`
}

// CheckIn is one progress report on a key result. Check-ins are append-only.
type CheckIn struct {
	KeyResult  string    `json:"key_result" yaml:"key_result"`
	At         time.Time `json:"at" yaml:"at"`
	Value      float64   `json:"value" yaml:"value"`
	Confidence *float64  `json:"confidence,omitempty" yaml:"confidence,omitempty"`
	Note       string    `json:"note,omitempty" yaml:"note,omitempty"`
	Author     string    `json:"author,omitempty" yaml:"author,omitempty"`
	// Comment marks a check-in that is words only (its note), without a
	// value: it counts as a check-in for the rhythm and never moves
	// progress. Value is 0.
	Comment bool `json:"comment,omitempty" yaml:"comment,omitempty"`
}

// Measurement is one observed value of a KPI. Measurements are append-only.
type Measurement struct {
	KPI    string    `json:"kpi" yaml:"kpi"`
	At     time.Time `json:"at" yaml:"at"`
	Value  float64   `json:"value" yaml:"value"`
	Author string    `json:"author,omitempty" yaml:"author,omitempty"`
	Note   string    `json:"note,omitempty" yaml:"note,omitempty"`
}

// SyncStatus is how the last read of a KPI from its connector went.
type SyncStatus struct {
	KPI       string    `json:"kpi" yaml:"kpi"`
	Connector string    `json:"connector" yaml:"connector"`
	At        time.Time `json:"at" yaml:"at"`
	Error     string    `json:"error,omitempty" yaml:"error,omitempty"` // "" when it read a value
}

// Latest returns each KPI's most recent measurement among ms.
func Latest(ms []Measurement) map[string]Measurement {
	out := map[string]Measurement{}
	for _, m := range ms {
		if prev, ok := out[m.KPI]; !ok || m.At.After(prev.At) {
			out[m.KPI] = m
		}
	}
	return out
}
