// Package saas is an okrmap rule plugin with SaaS unit economics: LTV:CAC,
// CAC payback, net revenue retention, pipeline coverage, and a
// marketing-sourced pipeline KPI wherever revenue growth is a company
// objective. Thresholds come from the plugin's settings.
package saas

import (
	"context"
	"fmt"

	"github.com/okrmap/okrmap/plugins/sdk"
)

// Version is the plugin's version.
const Version = "0.1.0"

// Plugin is the saas rule plugin. Its zero value uses the default
// thresholds.
type Plugin struct {
	minLTVCAC   float64
	maxPayback  float64
	minNRR      float64
	minCoverage float64
	configured  bool
}

var settings = []sdk.ConfigKey{
	{Key: "min_ltv_cac", Doc: "lowest acceptable LTV:CAC ratio", Default: "3", Type: sdk.Float},
	{Key: "max_cac_payback_months", Doc: "longest acceptable CAC payback, in months", Default: "12", Type: sdk.Float},
	{Key: "min_nrr_percent", Doc: "lowest acceptable net revenue retention, in percent", Default: "100", Type: sdk.Float},
	{Key: "min_pipeline_coverage", Doc: "lowest acceptable pipeline coverage of the bookings target", Default: "3", Type: sdk.Float},
}

// Describe lists the plugin's rules and settings.
func (p *Plugin) Describe() sdk.Description {
	return sdk.Description{Name: "saas", Version: Version, Config: settings, Rules: []sdk.Rule{
		{ID: "saas-ltv-cac-low", Name: "LTV:CAC below the floor", Severity: "error", Scope: "kpi", Tags: []string{"saas", "money"},
			Doc: "A SaaS business needs lifetime value of at least three times acquisition cost to grow profitably.",
			Fix: "Cut CAC in the least efficient channels or raise expansion revenue before adding spend."},
		{ID: "saas-cac-payback-long", Name: "CAC payback above the ceiling", Severity: "warning", Scope: "kpi", Tags: []string{"saas", "money"},
			Doc: "Acquisition spend should pay back within a year.", Fix: "Shift spend to channels with faster payback, or raise entry pricing."},
		{ID: "saas-nrr-low", Name: "Net revenue retention below 100%", Severity: "warning", Scope: "kpi", Tags: []string{"saas", "customer"},
			Doc: "Below 100% the installed base shrinks and growth has to outrun churn.", Fix: "Invest in onboarding and expansion before acquisition."},
		{ID: "saas-pipeline-coverage-low", Name: "Pipeline coverage below the floor", Severity: "warning", Scope: "kpi", Tags: []string{"saas", "pipeline"},
			Doc: "Less than three times the bookings target in qualified pipeline rarely closes the quarter.", Fix: "Raise pipeline generation now; next quarter's coverage is built this quarter."},
		{ID: "saas-sourced-pipeline-missing", Name: "No marketing-sourced pipeline KPI for revenue growth", Severity: "error", Scope: "plan", Tags: []string{"saas", "vertical-alignment"},
			Doc: "Where revenue growth is a company objective, marketing must report the pipeline it sources.", Fix: "Add an outcome KPI for marketing-sourced pipeline and link it to a revenue key result."},
	}}
}

// Configure reads thresholds; a value that is not a number is an error.
func (p *Plugin) Configure(s map[string]string) error {
	v, err := sdk.ParseSettings(p.Describe(), s)
	if err != nil {
		return err
	}
	p.minLTVCAC, p.maxPayback = v.Float("min_ltv_cac"), v.Float("max_cac_payback_months")
	p.minNRR, p.minCoverage = v.Float("min_nrr_percent"), v.Float("min_pipeline_coverage")
	p.configured = true
	return nil
}

// Check applies the rules.
func (p *Plugin) Check(ctx context.Context, g *sdk.Graph) ([]sdk.Finding, error) {
	if !p.configured {
		if err := p.Configure(nil); err != nil {
			return nil, err
		}
	}
	var out []sdk.Finding
	below := func(rule string, k *sdk.KPI, floor float64, what string) {
		if k.Latest != nil && *k.Latest < floor {
			out = append(out, sdk.Finding{Rule: rule, Entity: k.Key, Message: fmt.Sprintf("%s %s is %g, below %g", what, k.Key, *k.Latest, floor)})
		}
	}
	for i := range g.KPIs {
		if i%4096 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		k := &g.KPIs[i]
		switch {
		case k.Mentions("ltv:cac", "ltv to cac", "ltv-cac", "ltv/cac"):
			below("saas-ltv-cac-low", k, p.minLTVCAC, "LTV:CAC")
		case k.Mentions("cac payback"):
			if k.Latest != nil && *k.Latest > p.maxPayback {
				out = append(out, sdk.Finding{Rule: "saas-cac-payback-long", Entity: k.Key,
					Message: fmt.Sprintf("CAC payback %s is %g months, above %g", k.Key, *k.Latest, p.maxPayback)})
			}
		case k.Mentions("net revenue retention", "nrr"):
			below("saas-nrr-low", k, p.minNRR, "net revenue retention")
		case k.Mentions("pipeline coverage"):
			below("saas-pipeline-coverage-low", k, p.minCoverage, "pipeline coverage")
		}
	}
	if g.HasBusinessObjective("revenue_growth") && len(g.FindKPIs(func(k *sdk.KPI) bool {
		return k.Kind == "outcome" && k.Mentions("sourced pipeline", "marketing-sourced", "pipeline created")
	})) == 0 {
		out = append(out, sdk.Finding{Rule: "saas-sourced-pipeline-missing",
			Message: "revenue growth is a business objective, but no outcome KPI measures marketing-sourced pipeline"})
	}
	return out, nil
}
