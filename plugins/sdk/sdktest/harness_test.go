package sdktest

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/okrmap/okrmap/engine/resolve"
	"github.com/okrmap/okrmap/plugins/sdk"
)

// probe is a plugin whose findings and settings errors the tests choose.
type probe struct {
	find func(g *sdk.Graph) []sdk.Finding
}

func (probe) Describe() sdk.Description {
	return sdk.Description{Name: "probe", Version: "0.0.1",
		Rules:  []sdk.Rule{{ID: "probe-kpi", Name: "Probe", Severity: "warning", Scope: "kpi"}},
		Config: []sdk.ConfigKey{{Key: "floor", Default: "3", Doc: "the floor"}}}
}

func (probe) Configure(settings map[string]string) error {
	if v := settings["floor"]; v != "" && v != "3" {
		return errors.New(`floor "` + v + `" is not a number`)
	}
	return nil
}

func (p probe) Check(_ context.Context, g *sdk.Graph) ([]sdk.Finding, error) { return p.find(g), nil }

func fixture(t *testing.T) *Fixture {
	files, _ := filepath.Glob("../../../examples/saas-b2b/*.yaml")
	return Load(t, "2026-11-20", "", files...)
}

// Findings come back as an audit reports them: team and trace filled in.
func TestCheckFillsTeamAndTrace(t *testing.T) {
	fx := fixture(t)
	key := fx.Graph().KPIs[0].Key
	fs := fx.Check(t, probe{func(g *sdk.Graph) []sdk.Finding {
		return []sdk.Finding{{Rule: "probe-kpi", Entity: key, Message: "m"}}
	}}, nil)
	if len(fs) != 1 || fs[0].Team == "" || len(fs[0].Trace) < 2 || fs[0].Trace[0] != key || fs[0].Severity != "warning" {
		t.Fatalf("findings %+v", fs)
	}
}

// Run returns what okrmap would refuse, as okrmap words it.
func TestRunReturnsRefusals(t *testing.T) {
	fx := fixture(t)
	none := func(*sdk.Graph) []sdk.Finding { return nil }
	for _, c := range []struct {
		p        probe
		settings map[string]string
		want     string
	}{
		{probe{none}, map[string]string{"flor": "20"}, `configure: unknown setting "flor" for plugin probe; it accepts: floor`},
		{probe{none}, map[string]string{"floor": "abc"}, `configure: floor "abc" is not a number`},
		{probe{func(g *sdk.Graph) []sdk.Finding {
			return []sdk.Finding{{Rule: "probe-kpi", Entity: g.Teams[0].Key, Message: "m"}}
		}}, nil, "under rule probe-kpi, whose scope is kpi"},
		{probe{func(*sdk.Graph) []sdk.Finding {
			return []sdk.Finding{{Rule: "probe-kpi", Entity: "no-such-kpi", Message: "m"}}
		}}, nil, `"no-such-kpi", which is not in the graph`},
		// A panic is an error naming it and where, and go test goes on.
		{probe{func(g *sdk.Graph) []sdk.Finding {
			var counts map[string]int
			counts[g.KPIs[0].Key]++
			return nil
		}}, nil, "the plugin panicked: assignment to entry in nil map"},
	} {
		_, err := fx.Run(t, c.p, c.settings)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "rpc error") {
			t.Errorf("got %v, want %q", err, c.want)
		}
	}
}

// What the rules see arrives in the plugin's graph: owners, dates and
// measurement times, among the rest.
func TestGraphCarriesRuleFields(t *testing.T) {
	files, _ := filepath.Glob("../../../examples/saas-b2b/*.yaml")
	fx := Load(t, "2026-11-20", "../../../examples/saas-b2b/measurements.csv", files...)
	g := fx.Graph()
	thresholds := 0
	for i, k := range fx.graph.KPIs {
		got := g.KPIs[i]
		if got.Key != k.Key || got.Owner != k.Owner || got.Definition != k.Definition || got.DaysSinceMeasurement != k.DaysSinceMeasurement ||
			!got.LatestAt.Equal(k.LatestAt) || !slices.Equal(got.Trace, k.Trace) || got.WindowDays != k.WindowDays {
			t.Fatalf("KPI %s: %+v", k.Key, got)
		}
		if (got.Warning != nil) != k.HasWarning || (got.Critical != nil) != k.HasCritical || got.Breaching != k.Breaching ||
			(k.HasWarning && *got.Warning != k.Warning) || (k.HasCritical && *got.Critical != k.Critical) {
			t.Fatalf("KPI %s thresholds: %v %v %q", k.Key, got.Warning, got.Critical, got.Breaching)
		}
		if k.HasWarning {
			thresholds++
		}
	}
	for i, o := range fx.graph.Objectives {
		if got := g.Objectives[i]; got.Owner != o.Owner || !got.PeriodEnd.Equal(o.PeriodEnd) || !slices.Equal(got.Ancestors, o.Ancestors) {
			t.Fatalf("objective %s: %+v", o.Key, got)
		}
	}
	if thresholds == 0 {
		t.Error("the fixture has no KPI with thresholds")
	}
	owners := 0
	for i, k := range fx.graph.KeyResults {
		got := g.KeyResults[i]
		if got.Owner != k.Owner || got.CheckIns != k.CheckIns || got.DaysSinceCheckIn != k.DaysSinceCheckIn || (got.Due.IsZero() == k.HasDue) {
			t.Fatalf("key result %s: %+v", k.Key, got)
		}
		if got.Owner != "" {
			owners++
		}
	}
	history := 0
	for _, k := range g.KPIs {
		for i, m := range k.History {
			if i > 0 && m.At.Before(k.History[i-1].At) {
				t.Fatalf("KPI %s history out of order", k.Key)
			}
		}
		history += len(k.History)
	}
	if history == 0 || g.HistoryDays < 30 {
		t.Errorf("the fixture's measurements did not reach the plugin's graph as history: %d values over %d days", history, g.HistoryDays)
	}
	if len(g.Links) == 0 || len(g.Links) != len(fx.graph.Links) || len(g.Assumptions) != len(fx.graph.Assumptions) {
		t.Fatalf("%d links and %d assumptions, want %d and %d", len(g.Links), len(g.Assumptions), len(fx.graph.Links), len(fx.graph.Assumptions))
	}
	for i, l := range fx.graph.Links {
		if got := g.Links[i]; got.KPI != l.KPI || got.To != l.To || got.ToKind != l.ToKind || got.Rationale != l.Rationale || len(got.Assumptions) != len(l.Assumptions) {
			t.Fatalf("link %s -> %s: %+v", l.KPI, l.To, got)
		}
	}
	for i, o := range fx.graph.Objectives {
		if got := g.Objectives[i]; len(got.KeyResults) != len(o.KeyResults) || len(got.Children) != len(o.Children) || len(got.KPIs) != len(o.KPIs) {
			t.Fatalf("objective %s relations: %+v", o.Key, got)
		}
	}
	if owners == 0 || g.Teams[0].Cadence == "" || g.BusinessObjectives[0].Owner == "" {
		t.Errorf("owners and cadences missing: %d key result owners, team %+v, business objective %+v", owners, g.Teams[0], g.BusinessObjectives[0])
	}
}

// TestFixtureCheckIns: a fixture's check-ins from CSV set each key
// result's current value and confidence to its latest check-in as of the
// fixture's day, and reach the plugin as history with notes and authors.
func TestFixtureCheckIns(t *testing.T) {
	files, _ := filepath.Glob("../../../examples/saas-b2b/*.yaml")
	fx := Load(t, "2026-11-20", "", files...).WithCheckIns(t, "testdata/checkins.csv")
	g := fx.Graph()
	kr := g.KeyResult("sme-sqls")
	if kr == nil || kr.Current == nil || *kr.Current != 3650 || kr.Confidence == nil || *kr.Confidence != 0.8 {
		t.Fatalf("sme-sqls: %+v", kr)
	}
	if kr.CheckIns != 4 || kr.DaysSinceCheckIn != 3 {
		t.Errorf("sme-sqls has %d check-ins, the last %d days ago; want 4 (a comment counts), 3", kr.CheckIns, kr.DaysSinceCheckIn)
	}
	if len(kr.History) != 3 || kr.History[2].Note != "webinar series landed" || kr.History[2].Author != "ana" {
		t.Errorf("sme-sqls history: %+v", kr.History)
	}
	if g.CheckInHistoryDays != 32 {
		t.Errorf("check-in history reaches %d days back, want 32", g.CheckInHistoryDays)
	}
	if lr := g.KeyResult("lead-response"); lr == nil || lr.Current == nil || *lr.Current != 14 || lr.Forecast != nil {
		t.Errorf("lead-response (one check-in, no forecast): %+v", lr)
	}
	// Three valued check-ins make a forecast, the one okrmap's rules see.
	var want *resolve.KeyResult
	for _, k := range fx.graph.KeyResults {
		if k.Key == "sme-sqls" {
			want = k
		}
	}
	if f := kr.Forecast; f == nil || !want.HasForecast || f.Value != want.Forecast || f.Low != want.ForecastLow ||
		f.Likelihood != want.ForecastLikelihood || f.Method != "damped-linear-trend" {
		t.Errorf("sme-sqls forecast %+v, rules see %v", f, want.Forecast)
	}
}

// logged is a test that records what is logged to it.
type logged struct {
	*testing.T
	lines []string
}

func (l *logged) Log(args ...any) { l.lines = append(l.lines, fmt.Sprint(args...)) }

// TestPluginLogGoesToTheTest: what a plugin logs with sdk.Log during an
// in-process run is the test's log (shown with -v or on failure), not
// standard error.
func TestPluginLogGoesToTheTest(t *testing.T) {
	files, _ := filepath.Glob("../../../examples/saas-b2b/*.yaml")
	rec := &logged{T: t}
	p := probe{find: func(g *sdk.Graph) []sdk.Finding {
		sdk.Log.Warn("floor is not set; using 3", "setting", "floor")
		return nil
	}}
	Load(t, "2026-11-20", "", files...).Check(rec, p, nil)
	if len(rec.lines) != 1 || !strings.Contains(rec.lines[0], `msg="floor is not set; using 3" setting=floor`) {
		t.Errorf("logged %q", rec.lines)
	}
}

// TestMeasurementsCheckInMeasuredKeyResults: as in okrmap, a fixture's
// measurements of a KPI check in the key results measured by it, so they
// have a current value, history and a forecast.
func TestMeasurementsCheckInMeasuredKeyResults(t *testing.T) {
	files, _ := filepath.Glob("../../../examples/saas-b2b/*.yaml")
	g := Load(t, "2026-11-20", "../../../examples/saas-b2b/measurements.csv", files...).Graph()
	kr := g.KeyResult("sme-sqls")
	if kr == nil || kr.Current == nil || *kr.Current != 3620 || kr.CheckIns != 7 || len(kr.History) != 7 || kr.Forecast == nil {
		t.Fatalf("sme-sqls: %+v", kr)
	}
	if h := kr.History[6]; h.Note != "measured by sqls" || h.Author != "warehouse-sync" || h.Value != 3620 {
		t.Errorf("the last check-in: %+v", h)
	}
	if cs := g.KeyResult("case-studies-kr"); cs.CheckIns != 0 {
		t.Errorf("case-studies-kr is measured by a KPI without values, yet has %d check-ins", cs.CheckIns)
	}
}
