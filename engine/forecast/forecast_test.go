package forecast

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

var day0 = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)

// series is n weekly values (a day of jitter each) of a line with the
// given slope per week and Gaussian noise, and the value it takes, with
// its own noise, weeks after the last.
func series(r *rand.Rand, n int, slope, noise float64, weeks int) ([]Point, time.Time, float64) {
	var ps []Point
	for i := range n {
		at := day0.AddDate(0, 0, 7*i+r.IntN(3)-1)
		ps = append(ps, Point{at, 100 + slope*float64(i) + noise*r.NormFloat64()})
	}
	due := day0.AddDate(0, 0, 7*(n-1+weeks))
	return ps, due, 100 + slope*float64(n-1+weeks) + noise*r.NormFloat64()
}

// TestIntervalCoverage back-tests the method on synthetic series with a
// known trend and noise: the 80% interval holds the outcome in 70-90% of
// cases, and the likelihood of reaching a target is calibrated: of the
// targets given a likelihood near p, about p are reached.
func TestIntervalCoverage(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const trials = 4000
	covered, made := 0, 0
	var bins [5]struct{ sum, hit, n float64 }
	for range trials {
		n, weeks := 4+r.IntN(9), 1+r.IntN(6)
		slope, noise := 4*r.Float64()-2, 0.5+2.5*r.Float64()
		ps, due, truth := series(r, n, slope, noise, weeks)
		target := truth + noise*2*(r.Float64()-0.5)*3
		f, ok := Make(ps, due, Target{Value: target})
		if !ok {
			t.Fatalf("no forecast from %d points", n)
		}
		made++
		if f.Low <= truth && truth <= f.High {
			covered++
		}
		b := &bins[min(int(f.Likelihood*5), 4)]
		b.sum += f.Likelihood
		b.n++
		if truth >= target {
			b.hit++
		}
	}
	coverage := float64(covered) / float64(made)
	t.Logf("80%% interval coverage %.3f over %d series", coverage, made)
	if coverage < 0.70 || coverage > 0.90 {
		t.Errorf("the 80%% interval covered %.1f%% of outcomes, want 70-90%%", 100*coverage)
	}
	for i, b := range bins {
		if b.n < 100 {
			continue
		}
		said, got := b.sum/b.n, b.hit/b.n
		t.Logf("likelihood %.1f-%.1f: said %.2f, reached %.2f (%d)", float64(i)/5, float64(i+1)/5, said, got, int(b.n))
		if math.Abs(said-got) > 0.12 {
			t.Errorf("likelihoods near %.2f came true %.2f of the time", said, got)
		}
	}
}

// TestForecast: a clean rising series lands where its line goes, damped;
// directions decide what reaching means; too little history, or a due
// date already past, gives none.
func TestForecast(t *testing.T) {
	var ps []Point
	for i, v := range []float64{10, 12, 14.2, 15.8, 18} {
		ps = append(ps, Point{day0.AddDate(0, 0, 7*i), v})
	}
	due := day0.AddDate(0, 0, 7*8) // four weeks after the last
	f, ok := Make(ps, due, Target{Value: 30})
	if !ok || f.Method != Method {
		t.Fatal("no forecast")
	}
	// Undamped, the line reaches 26; damped, a little less.
	if f.Value < 24 || f.Value > 26 || f.Low >= f.Value || f.High <= f.Value {
		t.Errorf("forecast %+v, want about 25 inside its interval", f)
	}
	if f.Likelihood > 0.01 {
		t.Errorf("30 is far beyond the interval, yet likelihood %.3f", f.Likelihood)
	}
	if g, _ := Make(ps, due, Target{Value: 20}); g.Likelihood < 0.99 {
		t.Errorf("20 is well inside reach, yet likelihood %.3f", g.Likelihood)
	}
	if g, _ := Make(ps, due, Target{Value: 20, Direction: "decrease"}); g.Likelihood > 0.01 {
		t.Errorf("decreasing to 20 from a rising series: likelihood %.3f", g.Likelihood)
	}
	if g, _ := Make(ps, due, Target{Value: f.Value, Direction: "maintain"}); g.Likelihood < 0.5 {
		t.Errorf("maintaining the forecast value: likelihood %.3f", g.Likelihood)
	}
	if g, _ := Make(ps, due, Target{Value: 18, Direction: "maintain"}); g.Likelihood > 0.01 {
		t.Errorf("maintaining 18 while rising past it: likelihood %.3f", g.Likelihood)
	}
	if _, ok := Make(ps[:2], due, Target{}); ok {
		t.Error("a forecast from two values")
	}
	if _, ok := Make(ps, ps[4].At, Target{}); ok {
		t.Error("a forecast for a due date already reached")
	}
	// A line without residuals is no certainty that the trend goes on: the
	// interval reaches the undamped line's value.
	var line []Point
	for i := range 7 {
		line = append(line, Point{day0.AddDate(0, 0, 7*i), 2.4 + 0.05*float64(i)})
	}
	g, _ := Make(line, day0.AddDate(0, 0, 7*12), Target{Value: 3})
	if g.High < 3 || g.Low >= g.Value || g.Likelihood < 0.05 || g.Likelihood > 0.5 {
		t.Errorf("a perfect line, 3 on the undamped line at due: %+v", g)
	}
	same := []Point{{day0, 1}, {day0, 2}, {day0, 3}}
	if _, ok := Make(same, due, Target{}); ok {
		t.Error("a forecast from values all at one time")
	}
}

func BenchmarkMake(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	ps, due, _ := series(r, 12, 1, 1, 4)
	b.ReportAllocs()
	for b.Loop() {
		Make(ps, due, Target{Value: 120})
	}
}

// FuzzMake: any series within okrmap's value bounds gives a forecast with
// finite numbers, an ordered interval and a likelihood in 0-1, or none.
func FuzzMake(f *testing.F) {
	f.Add(int64(0), 1.0, int64(7), 2.0, int64(14), 3.5, int64(40), 5.0)
	f.Fuzz(func(t *testing.T, d1 int64, v1 float64, d2 int64, v2 float64, d3 int64, v3 float64, dueDays int64, target float64) {
		bound := func(v float64) bool { return !math.IsNaN(v) && math.Abs(v) <= 1e18 }
		if !bound(v1) || !bound(v2) || !bound(v3) || !bound(target) {
			return
		}
		at := func(d int64) time.Time { return day0.AddDate(0, 0, int(d%100000)) }
		ps := []Point{{at(d1), v1}, {at(d2), v2}, {at(d3), v3}}
		for _, dir := range []string{"", "decrease", "maintain"} {
			fc, ok := Make(ps, at(dueDays), Target{Value: target, Direction: dir})
			if !ok {
				continue
			}
			for _, v := range []float64{fc.Value, fc.Low, fc.High, fc.Likelihood} {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("%+v from %v", fc, ps)
				}
			}
			if fc.Low > fc.Value || fc.Value > fc.High || fc.Likelihood < 0 || fc.Likelihood > 1 {
				t.Fatalf("%+v from %v", fc, ps)
			}
		}
	})
}
