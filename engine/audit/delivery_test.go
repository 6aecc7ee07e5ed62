package audit

import (
	"strconv"
	"testing"
	"time"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/resolve"
)

// TestDelivery: open key results with a target are judged by their
// forecast, else their pace, else counted without data; each counts once
// per team, business objective and P&L line it reaches, aligned
// objectives included.
func TestDelivery(t *testing.T) {
	due := engine.NewDate(2026, 12, 31)
	kr := func(key string, current *float64) engine.KeyResult {
		return engine.KeyResult{Key: key, Title: key, Baseline: f(0), Target: f(100), Current: current, Due: due}
	}
	p := &engine.Plan{
		BusinessObjectives: []engine.BusinessObjective{{Key: "grow", Title: "G", PnLLine: "revenue"}, {Key: "keep", Title: "K", PnLLine: "retention"}},
		Objectives: []engine.Objective{
			{Key: "ceo", Title: "C", Team: "exec", Period: "2026-Q4", Parent: "grow", Status: "active",
				KeyResults: []engine.KeyResult{kr("landing", f(80)), kr("missing", f(20))}},
			{Key: "cs", Title: "S", Team: "cs", Period: "2026-Q4", Parent: "keep", Status: "active", AlignsTo: []string{"landing"},
				KeyResults: []engine.KeyResult{kr("slipping", f(35)), kr("unmeasured", nil), {Key: "no-target", Title: "N"}}},
			{Key: "old", Title: "O", Team: "cs", Period: "2026-Q4", Parent: "keep", Status: "closed",
				KeyResults: []engine.KeyResult{kr("closed", f(0))}},
		},
	}
	at := func(key string, day int, v float64) engine.CheckIn {
		return engine.CheckIn{KeyResult: key, At: time.Date(2026, 10, day, 0, 0, 0, 0, time.UTC), Value: v}
	}
	var cs []engine.CheckIn
	for i, day := range []int{5, 12, 19, 26} {
		cs = append(cs, at("landing", day, 20*float64(i+1)), at("missing", day, 5*float64(i+1)))
	}
	g := resolve.Resolve(resolve.Input{Plan: p, CheckIns: cs, Today: engine.NewDate(2026, 11, 20)})
	d := Delivery(g, engine.Scope{})

	c := d.Company
	if c.OnTrack != 1 || c.AtRisk != 1 || c.OffTrack != 1 || c.NoData != 1 || c.Forecasts != 2 {
		t.Fatalf("company %+v, want landing on track, slipping at risk (pace), missing off track, unmeasured without data", c)
	}
	if c.Score == nil || *c.Score != 50 || c.Likelihood == nil || *c.Likelihood < 0.4 || *c.Likelihood > 0.6 {
		t.Errorf("company score %v, likelihood %v; want 50 and about one in two", c.Score, c.Likelihood)
	}
	// landing's objective hangs under grow; cs aligns to landing, so its
	// key results reach grow's line too, once each.
	if r := d.PnLLines["revenue"]; r.OnTrack != 1 || r.OffTrack != 1 || r.AtRisk != 1 || r.NoData != 1 {
		t.Errorf("revenue %+v", r)
	}
	if r := d.PnLLines["retention"]; r.AtRisk != 1 || r.NoData != 1 || r.OnTrack != 0 {
		t.Errorf("retention %+v", r)
	}
	if e := d.Teams["exec"]; e.OnTrack != 1 || e.OffTrack != 1 || d.Teams["cs"].AtRisk != 1 {
		t.Errorf("teams %+v", d.Teams)
	}
	if none := Delivery(g, engine.Scope{Teams: []string{"nobody"}}); none.Company.Score != nil || none.Company.Likelihood != nil {
		t.Errorf("a scope without key results: %+v", none.Company)
	}
}

// BenchmarkForecastsAndDelivery resolves 100,000 key results with eight
// check-ins each, with and without their check-ins (the difference is the
// forecasts), and judges their delivery.
func BenchmarkForecastsAndDelivery(b *testing.B) {
	p := &engine.Plan{BusinessObjectives: []engine.BusinessObjective{{Key: "grow", Title: "G", PnLLine: "revenue"}}}
	var cs []engine.CheckIn
	for i := range 10000 {
		o := engine.Objective{Key: "o" + itoa(i), Title: "O", Team: "t" + itoa(i%100), Period: "2026-Q4", Parent: "grow", Status: "active"}
		for j := range 10 {
			key := o.Key + "-" + itoa(j)
			o.KeyResults = append(o.KeyResults, engine.KeyResult{Key: key, Title: "K", Baseline: f(0), Target: f(100), Current: f(50),
				Due: engine.NewDate(2026, 12, 31)})
			for w := range 8 {
				cs = append(cs, engine.CheckIn{KeyResult: key, At: time.Date(2026, 10, 1+7*w, 0, 0, 0, 0, time.UTC), Value: float64(5*w + j)})
			}
		}
		p.Objectives = append(p.Objectives, o)
	}
	today := engine.NewDate(2026, 11, 25)
	b.Run("resolve-without-checkins", func(b *testing.B) {
		for b.Loop() {
			resolve.Resolve(resolve.Input{Plan: p, Today: today})
		}
	})
	b.Run("resolve-with-checkins", func(b *testing.B) {
		for b.Loop() {
			resolve.Resolve(resolve.Input{Plan: p, CheckIns: cs, Today: today})
		}
	})
	g := resolve.Resolve(resolve.Input{Plan: p, CheckIns: cs, Today: today})
	b.Run("delivery", func(b *testing.B) {
		for b.Loop() {
			Delivery(g, engine.Scope{})
		}
	})
}

func itoa(i int) string { return strconv.Itoa(i) }
