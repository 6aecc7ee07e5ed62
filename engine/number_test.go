package engine

import (
	"strings"
	"testing"
)

func TestNumber(t *testing.T) {
	for _, c := range []struct {
		x    float64
		unit string
		want string
	}{
		{7960000, "USD", "7,960,000"},
		{2511.2000000000003, "", "2,511.2"},
		{5.378378378378378, "ratio", "5.38"},
		{9e6, "", "9,000,000"},
		{104.56, "percent", "104.6"},
		{0.5, "", "0.5"},
		{3000, "count", "3,000"},
		{412.7, "USD", "413"},
		{12.25, "USD", "12.25"},
		{-0.001, "", "0"},
		{-1234.5, "", "-1,234.5"},
	} {
		if got := Number(c.x, c.unit); got != c.want {
			t.Errorf("Number(%v, %q) = %q, want %q", c.x, c.unit, got, c.want)
		}
	}
}

// TestPlanNumbersMustBeDrawable: numbers beyond ±1e18 are refused where
// the plan states them, naming the field.
func TestPlanNumbersMustBeDrawable(t *testing.T) {
	p := &Plan{
		BusinessObjectives: []BusinessObjective{{Key: "bo", Title: "B", PnLLine: "revenue", Target: fp(1e300)}},
		Objectives: []Objective{{Key: "o", Title: "O", Period: "2026-Q4", Parent: "bo", KeyResults: []KeyResult{
			{Key: "kr", Title: "K", Baseline: fp(-1.7e308), Target: fp(1.7e308)}}}},
		KPIs: []KPI{{Key: "k", Name: "K", Thresholds: &Thresholds{Warning: fp(-1e19)}, Links: []Link{{To: "bo"}}}},
	}
	err := p.Validate()
	for _, want := range []string{"target 1e+300 is not a finite number within ±1e18", "baseline -1.7e+308", "target 1.7e+308", "thresholds.warning -1e+19"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validate: %v, want %q", err, want)
		}
	}
}

func fp(x float64) *float64 { return &x }

// TestPercent: one rounding of shares, half away from zero; a finding's
// 0.369 is 37%, as a page shows it (it truncated to 36% before).
func TestPercent(t *testing.T) {
	for x, want := range map[float64]string{0: "0%", 0.125: "13%", 0.369: "37%", 0.7349: "73%", 0.735: "74%", 1: "100%", 1.5: "150%"} {
		if got := Percent(x); got != want {
			t.Errorf("Percent(%v) = %q, want %q", x, got, want)
		}
	}
}
