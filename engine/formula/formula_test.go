package formula

import (
	"reflect"
	"strings"
	"testing"

	"github.com/okrmap/okrmap/engine"
)

func TestNames(t *testing.T) {
	got, err := Names("max(sourced_pipeline, 1) / marketing_spend + sourced_pipeline")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"sourced_pipeline", "marketing_spend"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Names = %v, want %v", got, want)
	}
	if _, err := Names("a / ("); err == nil {
		t.Error("a broken formula parsed")
	}
}

func TestEval(t *testing.T) {
	vals := map[string]float64{"pipeline": 900, "spend": 150, "zero": 0}
	tests := []struct {
		src  string
		want float64
		ok   bool
	}{
		{"pipeline / spend", 6, true},
		{"pipeline / zero", 0, false}, // division by zero: no value
		{"zero / zero", 0, false},
		{"pipeline / missing", 0, false},
		{"max(pipeline, spend) - 100", 800, true},
	}
	for _, tt := range tests {
		v, ok, err := Eval(tt.src, vals)
		if err != nil || ok != tt.ok || v != tt.want {
			t.Errorf("Eval(%q) = %v %v %v, want %v %v", tt.src, v, ok, err, tt.want, tt.ok)
		}
	}
	if _, _, err := Eval(`"text"`, vals); err == nil {
		t.Error("a formula giving a string did not fail")
	}
}

func TestCheck(t *testing.T) {
	p := &engine.Plan{KPIs: []engine.KPI{
		{Key: "sourced-pipeline"}, {Key: "spend"},
		{Key: "ok", Formula: "sourced_pipeline / spend"},
		{Key: "typo", Formula: "sourced_pipline / spend"},
		{Key: "self", Formula: "self * 2"},
		{Key: "broken", Formula: "spend / ("},
		{Key: "a", Formula: "b + 1"}, {Key: "b", Formula: "a + 1"},
		{Key: "x", Formula: "z + y"}, {Key: "y", Formula: "z * 2"}, {Key: "z", Formula: "x - 1"},
	}}
	var got []string
	for _, pr := range Check(p) {
		got = append(got, pr.Key+": "+strings.SplitN(pr.Msg, ";", 2)[0])
	}
	want := []string{
		`typo: formula names "sourced_pipline", which is no KPI`,
		`self: formula refers to the KPI itself`,
		`broken: formula does not parse: formula "spend / (": unexpected token EOF (1:9)`,
		`a: formulas depend on each other in a cycle: a -> b -> a`,
		`x: formulas depend on each other in a cycle: x -> z -> x`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Check:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	order, cycle := Order(map[string][]string{"ratio": {"pipeline", "derived"}, "derived": {"spend"}})
	if cycle != nil || !reflect.DeepEqual(order, []string{"derived", "ratio"}) {
		t.Errorf("Order = %v %v", order, cycle)
	}
	// A chain built bottom-up, used twice by one KPI, orders in dependency
	// order; a cycle beside a healthy KPI is found.
	order, cycle = Order(map[string][]string{"top": {"mid", "mid"}, "mid": {"low"}, "low": {"raw"}})
	if cycle != nil || !reflect.DeepEqual(order, []string{"low", "mid", "top"}) {
		t.Errorf("Order(chain) = %v %v", order, cycle)
	}
	order, cycle = Order(map[string][]string{"ok": {"raw"}, "p": {"q"}, "q": {"p"}})
	if order != nil || !reflect.DeepEqual(cycle, []string{"p", "q"}) {
		t.Errorf("Order(cycle) = %v %v, want the cycle p q", order, cycle)
	}
}
