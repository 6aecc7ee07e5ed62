package gen

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/okrmap/okrmap/engine"
)

// every is the time between a KPI's measurements by its frequency.
var every = map[string]time.Duration{"daily": 24 * time.Hour, "weekly": 7 * 24 * time.Hour,
	"monthly": 30 * 24 * time.Hour, "quarterly": 91 * 24 * time.Hour}

// History returns n measurements of each KPI of p without a formula, at
// the KPI's frequency and ending at end, in time order per KPI: a random
// walk from a base value. The same seed gives the same history.
func History(p *engine.Plan, n int, end time.Time, seed uint64) []engine.Measurement {
	if n <= 0 {
		return nil
	}
	r := rand.New(rand.NewPCG(seed, 0x68697374))
	out := make([]engine.Measurement, 0, n*len(p.KPIs))
	end = end.UTC().Truncate(time.Hour)
	for _, k := range p.KPIs {
		if k.Formula != "" {
			continue
		}
		step := every[k.Frequency]
		if step == 0 {
			step = every["weekly"]
		}
		v := float64(100 + r.IntN(10000))
		for i := n - 1; i >= 0; i-- {
			v = math.Round(v*(0.95+r.Float64()*0.1)*100) / 100
			out = append(out, engine.Measurement{KPI: k.Key, At: end.Add(-time.Duration(i) * step), Value: v})
		}
	}
	return out
}
