// Package forecast projects a key result's value to its due date from its
// own history, and says how likely it is to reach its target.
//
// The method suits short, noisy series of check-ins: an ordinary
// least-squares line through the last MaxPoints values, extrapolated from
// the fitted last value with its slope damped toward flat (each further
// typical step between values counts Damping times the one before), and a
// prediction interval from the residuals (Student's t with n-2 degrees of
// freedom, as for a regression forecast at the damped horizon, widened by
// what the damping took off the undamped line). The
// likelihood of reaching the target is the probability that distribution
// gives to values past it, respecting the direction.
package forecast

import (
	"math"
	"slices"
	"time"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Parameters of the method.
const (
	// MinPoints is the fewest values a forecast is made from.
	MinPoints = 3
	// MaxPoints is how many of the latest values the line is fitted to.
	MaxPoints = 12
	// Damping is what each further typical step of the horizon counts,
	// relative to the one before.
	Damping = 0.95
	// Level is the interval's coverage.
	Level = 0.8
	// Method names the method in reports.
	Method = "damped-linear-trend"
)

// Point is one value of the series.
type Point struct {
	At    time.Time
	Value float64
}

// Target is what reaching means: Value, approached as Direction says
// (increase, the default; decrease; maintain, within 5% of Value).
type Target struct {
	Value     float64
	Direction string
}

// Forecast is the value expected at the due date, its 80% interval, and
// the likelihood of reaching the target (0-1).
type Forecast struct {
	Value      float64 `json:"value"`
	Low        float64 `json:"low"`
	High       float64 `json:"high"`
	Likelihood float64 `json:"likelihood"`
	Method     string  `json:"method"`
}

// Make forecasts the series at due. It needs MinPoints values at two or
// more times, all before due; ok is false otherwise. points need not be
// sorted and are not modified.
func Make(points []Point, due time.Time, target Target) (f Forecast, ok bool) {
	if len(points) < MinPoints {
		return Forecast{}, false
	}
	ps := points
	if !slices.IsSortedFunc(ps, func(a, b Point) int { return a.At.Compare(b.At) }) {
		ps = slices.Clone(points)
		slices.SortStableFunc(ps, func(a, b Point) int { return a.At.Compare(b.At) })
	}
	if len(ps) > MaxPoints {
		ps = ps[len(ps)-MaxPoints:]
	}
	first, last := ps[0].At, ps[len(ps)-1].At
	if !last.After(first) || !due.After(last) {
		return Forecast{}, false
	}
	n := float64(len(ps))
	var xs, ys [MaxPoints]float64
	x, y := xs[:len(ps)], ys[:len(ps)]
	for i, p := range ps {
		x[i], y[i] = days(p.At.Sub(first)), p.Value
	}
	alpha, beta := stat.LinearRegression(x, y, nil, false)
	meanX := stat.Mean(x, nil)
	var sxx, sse float64
	for i := range x {
		sxx += (x[i] - meanX) * (x[i] - meanX)
		r := y[i] - (alpha + beta*x[i])
		sse += r * r
	}
	// The damped horizon, in days: k typical steps count
	// Damping + Damping^2 + ... + Damping^k steps.
	step := days(last.Sub(first)) / (n - 1)
	k := days(due.Sub(last)) / step
	h := step * Damping * (1 - math.Pow(Damping, k)) / (1 - Damping)
	at := x[len(x)-1] + h
	f = Forecast{Value: alpha + beta*at, Method: Method}
	// The spread of the regression at the damped horizon, and the
	// damping's pull: whether the trend goes on is uncertain too, and a
	// line fitted without residuals is no certainty.
	pull := beta * (days(due.Sub(last)) - h)
	se := math.Sqrt(sse/(n-2)*(1+1/n+(at-meanX)*(at-meanX)/sxx) + pull*pull)
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: n - 2}
	q := quantiles[len(ps)-2]
	f.Low, f.High = f.Value-q*se, f.Value+q*se
	f.Likelihood = likelihood(f.Value, se, t, target)
	return f, true
}

// likelihood is the probability, under value + se*T, of reaching target.
func likelihood(value, se float64, t distuv.StudentsT, target Target) float64 {
	cdf := func(v float64) float64 { // P(Y <= v)
		if se == 0 {
			if value <= v {
				return 1
			}
			return 0
		}
		return t.CDF((v - value) / se)
	}
	switch target.Direction {
	case "decrease":
		return cdf(target.Value)
	case "maintain":
		band := 0.05 * math.Abs(target.Value)
		return cdf(target.Value+band) - cdf(target.Value-band)
	}
	if se == 0 {
		if value >= target.Value {
			return 1
		}
		return 0
	}
	return 1 - cdf(target.Value)
}

func days(d time.Duration) float64 { return d.Hours() / 24 }

// quantiles holds Student's t quantile for the interval, by degrees of
// freedom (n-2 for n values).
var quantiles = func() (q [MaxPoints - 1]float64) {
	for df := 1; df < MaxPoints-1; df++ {
		q[df] = distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(df)}.Quantile(0.5 + Level/2)
	}
	return q
}()
