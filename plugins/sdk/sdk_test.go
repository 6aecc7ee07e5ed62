package sdk_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	pb "github.com/okrmap/okrmap/plugins/proto/okrmap/plugin/v1"
	"github.com/okrmap/okrmap/plugins/sdk"
	"github.com/okrmap/okrmap/plugins/sdk/sdktest"
)

func TestMentions(t *testing.T) {
	k := &sdk.KPI{Key: "mkt-roas", Name: "Paid Social ROAS", Tags: []string{"Unit-Economics", "Ärger"}}
	for _, tc := range []struct {
		words []string
		want  bool
	}{
		{[]string{"roas"}, true},            // name, other case
		{[]string{"MKT-"}, true},            // key
		{[]string{"unit-economics"}, true},  // tag
		{[]string{"ärger"}, true},           // non-ASCII tag, folded
		{[]string{"ltv", "social"}, true},   // any of the words
		{[]string{"cac", "payback"}, false}, // none
		{[]string{"roas paid"}, false},      // words spanning fields do not count
		{nil, false},
	} {
		if got := k.Mentions(tc.words...); got != tc.want {
			t.Errorf("Mentions(%q) = %v, want %v", tc.words, got, tc.want)
		}
	}
}

func TestFromProtoJoinsBatches(t *testing.T) {
	v := 3.5
	batches := []*pb.GraphBatch{
		{Today: "2026-11-20", Teams: []*pb.Team{{Key: "growth"}}, Kpis: []*pb.KPI{{Key: "a", Latest: &v, Tags: []string{"x"}}}},
		{Kpis: []*pb.KPI{{Key: "b"}}, KeyResults: []*pb.KeyResult{{Key: "kr", Progress: 0.5}}},
	}
	g := sdk.FromProto(batches)
	if want := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC); !g.Today.Equal(want) {
		t.Errorf("Today = %v, want %v", g.Today, want)
	}
	if len(g.KPIs) != 2 || g.KPIs[0].Key != "a" || g.KPIs[1].Key != "b" {
		t.Fatalf("KPIs = %+v, want a then b", g.KPIs)
	}
	if a := g.KPI("a"); a == nil || a.Latest == nil || *a.Latest != 3.5 || a.Tags[0] != "x" {
		t.Errorf("KPI(a) = %+v", a)
	}
	if g.KPI("b").Latest != nil {
		t.Error("b has no measurement but Latest is set")
	}
	if g.KPI("missing") != nil {
		t.Error("KPI(missing) should be nil")
	}
	if kr := g.KeyResult("kr"); kr == nil || kr.Progress != 0.5 {
		t.Errorf("KeyResult(kr) = %+v", kr)
	}
	if len(g.Teams) != 1 || g.Teams[0].Key != "growth" {
		t.Errorf("Teams = %+v", g.Teams)
	}
}

func TestTraceAndLookups(t *testing.T) {
	g := &sdk.Graph{
		BusinessObjectives: []sdk.BusinessObjective{{Key: "grow", PnLLine: "revenue"}},
		Objectives: []sdk.Objective{
			{Key: "win", Parent: "fill"},
			{Key: "fill", Parent: "grow", Title: "Fill the pipeline"},
		},
		KeyResults: []sdk.KeyResult{{Key: "kr-win", Objective: "win"}},
		KPIs: []sdk.KPI{
			{Key: "mqls", Category: "pipeline", Tags: []string{"funnel"}, Links: []string{"pipeline", "kr-win"}},
			{Key: "pipeline", Category: "pipeline", Links: []string{"kr-win", "gone"}},
			{Key: "loop", Category: "brand", Tags: []string{"funnel-x"}, Links: []string{"loop"}},
		},
	}
	want := []sdk.Entity{{"kpi", "pipeline"}, {"key_result", "kr-win"}, {"objective", "win"}, {"objective", "fill"}, {"business_objective", "grow"}}
	if got := g.Trace("mqls"); !slices.Equal(got, want) {
		t.Errorf("Trace(mqls) = %v, want %v", got, want)
	}
	if got := g.Trace("loop"); len(got) != 0 {
		t.Errorf("Trace(loop) = %v, want nothing: a link to itself leads nowhere", got)
	}
	if got := g.Trace("missing"); got != nil {
		t.Errorf("Trace(missing) = %v", got)
	}
	if g.Objective("fill") == nil || g.BusinessObjective("grow") == nil || g.Objective("grow") != nil {
		t.Error("Objective/BusinessObjective lookups")
	}
	keys := func(ks []*sdk.KPI) (out []string) {
		for _, k := range ks {
			out = append(out, k.Key)
		}
		return out
	}
	if got := keys(g.KPIsInCategory("pipeline")); !slices.Equal(got, []string{"mqls", "pipeline"}) {
		t.Errorf("KPIsInCategory(pipeline) = %v", got)
	}
	if got := keys(g.KPIsTagged("funnel")); !slices.Equal(got, []string{"mqls"}) {
		t.Errorf("KPIsTagged(funnel) = %v (tags match whole)", got)
	}
	if got := keys(g.KPIsTagged("nope", "funnel-x", "funnel")); !slices.Equal(got, []string{"mqls", "loop"}) {
		t.Errorf("KPIsTagged(nope, funnel-x, funnel) = %v (any of the tags)", got)
	}
	if got := keys(g.KPIsTagged("funnel:")); len(got) != 0 {
		t.Errorf("KPIsTagged(funnel:) = %v: funnel-x has no 'funnel:' prefix", got)
	}
	if o, b := g.Objective("fill"), g.BusinessObjective("grow"); !o.Mentions("PIPELINE") || o.Mentions("revenue") || !b.Mentions("revenue") {
		t.Error("Objective and BusinessObjective Mentions")
	}
}

// Lookups from many goroutines build the index once (run with -race).
func TestConcurrentLookups(t *testing.T) {
	g := &sdk.Graph{KPIs: []sdk.KPI{{Key: "a"}, {Key: "b"}}}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if g.KPI("b") == nil {
				t.Error("KPI(b) not found")
			}
		})
	}
	wg.Wait()
}

// On the shipped SaaS plan, a KPI's trace ends at exactly the business
// objectives okrmap says it reaches.
func TestTraceAgreesWithReaches(t *testing.T) {
	files, _ := filepath.Glob("../../examples/saas-b2b/*.yaml")
	g := sdktest.Load(t, "2026-11-20", "", files...).Graph()
	if len(g.KPIs) == 0 {
		t.Fatal("the fixture has no KPIs")
	}
	aligned := 0
	for _, k := range g.KPIs {
		if len(k.Reaches) > 0 {
			aligned++
		}
		var ends []string
		for _, e := range g.Trace(k.Key) {
			if e.Kind == "business_objective" {
				ends = append(ends, e.Key)
			}
		}
		slices.Sort(ends)
		reaches := slices.Sorted(slices.Values(k.Reaches))
		if !slices.Equal(ends, reaches) {
			t.Errorf("%s: trace ends at %v, okrmap says it reaches %v", k.Key, ends, reaches)
		}
	}
	if aligned == 0 || aligned == len(g.KPIs) {
		t.Errorf("%d of %d KPIs reach a business objective; the example has both kinds", aligned, len(g.KPIs))
	}
}

// A plugin built on the SDK links none of okrmap's engine, store or command
// line: only the SDK, the protocol and its generated code.
func TestSDKDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/okrmap/okrmap/plugins/saas/cmd/okrmap-plugin-saas").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if rest, ok := strings.CutPrefix(pkg, "github.com/okrmap/okrmap/"); ok && !strings.HasPrefix(rest, "plugins/") {
			t.Errorf("a plugin binary links %s", pkg)
		}
	}
}

func TestConfigKeyMatches(t *testing.T) {
	plain, pattern := sdk.ConfigKey{Key: "min_roas"}, sdk.ConfigKey{Key: "min_roas.<channel>"}
	for key, want := range map[string][2]bool{
		"min_roas":        {true, false},
		"min_roas.search": {false, true},
		"min_roas.":       {false, false},
		"min_roas.a.b":    {false, false},
		"min_roa":         {false, false},
	} {
		if got := [2]bool{plain.Matches(key), pattern.Matches(key)}; got != want {
			t.Errorf("%q matches plain, pattern = %v, want %v", key, got, want)
		}
	}
}

// Settings the plugin does not declare are refused before its Configure
// runs; declared ones, patterns included, reach it.
func TestUndeclaredSettingsRefused(t *testing.T) {
	p := &settingsPlugin{}
	impl := sdk.Adapt(p)
	err := impl.Configure(context.Background(), map[string]string{"floor": "3", "flor": "2"})
	if err == nil || !strings.Contains(err.Error(), `unknown setting "flor" for plugin settings; it accepts: floor, floor.<team>`) || p.got != nil {
		t.Errorf("misspelt setting: %v (plugin saw %v)", err, p.got)
	}
	if err := impl.Configure(context.Background(), map[string]string{"floor": "3", "floor.sales": "4"}); err != nil || len(p.got) != 2 {
		t.Errorf("declared settings: %v (plugin saw %v)", err, p.got)
	}
}

type settingsPlugin struct{ got map[string]string }

func (p *settingsPlugin) Describe() sdk.Description {
	return sdk.Description{Name: "settings", Config: []sdk.ConfigKey{{Key: "floor"}, {Key: "floor.<team>"}}}
}
func (p *settingsPlugin) Configure(s map[string]string) error { p.got = s; return nil }
func (p *settingsPlugin) Check(context.Context, *sdk.Graph) ([]sdk.Finding, error) {
	return nil, nil
}

// TestMoreLookups: a plugin looks up teams, investments and assumptions
// by key, and a KPI's links, as rules do.
func TestMoreLookups(t *testing.T) {
	g := &sdk.Graph{
		Teams:       []sdk.Team{{Key: "wards", Lead: "cno@x.example"}},
		Investments: []sdk.Investment{{Key: "portal", Amount: 100}},
		Assumptions: []sdk.Assumption{{Key: "calls-drop", Status: "invalidated"}},
		Links:       []sdk.Link{{KPI: "falls", To: "kr-1"}, {KPI: "other", To: "kr-2"}, {KPI: "falls", To: "kr-3"}},
	}
	if tm := g.Team("wards"); tm == nil || tm.Lead != "cno@x.example" || g.Team("nope") != nil {
		t.Errorf("Team: %v", tm)
	}
	if in := g.Investment("portal"); in == nil || in.Amount != 100 {
		t.Errorf("Investment: %v", in)
	}
	if a := g.Assumption("calls-drop"); a == nil || a.Status != "invalidated" {
		t.Errorf("Assumption: %v", a)
	}
	ls := g.LinksOf("falls")
	if len(ls) != 2 || ls[0].To != "kr-1" || ls[1].To != "kr-3" || len(g.LinksOf("nope")) != 0 {
		t.Errorf("LinksOf(falls): %v", ls)
	}
}
