package audit

import (
	"math"
	"slices"
	"strings"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/resolve"
)

// Areas are the scorecard's alignment areas, in report order. Each scores
// 0-100 as the share of judged entities that meet the area's test; an area
// with nothing to judge has no score and leaves the overall.
//
//   - vertical_alignment: KPIs whose trace reaches a business objective on a
//     P&L line, of all KPIs.
//   - outcome_focus: the mean of the share of linked KPIs that are outcome
//     metrics and the share of objectives with at least one outcome KPI;
//     KPIs whose kind is unknown count in neither.
//   - measurability: key results with baseline, target, unit and due date.
//   - freshness: KPIs (without formula) measured within their frequency
//     window, and key results of active objectives checked in within the
//     team's cadence; those KPIs whose source failed are counted apart.
//   - horizontal_consistency: shared KPIs (linked by two or more teams, or
//     defined twice) without a conflict (pushed in opposite directions, or
//     defined with different units or owners).
//   - explicit_assumptions: links with a rationale and no invalidated
//     assumption.
var Areas = []string{"vertical_alignment", "outcome_focus", "measurability", "freshness", "horizontal_consistency", "explicit_assumptions"}

// AreaDocs says in one line what each area measures, for readers of a
// scorecard.
var AreaDocs = map[string]string{
	"vertical_alignment":     "KPIs whose links reach a business objective on a P&L line.",
	"outcome_focus":          "Linked KPIs that measure outcomes, and objectives with at least one outcome KPI.",
	"measurability":          "Key results with a baseline, a target, a unit and a due date.",
	"freshness":              "KPIs measured within their frequency; key results checked in within the team's cadence.",
	"horizontal_consistency": "Shared KPIs that no two teams push in opposite directions or define differently.",
	"explicit_assumptions":   "Links with a written rationale that rest on no invalidated assumption.",
}

// selection is the part of the graph one scorecard row judges.
type selection struct {
	kpis  []*resolve.KPI
	krs   []*resolve.KeyResult
	objs  []*resolve.Objective
	links []*resolve.Link
}

// Scorecard scores the company (within the scope) and each team in it.
func Scorecard(g *resolve.Graph, s engine.Scope) engine.Scorecard {
	sc := engine.Scorecard{Company: selectFor(g, s, "").score(), Teams: map[string]engine.Score{}}
	for team, sel := range selectTeams(g, s) {
		sc.Teams[team] = sel.score()
	}
	return sc
}

// selectTeams is selectFor of every team in scope, in one pass over the
// graph: with a thousand teams, a pass per team was most of an audit.
func selectTeams(g *resolve.Graph, s engine.Scope) map[string]*selection {
	out := map[string]*selection{}
	for _, t := range g.Teams {
		if len(s.Teams) == 0 || slices.Contains(s.Teams, t.Key) {
			out[t.Key] = &selection{}
		}
	}
	// viaObjective lists, per KPI, the teams whose objectives in scope it
	// is linked to.
	viaObjective := make(map[*resolve.KPI][]string, len(g.KPIs))
	for _, o := range g.Objectives {
		sel := out[o.Team]
		if sel == nil || !s.Objective(o.Team, o.Period) {
			continue
		}
		sel.objs = append(sel.objs, o)
		sel.krs = append(sel.krs, o.KeyResults...)
		for _, k := range o.KPIs {
			viaObjective[k] = append(viaObjective[k], o.Team)
		}
	}
	for _, k := range g.KPIs {
		teams := viaObjective[k]
		if !slices.Contains(teams, k.Team) {
			teams = append(teams, k.Team)
		}
		for i, t := range teams {
			if sel := out[t]; sel != nil && !slices.Contains(teams[:i], t) {
				sel.kpis = append(sel.kpis, k)
				sel.links = append(sel.links, k.Links...)
			}
		}
	}
	return out
}

// selectFor picks the entities in scope, and of team when it is not "";
// selectTeams does it for every team at once.
func selectFor(g *resolve.Graph, s engine.Scope, team string) selection {
	var sel selection
	keep := make(map[*resolve.KPI]bool, len(g.KPIs))
	for _, o := range g.Objectives {
		if !s.Objective(o.Team, o.Period) || team != "" && o.Team != team {
			continue
		}
		sel.objs = append(sel.objs, o)
		sel.krs = append(sel.krs, o.KeyResults...)
		for _, k := range o.KPIs {
			keep[k] = true
		}
	}
	for _, k := range g.KPIs {
		switch {
		case team != "":
			keep[k] = keep[k] || k.Team == team
		case len(s.Teams) > 0:
			keep[k] = keep[k] || slices.Contains(s.Teams, k.Team)
		case s.Period == "":
			keep[k] = true
		}
	}
	for _, k := range g.KPIs {
		if keep[k] {
			sel.kpis = append(sel.kpis, k)
			sel.links = append(sel.links, k.Links...)
		}
	}
	return sel
}

// share returns 100 * n / of, and 0 when there is nothing to judge (an
// area judged on nothing has no score).
func share(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return 100 * float64(n) / float64(of)
}

func (s selection) score() engine.Score {
	var scores [6]float64
	var judged [6]int

	aligned := 0
	for _, k := range s.kpis {
		if k.Aligned {
			aligned++
		}
	}
	scores[0], judged[0] = share(aligned, len(s.kpis)), len(s.kpis)

	// Outcome focus judges kinds: a KPI whose kind is unknown (neither
	// declared nor clear from its name) counts in neither share.
	known := func(k *resolve.KPI) bool { return k.Kind != "" }
	linked, outcome := 0, 0
	for _, k := range s.kpis {
		if len(k.Links) > 0 && known(k) {
			linked++
			if k.Kind == "outcome" {
				outcome++
			}
		}
	}
	objs, withOutcome := 0, 0
	for _, o := range s.objs {
		if !slices.ContainsFunc(o.KPIs, known) {
			continue
		}
		objs++
		if slices.ContainsFunc(o.KPIs, func(k *resolve.KPI) bool { return k.Kind == "outcome" }) {
			withOutcome++
		}
	}
	switch {
	case linked > 0 && objs > 0:
		scores[1] = (share(outcome, linked) + share(withOutcome, objs)) / 2
	case linked > 0:
		scores[1] = share(outcome, linked)
	default:
		scores[1] = share(withOutcome, objs)
	}
	judged[1] = linked + objs

	measurable := 0
	for _, kr := range s.krs {
		if kr.HasBaseline && kr.HasTarget && kr.Unit != "" && kr.HasDue {
			measurable++
		}
	}
	scores[2], judged[2] = share(measurable, len(s.krs)), len(s.krs)

	fresh, due, failing := 0, 0, 0
	for _, k := range s.kpis {
		if k.Formula != "" {
			continue
		}
		due++
		switch {
		case k.HasMeasurement && k.DaysSinceMeasurement <= k.WindowDays:
			fresh++
		case k.Connector != "" && k.SyncFailed:
			failing++
		}
	}
	for _, kr := range s.krs {
		if kr.ObjectiveStatus != "active" {
			continue
		}
		due++
		if kr.DaysSinceCheckIn >= 0 && kr.DaysSinceCheckIn <= kr.CadenceDays {
			fresh++
		}
	}
	scores[3], judged[3] = share(fresh, due), due

	shared, consistent := 0, 0
	for _, k := range s.kpis {
		if len(k.Teams) < 2 && len(k.NameConflicts) == 0 {
			continue
		}
		shared++
		steer := func(dir string) bool {
			is := func(kr *resolve.KeyResult) bool { return kr.Direction == dir }
			return slices.ContainsFunc(k.KeyResults, is) || slices.ContainsFunc(k.Measures, is)
		}
		up, down := steer("increase"), steer("decrease")
		if !(up && down) && len(k.NameConflicts) == 0 {
			consistent++
		}
	}
	scores[4], judged[4] = share(consistent, shared), shared

	explicit := 0
	for _, l := range s.links {
		if strings.TrimSpace(l.Rationale) != "" && len(l.Invalidated) == 0 {
			explicit++
		}
	}
	scores[5], judged[5] = share(explicit, len(s.links)), len(s.links)

	var out engine.Score
	sum, n := 0.0, 0
	for i, area := range Areas {
		a := engine.AreaScore{Area: area, Verdict: engine.NotJudged, Judged: judged[i]}
		if judged[i] > 0 {
			a.Score = math.Round(scores[i]*10) / 10
			a.Rating = engine.Rating(a.Score)
			a.Verdict = engine.Verdicts[a.Rating]
			sum, n = sum+a.Score, n+1
		}
		if area == "freshness" {
			a.SourceFailing = failing
		}
		out.Areas = append(out.Areas, a)
	}
	if n > 0 {
		out.Overall = math.Round(sum/float64(n)*10) / 10
		out.Rating = engine.Rating(out.Overall)
	}
	return out
}
