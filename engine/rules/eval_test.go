package rules

import (
	"context"
	"strings"
	"testing"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/resolve"
)

// TestRuntimeFaultsBecomeFindings: a rule that fails at run time on one
// entity, or exceeds the VM memory budget, yields an error finding for that
// rule and entity; other rules and entities are judged as usual.
func TestRuntimeFaultsBecomeFindings(t *testing.T) {
	s := compilePack(t, "faults.yaml", `pack: faults
rules:
  - {id: index, name: Index, severity: info, scope: kpi, assert: 'kpi.links[0].to != ""', message: m}
  - {id: hog, name: Hog, severity: info, scope: kpi, when: 'kpi.key == "b"', assert: 'len(map(1..1000000, # * 2)) > 0', message: m}
  - {id: fine, name: Fine, severity: warning, scope: kpi, assert: 'kpi.owner != ""', message: "{{ kpi.key }} unowned"}
`)
	plan := &engine.Plan{KPIs: []engine.KPI{
		{Key: "a", Name: "A"},
		{Key: "b", Name: "B", Links: []engine.Link{{To: "a"}}},
	}}
	g := resolve.Resolve(resolve.Input{Plan: plan, Today: DefaultCaseDay})
	fs, err := s.Evaluate(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fs {
		got = append(got, f.Rule+" "+f.Entity+" "+f.Severity)
		if f.Rule != "fine" && !strings.Contains(f.Message, "could not be evaluated") {
			t.Errorf("fault finding message %q", f.Message)
		}
	}
	want := "index a error|fine a warning|hog b error|fine b warning"
	if strings.Join(got, "|") != want {
		t.Errorf("findings %q, want %q", strings.Join(got, "|"), want)
	}
}

func TestRatio(t *testing.T) {
	if Ratio(1, 0) != 0 || Ratio(3, 2) != 1.5 {
		t.Error("Ratio")
	}
}

// A rule sees a KPI's thresholds and which one its latest value is past,
// for either direction.
func TestRulesSeeThresholds(t *testing.T) {
	s := compilePack(t, "th.yaml", `pack: th
rules:
  - {id: red, name: Red, severity: warning, scope: kpi, when: kpi.has_critical, assert: 'kpi.breaching != "critical"', message: "{{ kpi.key }} past {{ kpi.critical }}"}
  - {id: amber, name: Amber, severity: info, scope: kpi, when: kpi.has_warning, assert: 'kpi.breaching != "warning"', message: "{{ kpi.key }} past {{ kpi.warning }}"}
`)
	v := func(x float64) *float64 { return &x }
	plan := &engine.Plan{KPIs: []engine.KPI{
		{Key: "margin", Name: "Margin", Direction: "increase", Thresholds: &engine.Thresholds{Warning: v(78), Critical: v(75)}},
		{Key: "wait", Name: "Wait", Direction: "decrease", Thresholds: &engine.Thresholds{Warning: v(12), Critical: v(24)}},
		{Key: "churn", Name: "Churn", Direction: "decrease", Thresholds: &engine.Thresholds{Warning: v(3)}},
		{Key: "unmeasured", Name: "U", Thresholds: &engine.Thresholds{Critical: v(1)}},
	}}
	latest := map[string]engine.Measurement{
		"margin": {KPI: "margin", Value: 76},
		"wait":   {KPI: "wait", Value: 24},
		"churn":  {KPI: "churn", Value: 2.9},
	}
	g := resolve.Resolve(resolve.Input{Plan: plan, Latest: latest, Today: DefaultCaseDay})
	fs, err := s.Evaluate(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fs {
		got = append(got, f.Rule+" "+f.Message)
	}
	want := "amber margin past 78|red wait past 24"
	if strings.Join(got, "|") != want {
		t.Errorf("findings %q, want %q", strings.Join(got, "|"), want)
	}
}

// compilePack parses and compiles a pack for a test.
func compilePack(t *testing.T, name, src string) *Set {
	return compiled(t)(ParsePack(name, []byte(src)))
}
