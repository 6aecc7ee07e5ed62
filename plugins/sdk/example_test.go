package sdk_test

import (
	"context"
	"fmt"

	"github.com/okrmap/okrmap/plugins/sdk"
)

// nrrFloor flags net revenue retention KPIs below 100%.
type nrrFloor struct{}

func (nrrFloor) Describe() sdk.Description {
	return sdk.Description{Name: "nrr-floor", Version: "1.0.0", Rules: []sdk.Rule{
		{ID: "nrr-below-100", Name: "NRR below 100%", Severity: "warning", Scope: "kpi"},
	}}
}

func (nrrFloor) Configure(map[string]string) error { return nil }

func (nrrFloor) Check(_ context.Context, g *sdk.Graph) ([]sdk.Finding, error) {
	var out []sdk.Finding
	for _, k := range g.FindKPIs(func(k *sdk.KPI) bool { return k.Mentions("net revenue retention") }) {
		if k.Latest != nil && *k.Latest < 100 {
			out = append(out, sdk.Finding{Rule: "nrr-below-100", Entity: k.Key, Message: fmt.Sprintf("%s is %g%%", k.Key, *k.Latest)})
		}
	}
	return out, nil
}

// A plugin is a type with three methods; its main calls sdk.Serve(nrrFloor{}).
// Here Check runs directly on a small graph.
func Example() {
	latest := 97.5
	g := &sdk.Graph{KPIs: []sdk.KPI{{Key: "nrr", Name: "Net revenue retention", Unit: "percent", Latest: &latest}}}
	fs, _ := nrrFloor{}.Check(context.Background(), g)
	for _, f := range fs {
		fmt.Println(f.Rule, f.Entity, f.Message)
	}
	// Output: nrr-below-100 nrr nrr is 97.5%
}
