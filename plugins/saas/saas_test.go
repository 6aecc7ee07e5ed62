package saas

import (
	"context"
	"testing"

	"github.com/okrmap/okrmap/plugins/sdk"
)

func f(x float64) *float64 { return &x }

func TestRules(t *testing.T) {
	g := &sdk.Graph{
		BusinessObjectives: []sdk.BusinessObjective{{Key: "grow", Category: "revenue_growth"}},
		KPIs: []sdk.KPI{
			{Key: "ltv-cac", Name: "LTV:CAC ratio", Latest: f(2.4)},
			{Key: "ltv-cac-ok", Name: "LTV to CAC", Latest: f(3.5)},
			{Key: "payback", Name: "Blended CAC payback", Latest: f(17)},
			{Key: "nrr", Name: "Net revenue retention", Latest: f(97)},
			{Key: "coverage", Name: "Pipeline coverage", Latest: f(3.2)},
			{Key: "unmeasured", Name: "LTV:CAC (new)"},
		},
	}
	p := &Plugin{}
	if err := p.Configure(map[string]string{"max_cac_payback_months": "18"}); err != nil {
		t.Fatal(err)
	}
	fs, err := p.Check(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range fs {
		got[f.Rule] = f.Entity
	}
	want := map[string]string{"saas-ltv-cac-low": "ltv-cac", "saas-nrr-low": "nrr", "saas-sourced-pipeline-missing": ""}
	if len(got) != len(want) {
		t.Errorf("findings %+v, want %v", fs, want)
	}
	for r, e := range want {
		if got[r] != e {
			t.Errorf("rule %s flagged %q, want %q", r, got[r], e)
		}
	}
	if err := (&Plugin{}).Configure(map[string]string{"min_ltv_cac": "three"}); err == nil {
		t.Error("a non-numeric threshold was accepted")
	}
	if err := (&Plugin{}).Configure(map[string]string{"min_ltv": "3"}); err == nil {
		t.Error("an unknown setting was accepted")
	}
	// Every finding names a rule the plugin describes.
	ids := map[string]bool{}
	for _, r := range p.Describe().Rules {
		ids[r.ID] = true
	}
	for _, f := range fs {
		if !ids[f.Rule] {
			t.Errorf("finding for undescribed rule %s", f.Rule)
		}
	}
}
