package engine

// ForPeriod returns the part of p that concerns period per: the objectives
// of per with the objectives above them (through parents and the key
// results they align to), and everything else, minus links and investments
// that point at objectives or key results left out.
func (p *Plan) ForPeriod(per Period) *Plan {
	g := NewGraph(p)
	keep := map[string]bool{}
	var above []string
	for _, o := range p.Objectives {
		if op, err := ParsePeriod(o.Period); err == nil && op.Name == per.Name {
			above = append(above, o.Key)
		}
	}
	for len(above) > 0 {
		key := above[len(above)-1]
		above = above[:len(above)-1]
		if kr := g.KeyResults[key]; kr != nil { // a cascade under a key result
			key = kr.Objective
		}
		o := g.Objectives[key]
		if o == nil || keep[key] {
			continue
		}
		keep[key] = true
		above = append(append(above, o.AlignsTo...), o.Parent)
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
