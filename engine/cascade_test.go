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
