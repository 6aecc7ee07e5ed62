package tree

import (
	"path/filepath"
	"testing"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/plan"
	"github.com/okrmap/okrmap/engine/resolve"
)

func exampleGraph(t *testing.T) *resolve.Graph {
	t.Helper()
	files, _ := filepath.Glob("../../examples/saas-b2b/*.yaml")
	set, err := plan.Load(files...)
	if err != nil {
		t.Fatal(err)
	}
	return resolve.Resolve(resolve.Input{Plan: set.Plan, Today: engine.NewDate(2026, 11, 20)})
}

func nodes(ns []*Node) int {
	n := 0
	for _, c := range ns {
		n += 1 + nodes(c.Children)
	}
	return n
}

func TestBuild(t *testing.T) {
	g := exampleGraph(t)
	all := Build(g, engine.Scope{})
	if all.Empty || len(all.Lines) == 0 || all.KPIs != len(g.KPIs) {
		t.Fatalf("tree of the example: %d lines, %d KPIs of %d", len(all.Lines), all.KPIs, len(g.KPIs))
	}
	// Every KPI that reaches nothing is listed, and only those.
	unaligned := 0
	for _, k := range g.KPIs {
		if len(k.Reaches) == 0 {
			unaligned++
		}
	}
	if len(all.Unaligned) != unaligned {
		t.Errorf("%d unaligned KPIs listed, the graph has %d", len(all.Unaligned), unaligned)
	}
	// A team's tree keeps that team's objectives and those above them.
	sc, _ := engine.NewScope("2026-Q4", []string{"marketing"})
	mk := Build(g, sc)
	var teams = map[string]bool{}
	var walk func([]*Node)
	walk = func(ns []*Node) {
		for _, n := range ns {
			if n.Kind == string(engine.KindObjective) {
				teams[n.Team] = true
			}
			walk(n.Children)
		}
	}
	walk(mk.Lines)
	if !teams["marketing"] || nodes(mk.Lines) >= nodes(all.Lines) {
		t.Errorf("marketing's tree: teams %v, %d nodes of %d", teams, nodes(mk.Lines), nodes(all.Lines))
	}
	for _, k := range mk.Unaligned {
		if k.Team != "marketing" {
			t.Errorf("another team's KPI %s in marketing's unaligned list", k.Key)
		}
	}
}

func TestLimit(t *testing.T) {
	full := Build(exampleGraph(t), engine.Scope{})
	total := nodes(full.Lines)
	for depth := 1; depth <= 8; depth++ {
		cut := full.Limit(depth)
		shown, below := 0, 0
		var walk func([]*Node, int)
		walk = func(ns []*Node, d int) {
			for _, n := range ns {
				shown++
				below += n.Below
				if d > depth {
					t.Errorf("depth %d: a node at level %d", depth, d)
				}
				walk(n.Children, d+1)
			}
		}
		walk(cut.Lines, 1)
		if shown+below != total {
			t.Errorf("depth %d: %d shown + %d below = %d, want all %d nodes", depth, shown, below, shown+below, total)
		}
	}
	if nodes(full.Lines) != total || full.Limit(0) != full {
		t.Error("Limit changed the tree it cut")
	}
}

// TestScopesFilter: a team's tree shows no other team's KPIs, and a scope
// with nothing in it says so instead of looking complete.
func TestScopesFilter(t *testing.T) {
	g := exampleGraph(t)
	team := Build(g, engine.Scope{Teams: []string{"finance"}})
	team.Walk(func(n *Node, _ int) {
		if n.Kind == string(engine.KindKPI) && n.Team != "finance" {
			t.Errorf("finance's tree shows KPI %s of %s", n.Key, n.Team)
		}
	})
	if team.ScopeEmpty {
		t.Error("finance's tree is called empty")
	}
	if q3 := Build(g, engine.Scope{Period: "2026-Q3"}); !q3.ScopeEmpty {
		t.Error("a period with no objectives is not called empty")
	}
	if all := Build(g, engine.Scope{}); all.ScopeEmpty {
		t.Error("the whole tree is called empty")
	}
}
