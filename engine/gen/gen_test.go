package gen

import (
	"reflect"
	"testing"
	"time"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/resolve"
)

func TestPlanIsValidAndLinked(t *testing.T) {
	for _, n := range []int{1, 7, 1000} {
		p, err := Plan(Options{KPIs: n, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		if probs := p.Validate(); len(probs) > 0 {
			t.Fatalf("%d KPIs: generated plan is invalid: %v", n, probs[:min(5, len(probs))])
		}
		if len(p.KPIs) != n {
			t.Errorf("got %d KPIs, want %d", len(p.KPIs), n)
		}
		for _, k := range resolve.Resolve(resolve.Input{Plan: p, Today: engine.NewDate(2026, 11, 20)}).KPIs {
			if len(k.Reaches) == 0 {
				t.Fatalf("%d KPIs: %s reaches no business objective", n, k.Key)
			}
		}
	}
	a, _ := Plan(Options{KPIs: 200, Seed: 9})
	b, _ := Plan(Options{KPIs: 200, Seed: 9})
	if !reflect.DeepEqual(a, b) {
		t.Error("the same seed gave different plans")
	}
	if _, err := Plan(Options{KPIs: 0}); err == nil {
		t.Error("zero KPIs accepted")
	}
}

// The shape options give the counts asked for and keep chains within their
// bounds, reaching each bound.
func TestPlanShape(t *testing.T) {
	o := Options{KPIs: 5000, Seed: 5, Teams: 50, ObjectivesPerTeam: 8, CascadeDepth: 3, DriverChain: 3,
		KPIsPerBusinessObjective: 500, OutcomeShare: 0.5}
	p, err := Plan(o)
	if err != nil {
		t.Fatal(err)
	}
	if probs := p.Validate(); len(probs) > 0 {
		t.Fatalf("invalid: %v", probs[:min(5, len(probs))])
	}
	if len(p.Teams) != 50 || len(p.Objectives) != 400 || len(p.BusinessObjectives) != 10 {
		t.Errorf("%d teams, %d objectives, %d business objectives; want 50, 400, 10", len(p.Teams), len(p.Objectives), len(p.BusinessObjectives))
	}
	parent := map[string]string{}
	for _, ob := range p.Objectives {
		parent[ob.Key] = ob.Parent
	}
	deepest := 0
	for key := range parent {
		d := 1 // under a business objective
		for up, ok := parent[parent[key]]; ok; up, ok = parent[up] {
			d++
		}
		deepest = max(deepest, d)
	}
	kpis := map[string]engine.KPI{}
	activities := 0
	for _, k := range p.KPIs {
		kpis[k.Key] = k
		if k.Kind == "activity" {
			activities++
		}
	}
	longest := 0
	for _, k := range p.KPIs {
		n := 0
		for x := k; x.Kind == "activity"; x = kpis[x.Links[0].To] {
			n++
		}
		longest = max(longest, n)
	}
	if deepest != 3 || longest != 3 {
		t.Errorf("deepest cascade %d, longest driver chain %d; want 3 and 3", deepest, longest)
	}
	if share := float64(activities) / float64(len(p.KPIs)); share < 0.45 || share > 0.55 {
		t.Errorf("activity share %.2f, want about 0.5", share)
	}
	for _, bad := range []Options{{KPIs: 10, OutcomeShare: 1.5}, {KPIs: 10, CascadeDepth: -1}, {KPIs: 10, DriverChain: 1000}} {
		if _, err := Plan(bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func TestHistory(t *testing.T) {
	p, err := Plan(Options{KPIs: 50, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	end := time.Date(2026, 11, 20, 12, 30, 0, 0, time.UTC)
	ms := History(p, 6, end, 2)
	if len(ms) != 6*len(p.KPIs) {
		t.Fatalf("%d measurements for %d KPIs, want 6 each", len(ms), len(p.KPIs))
	}
	for i, m := range ms {
		if m.At.After(end) {
			t.Fatalf("%s measured at %s, after %s", m.KPI, m.At, end)
		}
		if i%6 > 0 && (ms[i-1].KPI != m.KPI || !ms[i-1].At.Before(m.At)) {
			t.Fatalf("measurements of %s out of order at %d", m.KPI, i)
		}
	}
	if !reflect.DeepEqual(ms, History(p, 6, end, 2)) {
		t.Error("the same seed gave a different history")
	}
}
