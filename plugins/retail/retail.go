// Package retail is an okrmap rule plugin for retailers: ROAS floors per
// channel, repeat purchase rate and average order value against their key
// results' pace, and margin or inventory KPIs wherever profitability is a
// company objective. Thresholds come from the plugin's settings.
package retail

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/okrmap/okrmap/plugins/sdk"
)

// Version is the plugin's version.
const Version = "0.2.0"

// Plugin is the retail rule plugin; the zero value uses default thresholds.
type Plugin struct {
	minROAS    float64
	channel    map[string]float64 // channel -> ROAS floor, from min_roas.<channel>
	maxBehind  float64
	configured bool
}

// The names retailers give these measures, as public retailers report them.
var (
	repeatWords     = []string{"repeat purchase", "repeat customer", "repeat order", "returning customer", "repeat buyer"}
	orderValueWords = []string{"average order value", "aov", "average ticket", "average cart value", "basket size", "basket value"}
	marginWords     = []string{"margin", "inventory", "stock turn", "sell-through", "gmroi"}
)

// Describe lists the plugin's rules and settings.
func (p *Plugin) Describe() sdk.Description {
	return sdk.Description{Name: "retail", Version: Version,
		Config: []sdk.ConfigKey{
			{Key: "min_roas", Doc: "lowest acceptable return on ad spend", Default: "3", Type: sdk.Float},
			{Key: "min_roas.<channel>", Doc: "the floor for KPIs tagged channel:<channel>, e.g. min_roas.search", Default: "min_roas", Type: sdk.Float},
			{Key: "max_behind_pace", Doc: "how far (0-1) a repeat-rate or AOV key result may trail its pace", Default: "0.2", Type: sdk.Float},
		},
		Rules: []sdk.Rule{
			{ID: "retail-roas-low", Name: "ROAS below the floor", Severity: "warning", Scope: "kpi", Tags: []string{"retail", "money"},
				Doc: "Ad spend that returns less than its floor loses money once margin is counted.", Fix: "Move budget from the channel to better-returning ones, or fix conversion first."},
			{ID: "retail-repeat-rate-behind", Name: "Repeat purchase rate behind its key result", Severity: "warning", Scope: "key_result", Tags: []string{"retail", "customer"},
				Doc: "Repeat customers carry retail margin; a repeat-rate key result behind pace needs action this quarter.", Fix: "Review the retention programme with the key result's owner."},
			{ID: "retail-aov-behind", Name: "Average order value behind its key result", Severity: "info", Scope: "key_result", Tags: []string{"retail", "revenue"},
				Doc: "Average order value trailing its key result drags revenue growth.", Fix: "Review bundling, thresholds for free delivery and recommendations."},
			{ID: "retail-margin-kpi-missing", Name: "No margin or inventory KPI for profitability", Severity: "error", Scope: "plan", Tags: []string{"retail", "vertical-alignment"},
				Doc: "Where profitability is a company objective, margin or inventory turnover must be measured.", Fix: "Add a gross margin or inventory turnover KPI and link it to the profitability objective."},
		}}
}

// Configure reads thresholds.
func (p *Plugin) Configure(s map[string]string) error {
	v, err := sdk.ParseSettings(p.Describe(), s)
	if err != nil {
		return err
	}
	p.minROAS, p.maxBehind, p.channel = v.Float("min_roas"), v.Float("max_behind_pace"), map[string]float64{}
	for k := range v {
		if channel, ok := strings.CutPrefix(k, "min_roas."); ok {
			p.channel[channel] = v.Float(k)
		}
	}
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
	for i := range g.KPIs {
		k := &g.KPIs[i]
		if !k.Mentions("roas", "return on ad spend") || k.Latest == nil {
			continue
		}
		floor, where := p.minROAS, ""
		for _, tag := range k.Tags {
			if ch, ok := strings.CutPrefix(tag, "channel:"); ok {
				if f, ok := p.channel[ch]; ok {
					floor, where = f, " for "+ch
				}
			}
		}
		if *k.Latest < floor {
			out = append(out, sdk.Finding{Rule: "retail-roas-low", Entity: k.Key,
				Message: fmt.Sprintf("ROAS %s is %g, below the floor of %g%s", k.Key, *k.Latest, floor, where)})
		}
	}
	// A key result is judged by its title or by the KPIs that measure it:
	// "Bring buyers back" measured by "Repeat customers" counts.
	measuredBy := map[string][]*sdk.KPI{}
	for i := range g.KPIs {
		for _, kr := range g.KPIs[i].KeyResults {
			measuredBy[kr] = append(measuredBy[kr], &g.KPIs[i])
		}
	}
	about := func(kr *sdk.KeyResult, words []string) bool {
		if kr.Mentions(words...) {
			return true
		}
		return slices.ContainsFunc(measuredBy[kr.Key], func(k *sdk.KPI) bool { return k.Mentions(words...) })
	}
	for i := range g.KeyResults {
		kr := &g.KeyResults[i]
		rule := ""
		switch {
		case about(kr, repeatWords):
			rule = "retail-repeat-rate-behind"
		case about(kr, orderValueWords):
			rule = "retail-aov-behind"
		default:
			continue
		}
		if kr.Current != nil && kr.Progress < kr.ExpectedProgress-p.maxBehind {
			out = append(out, sdk.Finding{Rule: rule, Entity: kr.Key, Message: fmt.Sprintf("%s is at %.0f%% with %.0f%% of its time gone",
				kr.Key, kr.Progress*100, kr.ExpectedProgress*100)})
		}
	}
	if g.HasBusinessObjective("profitability") && len(g.FindKPIs(func(k *sdk.KPI) bool {
		return k.Mentions(marginWords...)
	})) == 0 {
		out = append(out, sdk.Finding{Rule: "retail-margin-kpi-missing",
			Message: "profitability is a business objective, but no KPI measures margin or inventory"})
	}
	return out, nil
}
