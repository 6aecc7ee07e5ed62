package engine

import (
	"strings"
	"testing"
)

func cascadePlan() *Plan {
	return &Plan{
		Teams:              []Team{{Key: "exec", Name: "E"}, {Key: "mkt", Name: "M"}},
		BusinessObjectives: []BusinessObjective{{Key: "bo", Title: "B", Period: "2026"}},
		Objectives: []Objective{
			{Key: "ceo", Title: "C", Team: "exec", Period: "2026-Q4", Parent: "bo",
				KeyResults: []KeyResult{{Key: "ceo-kr", Title: "K"}}},
			{Key: "cmo", Title: "M", Team: "mkt", Period: "2026-Q4", Parent: "ceo-kr",
				KeyResults: []KeyResult{{Key: "cmo-kr", Title: "K2"}}},
		},
	}
}

// An objective may hang under another objective's key result; one under its
// own key result, or a loop through key results, is refused.
func TestCascadeValidation(t *testing.T) {
	if probs := cascadePlan().Validate(); len(probs) != 0 {
		t.Fatalf("a cascade under a key result: %v", probs)
	}
	own := cascadePlan()
	own.Objectives[1].Parent = "cmo-kr"
	if probs := own.Validate(); len(probs) != 1 || !strings.Contains(probs[0].Msg, `hangs under its own key result "cmo-kr"`) {
		t.Errorf("under its own key result: %v", probs)
	}
	loop := cascadePlan()
	loop.Objectives[0].Parent = "cmo-kr" // ceo under cmo's key result, cmo under ceo's
	if probs := loop.Validate(); len(probs) == 0 || !strings.Contains(probs[0].Msg, "objective parents form a cycle") {
		t.Errorf("a loop through key results: %v", probs)
	}
}

// Export of one period keeps the objective whose key result a kept
// objective hangs under.
func TestForPeriodKeepsCascadeParents(t *testing.T) {
	p := cascadePlan()
	p.Objectives[0].Period = "2026-Q3"
	per, _ := ParsePeriod("2026-Q4")
	out := p.ForPeriod(per)
	if len(out.Objectives) != 2 {
		t.Fatalf("kept %d objectives, want cmo and the ceo objective it hangs under", len(out.Objectives))
	}
	if probs := out.Validate(); len(probs) != 0 {
		t.Errorf("the exported period does not validate: %v", probs)
	}
}

// aligned is cascadePlan with a second company key result that the
// marketing objective serves too.
func aligned() *Plan {
	p := cascadePlan()
	p.Objectives[0].KeyResults = append(p.Objectives[0].KeyResults, KeyResult{Key: "ceo-kr2", Title: "K3"})
	p.Objectives[1].AlignsTo = []string{"ceo-kr2"}
	return p
}

// An objective may align to more key results beside its parent; what it
// names must be other objectives' key results, each once, apart from the
// parent, without a loop.
func TestAlignsToValidation(t *testing.T) {
	if probs := aligned().Validate(); len(probs) != 0 {
		t.Fatalf("an objective aligned to a second key result: %v", probs)
	}
	cases := []struct {
		name  string
		edit  func(p *Plan)
		field string
		want  string
	}{
		{"not a key result", func(p *Plan) { p.Objectives[1].AlignsTo = []string{"ceo"} }, "aligns_to/0",
			`aligns_to "ceo" is an objective, but must name a key_result`},
		{"unknown", func(p *Plan) { p.Objectives[1].AlignsTo = []string{"ceo-kr3"} }, "aligns_to/0", `no key_result has this key`},
		{"the parent again", func(p *Plan) { p.Objectives[1].AlignsTo = []string{"ceo-kr"} }, "aligns_to/0", "repeats the parent"},
		{"twice", func(p *Plan) { p.Objectives[1].AlignsTo = []string{"ceo-kr2", "ceo-kr2"} }, "aligns_to/1", `names "ceo-kr2" twice`},
		{"no parent", func(p *Plan) { p.Objectives[1].Parent = "" }, "aligns_to", "has none; make the main one its parent"},
		{"its own key result", func(p *Plan) { p.Objectives[1].AlignsTo = []string{"cmo-kr"} }, "aligns_to", `aligns to its own key result "cmo-kr"`},
		{"a loop", func(p *Plan) { p.Objectives[0].AlignsTo = []string{"cmo-kr"} }, "parent", "objective parents form a cycle"},
	}
	for _, c := range cases {
		p := aligned()
		c.edit(p)
		probs := p.Validate()
		found := false
		for _, pr := range probs {
			found = found || strings.HasSuffix(pr.Path, c.field) && strings.Contains(pr.Msg, c.want)
		}
		if !found {
			t.Errorf("%s: want %s: %q, got %v", c.name, c.field, c.want, probs)
		}
	}
}

// Export of a period keeps the objectives whose key results a kept
// objective aligns to.
func TestForPeriodKeepsAlignedObjectives(t *testing.T) {
	p := aligned()
	p.Objectives = append(p.Objectives, Objective{Key: "cfo", Title: "F", Team: "exec", Period: "2026-Q3", Parent: "bo",
		KeyResults: []KeyResult{{Key: "cfo-kr", Title: "K4"}}})
	p.Objectives[0].Period = "2026-Q3"
	p.Objectives[1].AlignsTo = []string{"cfo-kr"}
	per, _ := ParsePeriod("2026-Q4")
	out := p.ForPeriod(per)
	if len(out.Objectives) != 3 {
		t.Fatalf("kept %v, want cmo, the objective of its parent and the one it aligns to", out.Objectives)
	}
	if probs := out.Validate(); len(probs) != 0 {
		t.Errorf("the exported period does not validate: %v", probs)
	}
}

// TestRemoveKeyResult: removing a key result takes it out of its
// objective, cuts what names it, and keeps the objective.
func TestRemoveKeyResult(t *testing.T) {
	p := aligned()
	p.KPIs = []KPI{{Key: "k", Name: "K", Links: []Link{{To: "ceo-kr2"}, {To: "ceo"}}}}
	after, rm, err := p.Remove("ceo-kr2")
	if err != nil {
		t.Fatal(err)
	}
	if len(after.Objectives[0].KeyResults) != 1 || after.Objectives[0].KeyResults[0].Key != "ceo-kr" {
		t.Errorf("the objective keeps %v", after.Objectives[0].KeyResults)
	}
	if len(after.Objectives[1].AlignsTo) != 0 || len(after.KPIs[0].Links) != 1 || len(rm.Cut) != 2 || len(rm.Deleted) != 1 {
		t.Errorf("after: %+v; removal %+v", after, rm)
	}
	if probs := after.Validate(); len(probs) != 0 {
		t.Errorf("what is left is not valid: %v", probs)
	}
	if len(p.Objectives[0].KeyResults) != 2 || len(p.KPIs[0].Links) != 2 {
		t.Error("Remove changed the plan it was given")
	}
}
