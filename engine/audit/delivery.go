package audit

import (
	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/resolve"
)

// Status is where a key result is heading: by its forecast when it has
// one (engine.Heading), else by its pace (engine.Pace), else no data.
func Status(kr *resolve.KeyResult) string {
	switch {
	case kr.HasForecast:
		return engine.Heading(kr.ForecastLikelihood)
	case kr.HasCurrent && !kr.PeriodStart.IsZero():
		return engine.Pace(kr.Progress, kr.ExpectedProgress)
	}
	return engine.NoData
}

// Delivery judges the open key results with a target of the objectives in
// scope, for the company, each team, each business objective and each P&L
// line they reach (through parents and alignments), each key result once
// per group.
func Delivery(g *resolve.Graph, s engine.Scope) engine.Delivery {
	objs := make(map[string]*resolve.Objective, len(g.Objectives))
	for _, o := range g.Objectives {
		objs[o.Key] = o
	}
	line := make(map[string]string, len(g.BusinessObjectives))
	for _, b := range g.BusinessObjectives {
		line[b.Key] = b.PnLLine
	}
	var company tally
	teams, bos, lines := map[string]*tally{}, map[string]*tally{}, map[string]*tally{}
	add := func(m map[string]*tally, key string, kr *resolve.KeyResult, status string) {
		if m[key] == nil {
			m[key] = &tally{}
		}
		m[key].add(kr, status)
	}
	for _, kr := range g.KeyResults {
		o := objs[kr.Objective]
		if o == nil || o.Status != "active" || !kr.HasTarget || !s.Objective(o.Team, o.Period) {
			continue
		}
		status := Status(kr)
		company.add(kr, status)
		if o.Team != "" {
			add(teams, o.Team, kr, status)
		}
		seen := map[string]bool{}
		for _, b := range o.BusinessObjectives {
			add(bos, b, kr, status)
			if l := line[b]; l != "" && !seen[l] {
				seen[l] = true
				add(lines, l, kr, status)
			}
		}
	}
	return engine.Delivery{Company: company.score(), Teams: scores(teams), BusinessObjectives: scores(bos), PnLLines: scores(lines)}
}

// tally counts key results by status and sums forecast likelihoods.
type tally struct {
	engine.DeliveryScore
	likelihoods float64
}

func (t *tally) add(kr *resolve.KeyResult, status string) {
	switch status {
	case engine.OnTrack:
		t.OnTrack++
	case engine.AtRisk:
		t.AtRisk++
	case engine.OffTrack:
		t.OffTrack++
	default:
		t.NoData++
	}
	if kr.HasForecast {
		t.Forecasts++
		t.likelihoods += kr.ForecastLikelihood
	}
}

func (t *tally) score() engine.DeliveryScore {
	d := t.DeliveryScore
	if judged := d.OnTrack + d.AtRisk + d.OffTrack; judged > 0 {
		s := 100 * (float64(d.OnTrack) + 0.5*float64(d.AtRisk)) / float64(judged)
		d.Score = &s
	}
	if d.Forecasts > 0 {
		l := t.likelihoods / float64(d.Forecasts)
		d.Likelihood = &l
	}
	return d
}

func scores(m map[string]*tally) map[string]engine.DeliveryScore {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]engine.DeliveryScore, len(m))
	for k, t := range m {
		out[k] = t.score()
	}
	return out
}
