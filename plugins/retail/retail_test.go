package retail_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/okrmap/okrmap/plugins/retail"
	"github.com/okrmap/okrmap/plugins/sdk"
	"github.com/okrmap/okrmap/plugins/sdk/sdktest"
)

// The shipped retail plan with measurements: ROAS 2.6 is under the default
// floor of 3; gross margin is measured, so profitability is covered.
func TestRetailExample(t *testing.T) {
	dir := t.TempDir()
	csv := filepath.Join(dir, "m.csv")
	os.WriteFile(csv, []byte("kpi,at,value\nroas,2026-11-18,2.6\nretail-gross-margin,2026-10-31,49.5\n"), 0o644)
	fx := sdktest.Load(t, "2026-12-10", csv, "../../examples/retail/plan.yaml")
	fs := fx.Check(t, &retail.Plugin{}, nil)
	var got []string
	for _, f := range fs {
		got = append(got, f.Rule+" "+f.Entity)
	}
	slices.Sort(got)
	if want := []string{"retail-roas-low roas"}; !slices.Equal(got, want) {
		t.Errorf("findings %v, want %v", got, want)
	}
	if fs := fx.Check(t, &retail.Plugin{}, map[string]string{"min_roas": "2.5"}); len(fs) != 0 {
		t.Errorf("with a floor of 2.5: %+v", fs)
	}
}

func TestRetailBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the plugin binary")
	}
	bin := sdktest.Build(t, "github.com/okrmap/okrmap/plugins/retail/cmd/okrmap-plugin-retail")
	fx := sdktest.Load(t, "2026-12-10", "", "../../examples/retail/plan.yaml")
	if fs := fx.CheckBinary(t, bin, map[string]string{"min_roas.search": "4"}); len(fs) != 0 {
		t.Errorf("no measurements, no findings: %+v", fs)
	}
}

func f(x float64) *float64 { return &x }

func TestRetailRules(t *testing.T) {
	g := &sdk.Graph{
		BusinessObjectives: []sdk.BusinessObjective{{Key: "profit", Category: "profitability"}},
		KPIs: []sdk.KPI{
			{Key: "roas-search", Name: "ROAS search", Tags: []string{"channel:search"}, Latest: f(3.5)},
			{Key: "roas-social", Name: "ROAS social", Tags: []string{"channel:social"}, Latest: f(3.5)},
		},
		KeyResults: []sdk.KeyResult{
			{Key: "repeat", Title: "90-day repeat purchase rate", Current: f(18), Progress: 0.1, ExpectedProgress: 0.7},
			{Key: "aov", Title: "Average order value", Current: f(65), Progress: 0.6, ExpectedProgress: 0.7},
			{Key: "aov-unchecked", Title: "Average order value, EU", Progress: 0, ExpectedProgress: 0.7},
		},
	}
	p := &retail.Plugin{}
	if err := p.Configure(map[string]string{"min_roas.search": "4"}); err != nil {
		t.Fatal(err)
	}
	fs, err := p.Check(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fs {
		got = append(got, f.Rule+" "+f.Entity)
	}
	slices.Sort(got)
	want := []string{"retail-margin-kpi-missing ", "retail-repeat-rate-behind repeat", "retail-roas-low roas-search"}
	if !slices.Equal(got, want) {
		t.Errorf("findings %q, want %q", got, want)
	}
	if err := (&retail.Plugin{}).Configure(map[string]string{"min_roas": "lots"}); err == nil {
		t.Error("a non-numeric floor was accepted")
	}
}

// KPIs as public retailers report them (testdata/reported-kpis.yaml): the
// plugin must recognise their names, and a key result by the KPI that
// measures it.
func TestRetailReportedKPIs(t *testing.T) {
	rules := func(fx *sdktest.Fixture) []string {
		var got []string
		for _, f := range fx.Check(t, &retail.Plugin{}, nil) {
			got = append(got, f.Rule+" "+f.Entity)
		}
		slices.Sort(got)
		return got
	}
	fx := sdktest.Load(t, "2026-12-10", "", "testdata/reported-kpis.yaml")
	want := []string{"retail-margin-kpi-missing ", "retail-repeat-rate-behind buyers-back"}
	if got := rules(fx); !slices.Equal(got, want) {
		t.Errorf("findings %q, want %q", got, want)
	}
	fx = sdktest.Load(t, "2026-12-10", "", "testdata/reported-kpis.yaml", "testdata/inventory-turns.yaml")
	want = []string{"retail-repeat-rate-behind buyers-back"}
	if got := rules(fx); !slices.Equal(got, want) {
		t.Errorf("with inventory turns: findings %q, want %q", got, want)
	}
	// The basket key result (65% done, 77% of its time gone) is judged as
	// an average order value key result: within the default tolerance, behind
	// with none.
	var aov bool
	for _, f := range fx.Check(t, &retail.Plugin{}, map[string]string{"max_behind_pace": "0"}) {
		aov = aov || f.Rule == "retail-aov-behind" && f.Entity == "bigger-orders"
	}
	if !aov {
		t.Error("bigger-orders (measured by AOV) was not judged as an average order value key result")
	}
}
