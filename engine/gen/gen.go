// Package gen generates valid, linked, realistic synthetic plans of any size
// for benchmarks, load tests and demos.
package gen

import (
	"fmt"
	"math/rand/v2"

	"github.com/okrmap/okrmap/engine"
)

// Options shape a generated plan.
type Options struct {
	KPIs   int    // number of KPIs; other kinds scale with it
	Seed   uint64 // same seed, same plan
	Period string // quarter of the objectives; default 2026-Q4
	Teams  int    // number of teams; at least the five base teams
	// ObjectivesPerTeam sets the number of objectives to Teams times it;
	// 0 is one objective per 10 KPIs.
	ObjectivesPerTeam int
	// CascadeDepth bounds chains of team objectives under one another
	// (1: every objective sits directly under a business objective); 0 is 4.
	CascadeDepth int
	// DriverChain bounds chains of activity KPIs driving one another down
	// to an outcome KPI (1: activities drive outcomes only); 0 is 1.
	DriverChain int
	// KPIsPerBusinessObjective sets how many business objectives there
	// are (five at least); 0 is 2,000.
	KPIsPerBusinessObjective int
	// OutcomeShare is the share of KPIs that are outcomes, above 0 and
	// at most 1 (the rest are activities, which drive outcomes); 0 is 0.6.
	OutcomeShare float64
}

// Check reports options that cannot make a plan.
func (o Options) Check() error {
	switch {
	case o.KPIs < 1:
		return engine.Errorf(engine.EINVALID, "generate at least one KPI")
	case o.ObjectivesPerTeam < 0, o.CascadeDepth < 0, o.DriverChain < 0, o.KPIsPerBusinessObjective < 0:
		return engine.Errorf(engine.EINVALID, "objectives per team, cascade depth, driver chain and KPIs per business objective cannot be negative")
	case o.OutcomeShare < 0 || o.OutcomeShare > 1:
		return engine.Errorf(engine.EINVALID, "the outcome share is above 0 and at most 1 (activities drive outcomes), not %g", o.OutcomeShare)
	case o.CascadeDepth > engine.MaxDepth || o.DriverChain > engine.MaxDepth:
		return engine.Errorf(engine.EINVALID, "cascade depth and driver chain are at most %d (plan.max_depth)", engine.MaxDepth)
	}
	return nil
}

func (o Options) withDefaults() Options {
	if o.Period == "" {
		o.Period = "2026-Q4"
	}
	if o.CascadeDepth == 0 {
		o.CascadeDepth = 4
	}
	if o.DriverChain == 0 {
		o.DriverChain = 1
	}
	if o.KPIsPerBusinessObjective == 0 {
		o.KPIsPerBusinessObjective = 2000
	}
	if o.OutcomeShare == 0 {
		o.OutcomeShare = 0.6
	}
	return o
}

var teams = []engine.Team{
	{Key: "marketing", Name: "Marketing", Function: "marketing", Cadence: "weekly"},
	{Key: "sales", Name: "Sales", Function: "sales", Cadence: "weekly"},
	{Key: "product", Name: "Product", Function: "product", Cadence: "monthly"},
	{Key: "finance", Name: "Finance", Function: "finance", Cadence: "monthly"},
	{Key: "customer-success", Name: "Customer Success", Function: "customer_success", Cadence: "weekly"},
}

var anchors = []struct{ category, pnl, title string }{
	{"revenue_growth", "revenue", "Grow recurring revenue"},
	{"profitability", "gross_margin", "Lift gross margin"},
	{"market_share", "revenue", "Win share in the mid-market"},
	{"brand_equity", "brand_equity", "Become the recognised category leader"},
	{"customer_experience", "retention", "Keep the customers we win"},
}

var segments = []string{"SME", "Mid-market", "Enterprise", "EMEA", "North America", "APAC", "Self-serve", "Partner", "Public sector", "Healthcare"}

type metric struct {
	name, unit, kind, category, direction string
}

var outcomes = []metric{
	{"sourced pipeline", "USD", "outcome", "pipeline", "increase"},
	{"influenced revenue", "USD", "outcome", "revenue", "increase"},
	{"customer acquisition cost", "USD", "outcome", "efficiency", "decrease"},
	{"net revenue retention", "percent", "outcome", "customer", "increase"},
	{"win rate", "percent", "outcome", "pipeline", "increase"},
	{"gross margin", "percent", "outcome", "finance", "increase"},
	{"logo churn", "percent", "outcome", "customer", "decrease"},
	{"net promoter score", "score", "outcome", "brand", "increase"},
}

var activities = []metric{
	{"webinar registrations", "count", "activity", "pipeline", "increase"},
	{"demo requests", "count", "activity", "pipeline", "increase"},
	{"outbound calls", "count", "activity", "pipeline", "increase"},
	{"email open rate", "percent", "activity", "brand", "increase"},
	{"paid search clicks", "count", "activity", "pipeline", "increase"},
	{"onboarding sessions", "count", "activity", "customer", "increase"},
}

var attributions = []string{"first_touch", "last_touch", "multi_touch", "data_driven"}

// planTeams returns the base teams and, past them, regional squads of
// each base team's function until there are n.
func planTeams(n int) []engine.Team {
	out := append([]engine.Team(nil), teams...)
	for i := len(teams); i < n; i++ {
		b := teams[i%len(teams)]
		seg := segments[(i/len(teams)-1)%len(segments)]
		out = append(out, engine.Team{Key: fmt.Sprintf("%s-%d", b.Key, i/len(teams)+1), Name: b.Name + " " + seg,
			Function: b.Function, Cadence: b.Cadence})
	}
	return out
}

// Plan returns a valid plan with o.KPIs KPIs: objectives with three key
// results each (see Options); per 50 KPIs an assumption; per 100 an
// investment; o.Teams teams (five at least) and at least five business
// objectives. Outcome KPIs link to key results; activity KPIs drive
// outcome KPIs, or other activities up to o.DriverChain deep.
func Plan(o Options) (*engine.Plan, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	o = o.withDefaults()
	per, err := engine.ParsePeriod(o.Period)
	if err != nil {
		return nil, engine.Errorf(engine.EINVALID, "%v", err)
	}
	r := rand.New(rand.NewPCG(o.Seed, 0x6f6b726d))
	pick := func(n int) int { return r.IntN(n) }
	f := func(x float64) *float64 { return &x }

	p := &engine.Plan{Version: 1, Period: per.Name, Teams: planTeams(o.Teams)}
	teams := p.Teams
	nBO := max(len(anchors), o.KPIs/o.KPIsPerBusinessObjective)
	for i := range nBO {
		a := anchors[i%len(anchors)]
		p.BusinessObjectives = append(p.BusinessObjectives, engine.BusinessObjective{
			Key: fmt.Sprintf("bo-%04d", i), Title: fmt.Sprintf("%s (%s)", a.title, segments[i%len(segments)]),
			Category: a.category, PnLLine: a.pnl, Owner: "ceo@example.com", Period: fmt.Sprintf("FY%d", per.Start.Time().Year()),
			ReviewedAt: per.Start.AddDays(-pick(120)),
		})
	}
	nAssume := max(1, o.KPIs/50)
	for i := range nAssume {
		p.Assumptions = append(p.Assumptions, engine.Assumption{
			Key: fmt.Sprintf("as-%05d", i), Statement: fmt.Sprintf("%s close rate stays above %d%%", segments[i%len(segments)], 10+pick(20)),
			Owner: "finance@example.com", Status: []string{"untested", "holding", "holding", "holding", "holding", "holding", "holding", "holding", "holding", "invalidated"}[pick(10)],
		})
	}
	nObj := max(1, o.KPIs/10)
	if o.ObjectivesPerTeam > 0 {
		nObj = len(teams) * o.ObjectivesPerTeam
	}
	depth := make([]int, nObj) // objectives from the business objective down
	var krKeys []string
	for i := range nObj {
		t := teams[i%len(teams)]
		obj := engine.Objective{
			Key: fmt.Sprintf("obj-%05d", i), Title: fmt.Sprintf("Win the %s segment", segments[pick(len(segments))]),
			Team: t.Key, Owner: t.Key + "-lead@example.com", Period: per.Name, Parent: p.BusinessObjectives[i%nBO].Key,
		}
		depth[i] = 1
		if i >= nBO && pick(3) == 0 {
			if up := pick(i); depth[up] < o.CascadeDepth {
				obj.Parent = fmt.Sprintf("obj-%05d", up) // a team objective under another
				depth[i] = depth[up] + 1
			}
		}
		for j := range 3 {
			m := outcomes[pick(len(outcomes))]
			base := float64(100 + pick(10000))
			target := base * 1.25
			if m.direction == "decrease" {
				target = base * 0.8
			}
			kr := engine.KeyResult{
				Key: fmt.Sprintf("kr-%05d-%d", i, j), Title: fmt.Sprintf("%s %s", segments[pick(len(segments))], m.name),
				Unit: m.unit, Baseline: f(base), Target: f(target), Direction: m.direction, Due: per.End,
				Owner: obj.Owner, Commitment: "committed",
			}
			obj.KeyResults = append(obj.KeyResults, kr)
			krKeys = append(krKeys, kr.Key)
		}
		p.Objectives = append(p.Objectives, obj)
	}
	outcomeKeys := make([]string, 0, o.KPIs)
	var drivers []int            // indexes of activity KPIs that may drive others
	chain := make([]int, o.KPIs) // driver links from the KPI down to an outcome
	p.KPIs = make([]engine.KPI, 0, o.KPIs)
	for i := range o.KPIs {
		t := teams[pick(len(teams))]
		k := engine.KPI{Key: fmt.Sprintf("kpi-%06d", i), Team: t.Key, Owner: t.Key + "-ops@example.com",
			Frequency: []string{"daily", "weekly", "weekly", "monthly"}[pick(4)], Source: "warehouse"}
		if len(outcomeKeys) == 0 || r.Float64() < o.OutcomeShare {
			m := outcomes[pick(len(outcomes))]
			k.Name, k.Unit, k.Kind, k.Category, k.Direction = fmt.Sprintf("%s %s %d", segments[pick(len(segments))], m.name, i), m.unit, m.kind, m.category, m.direction
			if m.category == "revenue" || m.category == "pipeline" {
				k.Attribution = attributions[pick(len(attributions))]
			}
			k.Links = []engine.Link{{To: krKeys[pick(len(krKeys))], Weight: f(float64(1+pick(10)) / 10),
				Rationale: "moves the key result it reports on", Assumptions: []string{p.Assumptions[pick(nAssume)].Key}}}
			outcomeKeys = append(outcomeKeys, k.Key)
		} else {
			m := activities[pick(len(activities))]
			k.Name, k.Unit, k.Kind, k.Category, k.Direction = fmt.Sprintf("%s %s %d", segments[pick(len(segments))], m.name, i), m.unit, m.kind, m.category, m.direction
			// Driver links only point at earlier KPIs: no cycles.
			to := outcomeKeys[pick(len(outcomeKeys))]
			chain[i] = 1
			if len(drivers) > 0 && pick(2) == 0 {
				if d := drivers[pick(len(drivers))]; chain[d] < o.DriverChain {
					to, chain[i] = p.KPIs[d].Key, chain[d]+1
				}
			}
			k.Links = []engine.Link{{To: to, Rationale: "leading indicator of the outcome"}}
			if o.DriverChain > 1 {
				drivers = append(drivers, i)
			}
		}
		p.KPIs = append(p.KPIs, k)
	}
	for i := range max(1, o.KPIs/100) {
		obj := p.Objectives[pick(nObj)]
		p.Investments = append(p.Investments, engine.Investment{
			Key: fmt.Sprintf("inv-%05d", i), Name: fmt.Sprintf("%s programme %d", segments[pick(len(segments))], i),
			Amount: float64(10000 + pick(500000)), Currency: "USD", Period: per.Name, Objective: obj.Key,
			ExpectedReturn: &engine.ExpectedReturn{KPI: outcomeKeys[pick(len(outcomeKeys))], Value: float64(50000 + pick(2000000))},
		})
	}
	return p, nil
}
