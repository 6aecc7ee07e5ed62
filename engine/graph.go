package engine

// Graph indexes a valid plan for walking the alignment: from business
// objectives down through objectives and key results to KPIs, and from a
// KPI up through its links to business objectives.
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

	reaches map[string]bool // KPI or objective key -> trace reaches a business objective
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
		reaches:            map[string]bool{},
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

// ReachesBusinessObjective reports whether key (a KPI, key result, objective
// or business objective) traces up to a business objective: through links,
// driver links, key results' objectives and objectives' parents.
func (g *Graph) ReachesBusinessObjective(key string) bool {
	if v, ok := g.reaches[key]; ok {
		return v
	}
	g.reaches[key] = false // guards against cycles in an invalid plan
	var v bool
	switch {
	case g.BusinessObjectives[key] != nil:
		v = true
	case g.KeyResults[key] != nil:
		v = g.ReachesBusinessObjective(g.KeyResults[key].Objective)
	case g.Objectives[key] != nil:
		v = g.Objectives[key].Parent != "" && g.ReachesBusinessObjective(g.Objectives[key].Parent)
	case g.KPIs[key] != nil:
		for _, l := range g.KPIs[key].Links {
			if g.ReachesBusinessObjective(l.To) {
				v = true
				break
			}
		}
	}
	g.reaches[key] = v
	return v
}
