package sdk_test

import (
	"testing"
	"time"

	pb "github.com/okrmap/okrmap/plugins/proto/okrmap/plugin/v1"
	"github.com/okrmap/okrmap/plugins/sdk"
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
