package engine

// Graph indexes a valid plan for walking it: from business objectives down
// through objectives and key results to KPIs, and from any key to the KPIs
// that link to it. Traces upwards are resolve's.
type Graph struct {
	Plan               *Plan
	Teams              map[string]*Team
	BusinessObjectives map[string]*BusinessObjective
	Objectives         map[string]*Objective
	KeyResults         map[string]*KeyResult
	KPIs               map[string]*KPI
	// Children maps an objective or business objective to the objectives
	// whose parent it is, in plan order.
	Children map[string][]string
	// LinkedFrom maps any key to the KPIs that link to it, in plan order.
	LinkedFrom map[string][]string
}

// NewGraph indexes p. p should be valid; dangling references are ignored.
func NewGraph(p *Plan) *Graph {
	g := &Graph{
		Plan:               p,
		Teams:              make(map[string]*Team, len(p.Teams)),
		BusinessObjectives: make(map[string]*BusinessObjective, len(p.BusinessObjectives)),
		Objectives:         make(map[string]*Objective, len(p.Objectives)),
		KeyResults:         map[string]*KeyResult{},
		KPIs:               make(map[string]*KPI, len(p.KPIs)),
		Children:           map[string][]string{},
		LinkedFrom:         map[string][]string{},
	}
	for i := range p.Teams {
		g.Teams[p.Teams[i].Key] = &p.Teams[i]
	}
	for i := range p.BusinessObjectives {
		g.BusinessObjectives[p.BusinessObjectives[i].Key] = &p.BusinessObjectives[i]
	}
	for i := range p.Objectives {
		o := &p.Objectives[i]
		g.Objectives[o.Key] = o
		if o.Parent != "" {
			g.Children[o.Parent] = append(g.Children[o.Parent], o.Key)
		}
		for j := range o.KeyResults {
			kr := &o.KeyResults[j]
			kr.Objective = o.Key
			g.KeyResults[kr.Key] = kr
		}
	}
	for i := range p.KPIs {
		k := &p.KPIs[i]
		g.KPIs[k.Key] = k
		for _, l := range k.Links {
			g.LinkedFrom[l.To] = append(g.LinkedFrom[l.To], k.Key)
		}
	}
	return g
}
