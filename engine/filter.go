package engine

// ForPeriod returns the part of p that concerns period per: the objectives
// of per with the objectives above them, and everything else, minus links
// and investments that point at objectives or key results left out.
func (p *Plan) ForPeriod(per Period) *Plan {
	g := NewGraph(p)
	keep := map[string]bool{}
	for _, o := range p.Objectives {
		if op, err := ParsePeriod(o.Period); err != nil || op.Name != per.Name {
			continue
		}
		for key := o.Key; key != "" && !keep[key]; {
			if kr := g.KeyResults[key]; kr != nil { // a cascade under a key result
				key = kr.Objective
				continue
			}
			if g.Objectives[key] == nil {
				break
			}
			keep[key] = true
			key = g.Objectives[key].Parent
		}
	}
	dropped := func(key string) bool {
		if kr := g.KeyResults[key]; kr != nil {
			return !keep[kr.Objective]
		}
		return g.Objectives[key] != nil && !keep[key]
	}
	out := &Plan{Version: p.Version, Period: per.Name, Teams: p.Teams, BusinessObjectives: p.BusinessObjectives, Assumptions: p.Assumptions}
	for _, o := range p.Objectives {
		if keep[o.Key] {
			out.Objectives = append(out.Objectives, o)
		}
	}
	for _, k := range p.KPIs {
		var links []Link
		for _, l := range k.Links {
			if !dropped(l.To) {
				links = append(links, l)
			}
		}
		k.Links = links
		out.KPIs = append(out.KPIs, k)
	}
	for _, in := range p.Investments {
		if !dropped(in.Objective) {
			out.Investments = append(out.Investments, in)
		}
	}
	return out
}
