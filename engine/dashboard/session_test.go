package dashboard

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/okrmap/okrmap/engine"
)

// TestLocalPath: a sign-in link's next leads nowhere off this site, as a
// browser reads it: tabs and newlines dropped, a backslash a slash.
func TestLocalPath(t *testing.T) {
	for _, p := range []string{
		"/\t/evil.example/phish", "/\r\n/evil.example", "/\\evil.example", "\\\\evil.example", "\\/evil.example",
		"//evil.example", "https://evil.example/", "javascript:alert(1)", " //evil.example", "/\x00/evil.example",
		"/\t\\evil.example", "", "map", "/%0a/x\x7f",
	} {
		if got := localPath(p); got != "/" {
			t.Errorf("localPath(%q) = %q, want /", p, got)
		}
	}
	for _, p := range []string{"/map?q=pipeline", "/key-results/a-b", "/audits/1#top", "/%2F%2Fevil.example"} {
		if got := localPath(p); got != p {
			t.Errorf("localPath(%q) = %q, want it kept", p, got)
		}
	}
}

// TestChartTicksAreNice: a KPI chart with threshold bands has axis ticks
// that are round numbers near its values; a band's open end (it was a
// 1e300 sentinel) does not reach the axis.
func TestChartTicksAreNice(t *testing.T) {
	warn, crit := 40.0, 20.0
	k := engine.KPI{Key: "k", Name: "Win rate", Unit: "percent", Thresholds: &engine.Thresholds{Warning: &warn, Critical: &crit}}
	day := func(d int) time.Time { return time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC) }
	svg := string(kpiChart(k, []engine.Measurement{{At: day(2), Value: 31.5}, {At: day(9), Value: 47.25}, {At: day(16), Value: 52}}).SVG())
	ticks := regexp.MustCompile(`<text class="tick" x="\d+" y="[\d.]+" text-anchor="end">([^<]+)</text>`).FindAllStringSubmatch(svg, -1)
	if len(ticks) < 3 || len(ticks) > 8 {
		t.Fatalf("%d ticks: %v", len(ticks), ticks)
	}
	for _, m := range ticks {
		v, err := strconv.ParseFloat(strings.ReplaceAll(m[1], ",", ""), 64)
		if err != nil || math.Abs(v) > 1000 || math.Mod(v, 5) != 0 {
			t.Errorf("tick %q is not a round number near the values", m[1])
		}
	}
	if strings.Contains(svg, "e+") || strings.Contains(svg, "NaN") {
		t.Errorf("the chart holds an overflowed number:\n%s", svg)
	}
}
