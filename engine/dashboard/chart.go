package dashboard

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"
	"time"

	"github.com/okrmap/okrmap/engine"
)

// chart is a time-series chart drawn as SVG on the server: lines of
// points, horizontal rules (a target) and bands (warning, critical). Colour
// comes from CSS classes; every series is named in a legend and every
// point has a tooltip, and the data is repeated as a table.
type chart struct {
	Title  string
	Unit   string
	Series []series
	Rules  []rule
	Bands  []band
	// From and To widen the time axis beyond the data (a quarter).
	From, To time.Time
	// Cone, if set, is a forecast drawn from the last value to its
	// interval at a later time.
	Cone *cone
}

// cone is a forecast: from Start at From to Value, within Low to High, at To.
type cone struct {
	Name                    string
	From, To                time.Time
	Start, Value, Low, High float64
}

type series struct {
	Name   string
	Class  string
	Dashed bool
	Points []point
}

type point struct {
	T time.Time
	V float64
}

type rule struct {
	Name, Class string
	V           float64
}

// band shades values from From to To; an infinite end reaches the edge.
type band struct {
	Name, Class string
	From, To    float64
}

const (
	chartW, chartH                     = 640, 220
	padL, padR, padT, padB             = 72, 12, 10, 26
	plotW, plotH                       = chartW - padL - padR, chartH - padT - padB
	chartTicks                         = 4
	pointRadius                        = 3
	chartDateFormat, chartShortDateFmt = "2006-01-02", "Jan 2"
)

// empty reports whether there is nothing to draw.
func (c chart) empty() bool {
	for _, s := range c.Series {
		if len(s.Points) > 0 {
			return false
		}
	}
	return true
}

// bounds returns the value and time ranges the chart shows.
func (c chart) bounds() (lo, hi float64, from, to time.Time) {
	lo, hi = math.Inf(1), math.Inf(-1)
	from, to = c.From, c.To
	grow := func(v float64) {
		if !math.IsInf(v, 0) && !math.IsNaN(v) {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	for _, s := range c.Series {
		for _, p := range s.Points {
			grow(p.V)
			if from.IsZero() || p.T.Before(from) {
				from = p.T
			}
			if to.IsZero() || p.T.After(to) {
				to = p.T
			}
		}
	}
	for _, r := range c.Rules {
		grow(r.V)
	}
	for _, b := range c.Bands {
		grow(b.From)
		grow(b.To)
	}
	if k := c.Cone; k != nil {
		grow(k.Low)
		grow(k.High)
		if k.To.After(to) {
			to = k.To
		}
	}
	if math.IsInf(lo, 1) {
		lo, hi = 0, 1
	}
	if hi == lo {
		lo, hi = lo-math.Max(1, math.Abs(lo)*0.1), hi+math.Max(1, math.Abs(hi)*0.1)
	}
	pad := (hi - lo) * 0.06
	lo, hi, _ = niceRange(lo-pad, hi+pad, chartTicks)
	if !to.After(from) {
		from, to = from.Add(-12*time.Hour), from.Add(12*time.Hour)
	}
	return lo, hi, from, to
}

// niceRange widens lo-hi to multiples of a step of 1, 2, 2.5 or 5 times
// a power of ten, so that about ticks steps span it and the axis reads
// 0, 50, 100 rather than 3, 52.25, 101.5.
func niceRange(lo, hi float64, ticks int) (nlo, nhi, step float64) {
	raw := (hi - lo) / float64(ticks)
	if raw <= 0 || math.IsNaN(raw) || math.IsInf(raw, 0) {
		return lo, hi, math.Max(hi-lo, 1)
	}
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if step = m * mag; step >= raw {
			break
		}
	}
	return math.Floor(lo/step) * step, math.Ceil(hi/step) * step, step
}

// SVG draws the chart in a figure with its legend and data table.
func (c chart) SVG() template.HTML {
	if c.empty() {
		return template.HTML(`<p class="muted">No values yet.</p>`)
	}
	lo, hi, from, to := c.bounds()
	x := func(t time.Time) float64 {
		return padL + plotW*float64(t.Sub(from))/float64(to.Sub(from))
	}
	y := func(v float64) float64 {
		v = math.Max(lo, math.Min(hi, v))
		return padT + plotH*(1-(v-lo)/(hi-lo))
	}
	var b strings.Builder
	esc := html.EscapeString
	title := esc(c.Title)
	fmt.Fprintf(&b, `<figure class="chart"><svg viewBox="0 0 %d %d" role="img" aria-label="%s" preserveAspectRatio="xMinYMin meet">`, chartW, chartH, title)
	fmt.Fprintf(&b, `<title>%s</title>`, title)
	for _, bd := range c.Bands {
		y1, y2 := y(bd.To), y(bd.From)
		if y1 > y2 {
			y1, y2 = y2, y1
		}
		fmt.Fprintf(&b, `<rect class="band %s" x="%d" y="%.1f" width="%d" height="%.1f"><title>%s</title></rect>`,
			esc(bd.Class), padL, y1, plotW, y2-y1, esc(bd.Name))
	}
	_, _, step := niceRange(lo, hi, chartTicks)
	for v := lo; v <= hi+step/2; v += step {
		fmt.Fprintf(&b, `<line class="grid" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/>`, padL, chartW-padR, y(v), y(v))
		fmt.Fprintf(&b, `<text class="tick" x="%d" y="%.1f" text-anchor="end">%s</text>`, padL-6, y(v)+4, esc(engine.Number(v, c.Unit)))
	}
	for i, t := range []time.Time{from, from.Add(to.Sub(from) / 2), to} {
		anchor := []string{"start", "middle", "end"}[i]
		fmt.Fprintf(&b, `<text class="tick" x="%.1f" y="%d" text-anchor="%s">%s</text>`, x(t), chartH-8, anchor, t.Format(chartShortDateFmt))
	}
	for _, r := range c.Rules {
		fmt.Fprintf(&b, `<line class="rule %s" x1="%d" x2="%d" y1="%.1f" y2="%.1f"><title>%s: %s</title></line>`,
			esc(r.Class), padL, chartW-padR, y(r.V), y(r.V), esc(r.Name), esc(engine.Number(r.V, c.Unit)))
	}
	if k := c.Cone; k != nil {
		tip := esc(fmt.Sprintf("%s on %s: %s (%s to %s)", k.Name, k.To.Format(chartDateFormat), engine.Number(k.Value, c.Unit),
			engine.Number(k.Low, c.Unit), engine.Number(k.High, c.Unit)))
		fmt.Fprintf(&b, `<polygon class="cone" points="%.1f,%.1f %.1f,%.1f %.1f,%.1f"><title>%s</title></polygon>`,
			x(k.From), y(k.Start), x(k.To), y(k.High), x(k.To), y(k.Low), tip)
		fmt.Fprintf(&b, `<polyline class="line s-forecast dashed" points="%.1f,%.1f %.1f,%.1f"/>`, x(k.From), y(k.Start), x(k.To), y(k.Value))
		fmt.Fprintf(&b, `<circle class="dot s-forecast" cx="%.1f" cy="%.1f" r="%d"><title>%s</title></circle>`, x(k.To), y(k.Value), pointRadius, tip)
	}
	for _, s := range c.Series {
		if len(s.Points) == 0 {
			continue
		}
		var pts []string
		for _, p := range s.Points {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(p.T), y(p.V)))
		}
		dash := ""
		if s.Dashed {
			dash = " dashed"
		}
		fmt.Fprintf(&b, `<polyline class="line %s%s" points="%s"/>`, esc(s.Class), dash, strings.Join(pts, " "))
		if s.Dashed {
			continue // a reference line, not observations
		}
		for _, p := range s.Points {
			fmt.Fprintf(&b, `<circle class="dot %s" cx="%.1f" cy="%.1f" r="%d"><title>%s %s: %s</title></circle>`,
				esc(s.Class), x(p.T), y(p.V), pointRadius, esc(s.Name), p.T.Format(chartDateFormat), esc(engine.Number(p.V, c.Unit)))
		}
	}
	b.WriteString(`</svg><figcaption><ul class="legend">`)
	for _, s := range c.Series {
		fmt.Fprintf(&b, `<li><span class="swatch %s" aria-hidden="true"></span>%s</li>`, esc(s.Class), esc(s.Name))
	}
	for _, r := range c.Rules {
		fmt.Fprintf(&b, `<li><span class="swatch %s" aria-hidden="true"></span>%s %s</li>`, esc(r.Class), esc(r.Name), esc(engine.Number(r.V, c.Unit)))
	}
	for _, bd := range c.Bands {
		fmt.Fprintf(&b, `<li><span class="swatch band %s" aria-hidden="true"></span>%s</li>`, esc(bd.Class), esc(bd.Name))
	}
	if k := c.Cone; k != nil {
		fmt.Fprintf(&b, `<li><span class="swatch s-forecast" aria-hidden="true"></span>%s, with its 80%% interval</li>`, esc(k.Name))
	}
	b.WriteString(`</ul></figcaption></figure>`)
	c.table(&b)
	return template.HTML(b.String())
}

// table repeats the observed points as a table for screen readers and
// for copying.
func (c chart) table(b *strings.Builder) {
	b.WriteString(`<details class="data"><summary>Data table</summary><table><thead><tr><th scope="col">Series</th><th scope="col">Date</th><th scope="col">Value</th></tr></thead><tbody>`)
	for _, s := range c.Series {
		if s.Dashed {
			continue
		}
		for _, p := range s.Points {
			fmt.Fprintf(b, `<tr><td>%s</td><td>%s</td><td class="num">%s</td></tr>`, html.EscapeString(s.Name),
				p.T.Format("2006-01-02 15:04"), html.EscapeString(engine.Number(p.V, c.Unit)))
		}
	}
	if k := c.Cone; k != nil {
		fmt.Fprintf(b, `<tr><td>%s</td><td>%s</td><td class="num">%s (%s to %s)</td></tr>`, html.EscapeString(k.Name),
			k.To.Format("2006-01-02 15:04"), html.EscapeString(engine.Number(k.Value, c.Unit)),
			html.EscapeString(engine.Number(k.Low, c.Unit)), html.EscapeString(engine.Number(k.High, c.Unit)))
	}
	b.WriteString(`</tbody></table></details>`)
}

// sparkline draws scores (0-100, oldest first) as a small line.
func sparkline(label string, scores []float64) template.HTML {
	if len(scores) < 2 {
		return ""
	}
	const w, h = 96, 24
	var pts []string
	for i, s := range scores {
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", float64(w)*float64(i)/float64(len(scores)-1), 2+float64(h-4)*(1-math.Max(0, math.Min(100, s))/100)))
	}
	return template.HTML(fmt.Sprintf(`<svg class="spark" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s"><polyline points="%s"/></svg>`,
		w, h, w, h, html.EscapeString(label), strings.Join(pts, " ")))
}

// bar draws progress (0-1) against the expected pace as a small bar; the
// words beside it carry the meaning, the colour only repeats it.
func bar(progress, expected *float64, class string) template.HTML {
	if progress == nil {
		return template.HTML(`<svg class="bar" viewBox="0 0 100 10" width="120" height="12" aria-hidden="true"><rect class="track" width="100" height="10"/></svg>`)
	}
	p := math.Max(0, math.Min(1, *progress)) * 100
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="bar" viewBox="0 0 100 10" width="120" height="12" aria-hidden="true"><rect class="track" width="100" height="10"/><rect class="fill %s" width="%.1f" height="10"/>`, html.EscapeString(class), p)
	if expected != nil {
		e := math.Max(0, math.Min(1, *expected)) * 100
		fmt.Fprintf(&b, `<line class="pace" x1="%.1f" x2="%.1f" y1="0" y2="10"/>`, e, e)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
