// Command okrmap-plugin-winrate is the plugin built in the plugin author's
// walk-through (examples/plugin-author/README.md): one rule that flags win
// rate KPIs under a floor the team sets.
package main

import (
	"context"
	"fmt"

	"github.com/okrmap/okrmap/plugins/sdk"
)

// winRate is the plugin. floor is set by Configure.
type winRate struct{ floor float64 }

func (p *winRate) Describe() sdk.Description {
	return sdk.Description{
		Name:    "winrate",
		Version: "1.0.0",
		Config:  []sdk.ConfigKey{{Key: "min_win_rate", Doc: "lowest acceptable win rate, in percent", Default: "20", Type: sdk.Float}},
		Rules: []sdk.Rule{{
			ID: "winrate-low", Name: "Win rate under the floor", Severity: "warning", Scope: "kpi",
			Doc: "Below the floor, more pipeline will not close the quarter.",
			Fix: "Review qualification and the sales process before buying more pipeline.",
		}},
	}
}

func (p *winRate) Configure(settings map[string]string) error {
	v, err := sdk.ParseSettings(p.Describe(), settings) // typed, defaults filled in
	if err != nil {
		return err
	}
	p.floor = v.Float("min_win_rate")
	return nil
}

func (p *winRate) Check(ctx context.Context, g *sdk.Graph) ([]sdk.Finding, error) {
	var out []sdk.Finding
	for _, k := range g.FindKPIs(func(k *sdk.KPI) bool { return k.Mentions("win rate") && k.Latest != nil }) {
		if *k.Latest < p.floor {
			out = append(out, sdk.Finding{Rule: "winrate-low", Entity: k.Key,
				Message: fmt.Sprintf("win rate %s is %g%%, under the floor of %g%%", k.Key, *k.Latest, p.floor)})
		}
	}
	return out, nil
}

func main() { sdk.Serve(&winRate{}) }
