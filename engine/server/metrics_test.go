package server

import (
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"

	"github.com/okrmap/okrmap/engine/service"
)

// TestMetrics: after an audit the exposition has request, audit, finding,
// scorecard, stale-KPI and database metrics, and passes the client
// library's linter.
func TestMetrics(t *testing.T) {
	a := newAPI(t, Defaults(), service.Options{})
	admin := a.token("admin")
	a.want(200, "POST", "/api/v1/plans", admin, examplePlan(t), nil)
	a.want(201, "POST", "/api/v1/audits", admin, map[string]any{"period": "2026-Q4"}, nil)
	a.want(401, "GET", "/metrics", "", nil, nil)
	body := string(a.want(200, "GET", "/metrics", admin, nil, nil))
	for _, want := range []string{
		`okrmap_http_request_duration_seconds_count{code="201",method="POST",route="POST /api/v1/audits"} 1`,
		`okrmap_audits_total{outcome="complete",scope="period=2026-Q4"} 1`,
		`okrmap_audit_last_success_timestamp_seconds{scope="period=2026-Q4"}`,
		`okrmap_findings{rule="kpi-stale",scope="period=2026-Q4",severity="warning",team="marketing"}`,
		`okrmap_scorecard_score{area="vertical_alignment",scope="period=2026-Q4",team=""}`,
		`okrmap_stale_kpis `,
		`okrmap_database_size_bytes`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// The stale count is what the kpi-stale rule finds on the whole plan.
	var run auditResponse
	a.want(201, "POST", "/api/v1/audits", admin, map[string]any{}, &run)
	var full struct{ Findings []map[string]any }
	a.want(200, "GET", fmt.Sprintf("/api/v1/audits/%d", run.Run.ID), admin, nil, &full)
	stale := 0
	for _, f := range full.Findings {
		if f["rule"] == "kpi-stale" {
			stale++
		}
	}
	if want := fmt.Sprintf("okrmap_stale_kpis %d\n", stale); stale == 0 || !strings.Contains(body, want) {
		t.Errorf("metrics lack %q", want)
	}
	if strings.Contains(body, `entity=`) {
		t.Error("metrics are labelled by entity")
	}
	problems, err := promlint.New(strings.NewReader(body)).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
}
