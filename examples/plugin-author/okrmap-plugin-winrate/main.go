// Command okrmap-plugin-winrate is the plugin built in the plugin author's
// walk-through (examples/plugin-author/README.md): win rate KPIs under a
// floor the team sets, and win rates that keep falling or have passed their
// critical threshold.
package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/okrmap/okrmap/plugins/sdk"
)

// winRate is the plugin. floor is set by Configure.
type winRate struct{ floor float64 }

// falls is how many falls in a row winrate-falling waits for; the
// measurements it needs reach back about that many months.
const falls = 2

func (p *winRate) Describe() sdk.Description {
	return sdk.Description{
		Name:    "winrate",
		Version: "1.1.0",
		Config:  []sdk.ConfigKey{{Key: "min_win_rate", Doc: "lowest acceptable win rate, in percent", Default: "20", Type: sdk.Float}},
		Rules: []sdk.Rule{{
			ID: "winrate-low", Name: "Win rate under the floor", Severity: "warning", Scope: "kpi",
			Doc: "Below the floor, more pipeline will not close the quarter.",
			Fix: "Review qualification and the sales process before buying more pipeline.",
		}, {
			ID: "winrate-falling", Name: "Win rate falling, or past its critical threshold", Severity: "warning", Scope: "kpi",
			Doc: "A win rate that fell at each of its last measurements, or passed its critical threshold, will not recover by itself.",
			Fix: "Find what changed in the deals lost since the fall began (segment, competitor, price) before the quarter closes.",
		}},
		// Monthly win rates: about four months of history covers the falls.
		History: sdk.History{MeasurementDays: 31 * (falls + 2)},
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
		if msg := falling(k); msg != "" {
			out = append(out, sdk.Finding{Rule: "winrate-falling", Entity: k.Key, Message: msg})
		}
	}
	return out, nil
}

// falling says why k is falling: past its critical threshold (okrmap
// decides that, as for its own rules), or lower at each of its last
// measurements; "" when it is neither.
func falling(k *sdk.KPI) string {
	if k.Breaching == "critical" {
		return fmt.Sprintf("win rate %s is %g%%, past its critical threshold of %g%%", k.Key, *k.Latest, *k.Critical)
	}
	h := k.History
	if len(h) < falls+1 {
		return ""
	}
	last := h[len(h)-falls-1:]
	values := make([]string, len(last))
	for i, m := range last {
		if i > 0 && m.Value >= last[i-1].Value {
			return ""
		}
		values[i] = fmt.Sprintf("%g%% on %s", m.Value, m.At.Format("2006-01-02"))
	}
	return fmt.Sprintf("win rate %s fell at each of its last %d measurements: %s", k.Key, falls, strings.Join(values, ", "))
}

func main() { sdk.Serve(&winRate{}) }
