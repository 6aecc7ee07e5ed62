package tree

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

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

// fiscalGraph resolves the February-fiscal example, whose fulfilment
// objective serves the margin key result (its parent) and aligns to the
// repeat-revenue one.
func fiscalGraph(t *testing.T) *resolve.Graph {
	t.Helper()
	defer func(m time.Month) { engine.FiscalYearStart = m }(engine.FiscalYearStart)
	engine.FiscalYearStart = time.February
	set, err := plan.Load("../../examples/fiscal-year/plan.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return resolve.Resolve(resolve.Input{Plan: set.Plan, Today: engine.NewDate(2026, 12, 7)})
}

// TestSharedObjectives: an objective under several key results is traced
// to every business objective they reach, drawn in full under its parent
// and marked shared under the others, and counted once.
func TestSharedObjectives(t *testing.T) {
	g := fiscalGraph(t)
	var ops *resolve.Objective
	for _, o := range g.Objectives {
		if o.Key == "ops-fulfilment" {
			ops = o
		}
	}
	if ops == nil || !slices.Equal(ops.BusinessObjectives, []string{"fy27-margin", "fy27-revenue"}) {
		t.Fatalf("ops-fulfilment reaches %v, want its parent's fy27-margin, then fy27-revenue", ops.BusinessObjectives)
	}
	for _, k := range g.KPIs {
		if k.Key == "on-time-rate" && !slices.Equal(k.PnLLines, []string{"gross_margin", "revenue"}) {
			t.Errorf("on-time-rate reaches P&L lines %v, want both", k.PnLLines)
		}
	}
	for _, b := range g.BusinessObjectives {
		if n := slices.Index(b.AllObjectiveKeys, "ops-fulfilment"); n < 0 || slices.Contains(b.AllObjectiveKeys[n+1:], "ops-fulfilment") {
			t.Errorf("%s lists ops-fulfilment %v, want once", b.Key, b.AllObjectiveKeys)
		}
	}

	full, shared := 0, 0
	var walk func(ns []*Node, under string)
	walk = func(ns []*Node, under string) {
		for _, n := range ns {
			if n.Key == "ops-fulfilment" {
				switch {
				case n.SharedFrom == "" && len(n.Children) == 2 && under == "q4-margin":
					full++
				case n.SharedFrom == "q4-margin" && len(n.Children) == 0 && under == "repeat-revenue":
					shared++
				default:
					t.Errorf("ops-fulfilment under %s: shared from %q with %d children", under, n.SharedFrom, len(n.Children))
				}
			}
			walk(n.Children, n.Key)
		}
	}
	walk(Build(g, engine.Scope{}).Lines, "")
	if full != 1 || shared != 1 {
		t.Errorf("ops-fulfilment drawn in full %d times and shared %d times, want once each", full, shared)
	}

	// The operations team's tree shows both lines its objective serves.
	ops1 := Build(g, engine.Scope{Teams: []string{"ops"}})
	if len(ops1.Lines) != 2 {
		t.Errorf("the ops tree shows %d P&L lines, want the two its objective serves", len(ops1.Lines))
	}
}
