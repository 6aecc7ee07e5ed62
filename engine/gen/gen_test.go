package gen

import (
	"reflect"
	"testing"

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
