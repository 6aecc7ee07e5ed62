package service

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/plan"
)

// edgePlan has every entity kind and the values that trip writers: text
// YAML reads as something else, quotes, newlines, unicode, control-free
// odd characters, text at the length limit, and numbers at the edges of
// float64.
const edgePlan = `{
  "version": 1,
  "period": "2026-Q4",
  "teams": [
    {"key": "yes", "name": "no", "function": "marketing", "cadence": "weekly", "lead": "lead@b.example"},
    {"key": "t-2", "name": "Équipe «Ventes» – 営業 🚀", "function": "sales"}
  ],
  "business_objectives": [
    {"key": "null", "title": "~", "description": "line one\nline two\n  indented: yes\n- dash", "category": "revenue_growth",
     "pnl_line": "revenue", "owner": "a@b.example", "period": "FY2026", "target": 1e18, "unit": "USD",
     "reviewed_at": "2026-10-01"}
  ],
  "objectives": [
    {"key": "o-1", "title": "'quoted' and \"double\" and a # hash: colon", "team": "yes", "owner": "o@b.example", "period": "2026-Q4",
     "parent": "null", "status": "active", "description": "@at %percent &amp *star !bang |pipe >gt {brace} [bracket] ` + "`" + `backtick",
     "key_results": [
       {"key": "kr-1", "title": "1e3", "description": "=> carried over: \"no progress\"", "unit": "percent", "baseline": -0.0, "target": 5e-324, "direction": "decrease",
        "due": "2026-12-31", "commitment": "aspirational", "current": 0.1, "confidence": 1, "score": 0}
     ]},
    {"key": "o-2", "title": "true", "team": "t-2", "period": "2026-Q4", "parent": "kr-1", "status": "draft"}
  ],
  "kpis": [
    {"key": "k-1", "name": "0x1F", "definition": "` + "TEXT" + `", "unit": "count", "kind": "outcome", "category": "revenue",
     "owner": "k@b.example", "team": "yes", "frequency": "daily", "source": "SELECT * FROM t WHERE a = 'b'",
     "attribution": "first_touch", "direction": "increase", "target": -1e-9,
     "thresholds": {"warning": -1e18, "critical": 1e-300}, "tags": ["a b", "NULL", "- x"],
     "measure": {"from": "warehouse", "query": "SELECT 1 -- :period_start", "value": "body[\"x\"]", "every": "weekly"},
     "links": [{"to": "kr-1", "weight": 0.3333333333333333, "rationale": "multi\nline", "assumptions": ["as-1"]}]},
    {"key": "k-2", "name": "Derived", "formula": "k_1 * 2 + 0.5", "links": [{"to": "k-1"}]}
  ],
  "assumptions": [
    {"key": "as-1", "statement": "on: off", "owner": "x@y.example", "status": "holding", "evidence": "", "review_by": "2027-01-15"}
  ],
  "investments": [
    {"key": "inv-1", "name": "Y", "amount": 123456789.123, "currency": "EUR", "period": "2026-Q4", "objective": "o-1",
     "expected_return": {"kpi": "k-1", "value": 1e15}}
  ]
}`

// TestExportRoundTrips: whatever export writes, YAML or JSON, apply reads
// back to the same plan, for every kind and edge value.
func TestExportRoundTrips(t *testing.T) {
	ctx := context.Background()
	text := strings.Replace(edgePlan, "TEXT", strings.Repeat("x", engine.MaxText-10), 1)
	first := exportOf(t, ctx, []plan.Document{{Name: "edge.json", Data: []byte(text)}})
	if len(first.Teams) != 2 || first.Teams[0].Lead != "lead@b.example" || len(first.KPIs) != 2 || first.KPIs[0].Name != "0x1F" || *first.BusinessObjectives[0].Target != engine.MaxMagnitude ||
		*first.Objectives[0].KeyResults[0].Target != 5e-324 || first.Objectives[0].KeyResults[0].Description == "" || first.KPIs[0].Measure == nil || len(first.KPIs[0].Definition) != engine.MaxText-10 ||
		first.Objectives[1].Parent != "kr-1" || len(first.Investments) != 1 || len(first.Assumptions) != 1 {
		t.Fatalf("the edge plan was not stored whole: %+v", first)
	}
	for _, format := range []string{"yaml", "json"} {
		var buf bytes.Buffer
		if err := plan.Write(&buf, first, format); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		again := exportOf(t, ctx, []plan.Document{{Name: "exported." + format, Data: buf.Bytes()}})
		a, _ := json.Marshal(first)
		b, _ := json.Marshal(again)
		if !bytes.Equal(a, b) {
			t.Errorf("%s export does not read back the same:\nfirst: %.3000s\nagain: %.3000s", format, a, b)
		}
	}
}

// exportOf applies docs to a new database and exports it.
func exportOf(t *testing.T, ctx context.Context, docs []plan.Document) *engine.Plan {
	t.Helper()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "okrmap.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Apply(ctx, ApplyRequest{Documents: docs}); err != nil {
		t.Fatalf("apply %s: %v", docs[0].Name, err)
	}
	p, err := s.Export(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestLinkOrderRoundTrips: a KPI's links, and a link's assumptions, come
// back in the order the plan gives them, not in the order of their keys.
func TestLinkOrderRoundTrips(t *testing.T) {
	const text = `version: 1
period: 2026-Q4
teams: [{key: t, name: T}]
objectives:
  - {key: o-1, title: One, team: t, standalone_reason: test}
  - {key: o-2, title: Two, team: t, standalone_reason: test}
  - {key: o-3, title: Three, team: t, standalone_reason: test}
kpis:
  - key: k
    name: K
    links:
      - {to: o-3, assumptions: [a-2, a-3, a-1]}
      - {to: o-1}
      - {to: o-2, assumptions: [a-1]}
assumptions: [{key: a-1, statement: One}, {key: a-2, statement: Two}, {key: a-3, statement: Three}]
`
	p := exportOf(t, context.Background(), []plan.Document{{Name: "plan.yaml", Data: []byte(text)}})
	var got []string
	for _, l := range p.KPIs[0].Links {
		got = append(got, l.To+strings.Join(l.Assumptions, ","))
	}
	if want := []string{"o-3a-2,a-3,a-1", "o-1", "o-2a-1"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("links read back as %q, want %q", got, want)
	}
}
