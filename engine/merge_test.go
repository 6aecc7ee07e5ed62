package engine

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

func basePlan() *Plan {
	return &Plan{
		Version: 1,
		Teams:   []Team{{Key: "marketing", Name: "Marketing"}},
		Objectives: []Objective{{Key: "win-sme", Title: "Win SME", Team: "marketing", Period: "2026-Q4", Status: "closed",
			KeyResults: []KeyResult{{Key: "sme-sqls", Title: "SQLs", Target: f(5000), Current: f(4000), Score: f(0.5), Objective: "win-sme"}}}},
		KPIs: []KPI{{Key: "pipeline", Name: "Pipeline", Tags: []string{"a"}, Links: []Link{{To: "sme-sqls"}}}},
	}
}

func TestMergeKeepsStateAndCountsChanges(t *testing.T) {
	in := &Plan{
		Teams: []Team{{Key: "marketing", Name: "Marketing", Src: Source{File: "x.yaml"}}},
		Objectives: []Objective{{Key: "win-sme", Title: "Win SME", Team: "marketing", Period: "2026-Q4",
			KeyResults: []KeyResult{{Key: "sme-sqls", Title: "SQLs renamed", Target: f(5000)}}}},
		KPIs: []KPI{{Key: "pipeline", Name: "Pipeline", Tags: []string{"a"}, Links: []Link{{To: "sme-sqls", Src: Source{Path: "/kpis/0/links/0"}}}},
			{Key: "new-kpi", Name: "New", Tags: []string{}}},
	}
	merged, cs, probs := Merge(basePlan(), in)
	if probs != nil {
		t.Fatal(probs)
	}
	want := map[string]Action{"marketing": Unchanged, "win-sme": Unchanged, "sme-sqls": Updated, "pipeline": Unchanged, "new-kpi": Created}
	for _, c := range cs {
		if want[c.Key] != c.Action {
			t.Errorf("%s %s: %s, want %s", c.Kind, c.Key, c.Action, want[c.Key])
		}
	}
	if len(cs) != len(want) {
		t.Errorf("got %d changes, want %d: %v", len(cs), len(want), cs)
	}
	o := merged.Objectives[0]
	if o.Status != "closed" {
		t.Errorf("status left out of the plan became %q, want the stored closed", o.Status)
	}
	kr := o.KeyResults[0]
	if kr.Title != "SQLs renamed" || *kr.Current != 4000 || *kr.Score != 0.5 {
		t.Errorf("key result = %+v; want new title with stored current and score", kr)
	}
}

func TestMergeNewObjectiveIsActive(t *testing.T) {
	in := &Plan{Objectives: []Objective{{Key: "o2", Title: "Two", Period: "2026-Q4"}}}
	merged, _, _ := Merge(&Plan{}, in)
	if merged.Objectives[0].Status != "active" {
		t.Errorf("new objective status %q, want active", merged.Objectives[0].Status)
	}
}

func TestMergeMovesKeyResult(t *testing.T) {
	base := basePlan()
	base.Objectives = append(base.Objectives, Objective{Key: "other", Title: "Other", Period: "2026-Q4"})
	in := &Plan{Objectives: []Objective{{Key: "other", Title: "Other", Period: "2026-Q4", Status: "active",
		KeyResults: []KeyResult{{Key: "sme-sqls", Title: "SQLs", Target: f(5000)}}}}}
	merged, _, _ := Merge(base, in)
	if n := len(merged.Objectives[0].KeyResults); n != 0 {
		t.Errorf("win-sme still has %d key results after sme-sqls moved", n)
	}
	if got := merged.Objectives[1].KeyResults; len(got) != 1 || got[0].Key != "sme-sqls" {
		t.Errorf("other has key results %+v, want sme-sqls", got)
	}
}

func TestMergeRejectsKindConflictAndDuplicates(t *testing.T) {
	in := &Plan{
		KPIs:        []KPI{{Key: "marketing", Name: "Clash", Src: Source{File: "a.yaml", Path: "/kpis/0"}}},
		Assumptions: []Assumption{{Key: "dup", Statement: "x"}, {Key: "dup", Statement: "y", Src: Source{File: "a.yaml", Path: "/assumptions/1"}}},
	}
	_, _, probs := Merge(basePlan(), in)
	if len(probs) != 2 {
		t.Fatalf("got %d problems, want 2: %v", len(probs), probs)
	}
	if !strings.Contains(probs[0].Msg, "already a team in the database") || probs[0].Path != "/kpis/0/key" {
		t.Errorf("kind conflict: %+v", probs[0])
	}
	if !strings.Contains(probs[1].Msg, "duplicate key") || probs[1].Path != "/assumptions/1/key" {
		t.Errorf("duplicate: %+v", probs[1])
	}
}

func TestSameEntityIgnoresSourceAndEmptySlices(t *testing.T) {
	a := KPI{Key: "k", Tags: []string{}, Links: []Link{{To: "x", Assumptions: []string{}, Src: Source{File: "f"}}}}
	b := KPI{Key: "k", Links: []Link{{To: "x"}}}
	if !sameEntity(a, b) {
		t.Error("entities differing only in Src and empty slices compare unequal")
	}
	b.Links[0].Rationale = "why"
	if sameEntity(a, b) {
		t.Error("entities with different link rationale compare equal")
	}
	if a.Links[0].Src.File != "f" {
		t.Error("sameEntity modified its argument")
	}
}

func TestFindGraphCycles(t *testing.T) {
	edges := map[string][]string{"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"e"}, "e": {"d"}, "x": {"a"}}
	got := FindCycles(edges)
	want := [][]string{{"a", "b", "c"}, {"d", "e"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("cycles = %v, want %v", got, want)
	}
}

// An update lists its changed fields, and a KPI's lost links by target.
func TestMergeReportsFieldsAndDroppedLinks(t *testing.T) {
	w := 0.5
	base := &Plan{KPIs: []KPI{{Key: "k", Name: "K", Unit: "USD", Links: []Link{{To: "a"}, {To: "b", Weight: &w}}}}}
	in := &Plan{KPIs: []KPI{{Key: "k", Name: "K2", Unit: "USD", Links: []Link{{To: "a"}}}}}
	_, cs, probs := Merge(base, in)
	if len(probs) > 0 || len(cs) != 1 {
		t.Fatalf("%v %v", cs, probs)
	}
	c := cs[0]
	if c.Action != Updated || !slices.Equal(c.DroppedLinks, []string{"b"}) {
		t.Errorf("change %+v", c)
	}
	want := []FieldChange{{"name", `"K"`, `"K2"`}, {"links", "[a, b]", "[a]"}}
	if !slices.Equal(c.Fields, want) {
		t.Errorf("fields %+v, want %+v", c.Fields, want)
	}
}

// TestMergeInAnyOrderLeavesBase: the incoming entities may come in another
// order than the stored ones; the merge keeps the stored order, appends new
// ones, and never changes the stored plan it merges into.
func TestMergeInAnyOrderLeavesBase(t *testing.T) {
	base := &Plan{Version: 1, KPIs: []KPI{{Key: "a", Name: "A"}, {Key: "b", Name: "B"}, {Key: "c", Name: "C"}}}
	before := slices.Clone(base.KPIs)
	for _, in := range [][]KPI{
		{{Key: "a", Name: "A"}, {Key: "b", Name: "B"}, {Key: "c", Name: "C"}},
		{{Key: "c", Name: "C"}, {Key: "a", Name: "A2"}, {Key: "d", Name: "D"}, {Key: "b", Name: "B"}},
		{{Key: "b", Name: "B2"}, {Key: "x", Name: "X"}},
	} {
		merged, cs, probs := Merge(base, &Plan{Version: 1, KPIs: in})
		if probs != nil {
			t.Fatal(probs)
		}
		names := map[string]string{}
		for _, k := range base.KPIs {
			names[k.Key] = k.Name
		}
		var order []string
		for _, k := range in {
			if _, ok := names[k.Key]; !ok {
				order = append(order, k.Key)
			}
			names[k.Key] = k.Name
		}
		order = append([]string{"a", "b", "c"}, order...)
		var got []string
		for i, k := range merged.KPIs {
			got = append(got, k.Key)
			if k.Name != names[k.Key] {
				t.Errorf("%v: %s named %q, want %q", in, k.Key, k.Name, names[k.Key])
			}
			if order[i] != k.Key {
				t.Errorf("%v: merged order %v, want %v", in, got, order)
			}
		}
		for _, c := range cs {
			changed := c.Action != Unchanged
			if stored := slices.IndexFunc(before, func(k KPI) bool { return k.Key == c.Key }); stored >= 0 && changed != (before[stored].Name != names[c.Key]) {
				t.Errorf("%v: %s %s", in, c.Key, c.Action)
			}
		}
		if !reflect.DeepEqual(base.KPIs, before) {
			t.Fatalf("merging %v changed the stored plan to %v", in, base.KPIs)
		}
	}
}
