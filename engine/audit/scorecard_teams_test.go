package audit

import (
	"reflect"
	"testing"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/gen"
	"github.com/okrmap/okrmap/engine/resolve"
)

func teamGraph(t testing.TB, kpis, teams int) *resolve.Graph {
	p, err := gen.Plan(gen.Options{KPIs: kpis, Teams: teams, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	return resolve.Resolve(resolve.Input{Plan: p, Today: engine.NewDate(2026, 11, 20)})
}

// TestSelectTeamsIsSelectFor: the one-pass selection of every team picks
// what a pass per team picks, for every scope shape.
func TestSelectTeamsIsSelectFor(t *testing.T) {
	g := teamGraph(t, 3000, 15)
	for _, s := range []engine.Scope{{}, {Period: "2026-Q4"}, {Period: "2026-Q3"}, {Teams: []string{"sales-2", "marketing"}},
		{Period: "2026-Q4", Teams: []string{"finance-3"}}} {
		all := selectTeams(g, s)
		want := 0
		for _, team := range g.Teams {
			if len(s.Teams) == 0 || contains(s.Teams, team.Key) {
				want++
				got, ref := all[team.Key], selectFor(g, s, team.Key)
				if got == nil || !reflect.DeepEqual(*got, ref) {
					t.Errorf("scope %s, team %s: %d objectives, %d KPIs; a pass of its own picks %d, %d",
						s, team.Key, len(got.objs), len(got.kpis), len(ref.objs), len(ref.kpis))
				}
			}
		}
		if len(all) != want {
			t.Errorf("scope %s: %d teams selected, want %d", s, len(all), want)
		}
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// BenchmarkScorecard1000Teams scores a 100,000-KPI plan of 1,000 teams.
func BenchmarkScorecard1000Teams(b *testing.B) {
	g := teamGraph(b, 100000, 1000)
	for b.Loop() {
		Scorecard(g, engine.Scope{})
	}
}
