package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/report"
	"github.com/okrmap/okrmap/engine/service"
)

// TestWorkflow uses the API as a team would: apply the shipped plan, read
// it, check in, measure, audit twice, read every report format and the
// diff, waive, and manage tokens. Every call is validated against the
// OpenAPI document, and the test ends by checking that every operation in
// the document was called and every route is in the document.
func TestWorkflow(t *testing.T) {
	a := newAPI(t, Defaults(), service.Options{})
	admin, writer, reader := a.token("admin"), a.token("write"), a.token("read")

	var h map[string]any
	a.want(200, "GET", "/healthz", "", nil, &h)
	a.want(200, "GET", "/readyz", "", nil, &h)
	if h["status"] != "ready" {
		t.Errorf("readyz: %v", h)
	}
	a.want(200, "GET", "/api/v1/openapi.json", "", nil, nil)

	plan := examplePlan(t)
	plan.DryRun = true
	var applied applyResponse
	a.want(200, "POST", "/api/v1/plans", admin, plan, &applied)
	if !applied.DryRun || !applied.Changed || len(applied.Changes) == 0 {
		t.Fatalf("dry run: %+v", applied)
	}
	var page entityPage
	a.want(200, "GET", "/api/v1/entities/kpis", reader, nil, &page)
	if len(page.Items) != 0 {
		t.Fatalf("a dry run wrote %d KPIs", len(page.Items))
	}
	plan.DryRun = false
	a.want(200, "POST", "/api/v1/plans", admin, plan, &applied)
	a.want(200, "POST", "/api/v1/plans", admin, plan, &applied)
	if applied.Changed {
		t.Errorf("applying the same plan again changed %v", applied.Changes)
	}
	// One file as YAML.
	a.want(200, "POST", "/api/v1/plans?dry_run=true", admin, "version: 1\nkpis: [{key: extra-kpi, name: Extra}]\n", &applied)

	// Pages of KPIs cover every KPI exactly once, in key order.
	var keys []string
	cursor := ""
	for range 20 {
		page = entityPage{}
		a.want(200, "GET", "/api/v1/entities/kpis?limit=7&cursor="+cursor, reader, nil, &page)
		for _, e := range page.Items {
			keys = append(keys, e.Key)
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if len(keys) != 32 || !slices.IsSorted(keys) || len(slices.Compact(slices.Clone(keys))) != 32 {
		t.Errorf("paged KPIs: %d keys, sorted %v: %v", len(keys), slices.IsSorted(keys), keys)
	}
	a.want(200, "GET", "/api/v1/entities/kpis?team=marketing&kind=activity&q=LEADS", reader, nil, &page)
	if len(page.Items) != 1 || page.Items[0].Key != "mqls" {
		t.Errorf("filtered KPIs: %+v", page.Items)
	}
	a.want(200, "GET", "/api/v1/entities/key-results?period=2026-q4&team=sales", reader, nil, &page)
	for _, e := range page.Items {
		if e.Objective == "" || e.Progress == nil {
			t.Errorf("key result without objective or progress: %+v", e)
		}
	}
	var kpi service.Entity
	a.want(200, "GET", "/api/v1/entities/kpis/mqls", reader, nil, &kpi)
	if kpi.Aligned == nil || !*kpi.Aligned || len(kpi.Trace) < 3 || kpi.Trace[0] != "mqls" {
		t.Errorf("KPI with trace: %+v", kpi)
	}
	a.want(404, "GET", "/api/v1/entities/objectives/mqls", reader, nil, nil) // a KPI, not an objective

	// ETags: an unchanged answer is 304.
	resp, _ := a.call("GET", "/api/v1/entities/kpis/mqls", reader, nil)
	etag := resp.Header.Get("ETag")
	if resp, _ := a.call("GET", "/api/v1/entities/kpis/mqls", reader, nil, "If-None-Match", etag); resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match with the ETag: %d, want 304", resp.StatusCode)
	}

	var tree struct {
		Lines     []map[string]any `json:"lines"`
		Unaligned []map[string]any `json:"unaligned"`
		KPIs      int              `json:"kpis"`
	}
	a.want(200, "GET", "/api/v1/tree?period=2026-Q4&team=marketing", reader, nil, &tree)
	if len(tree.Lines) == 0 || tree.KPIs == 0 {
		t.Errorf("tree: %+v", tree)
	}
	a.want(404, "GET", "/api/v1/tree?team=nope", reader, nil, nil)
	var top struct {
		Lines []struct {
			Children []struct{ Below int }
		}
	}
	a.want(200, "GET", "/api/v1/tree?depth=2", reader, nil, &top)
	if len(top.Lines) == 0 || len(top.Lines[0].Children) == 0 || top.Lines[0].Children[0].Below == 0 {
		t.Errorf("a tree two levels deep: %+v", top)
	}

	// History: a batch in one transaction, and a retried request stored once.
	var rec engine.Recorded
	a.want(201, "POST", "/api/v1/checkins", writer, map[string]any{"checkins": []map[string]any{
		{"key_result": "sme-sqls", "value": 3400, "confidence": 0.7}, {"key_result": "sme-sqls", "value": 3500, "note": "webinar"}}}, &rec)
	if rec.Stored != 2 {
		t.Errorf("check-ins stored: %+v", rec)
	}
	m := map[string]any{"measurements": []map[string]any{{"kpi": "sqls", "value": 3500, "at": "2026-11-20T09:00:00Z"}}}
	a.want(201, "POST", "/api/v1/measurements", writer, m, &rec, "Idempotency-Key", "sync-42")
	a.want(201, "POST", "/api/v1/measurements", writer, m, &rec, "Idempotency-Key", "sync-42")
	if !rec.Replayed {
		t.Errorf("a retried measurement was not recognised: %+v", rec)
	}
	a.want(409, "POST", "/api/v1/measurements", writer, map[string]any{"measurements": []map[string]any{{"kpi": "sqls", "value": 1}}}, nil, "Idempotency-Key", "sync-42")
	var ms struct{ Items []map[string]any }
	a.want(200, "GET", "/api/v1/kpis/sqls/measurements", reader, nil, &ms)
	if len(ms.Items) != 1 || ms.Items[0]["author"] != "token:"+tokenName(t, a, writer) {
		t.Errorf("measurements after a retry: %v", ms.Items)
	}
	var cs struct{ Items []map[string]any }
	a.want(200, "GET", "/api/v1/key-results/sme-sqls/checkins", reader, nil, &cs)
	// Two check-ins, and the measurement of sqls, which measures sme-sqls.
	if len(cs.Items) != 3 || cs.Items[0]["note"] != "measured by sqls" || cs.Items[0]["value"] != 3500.0 {
		t.Errorf("check-ins: %v", cs.Items)
	}
	a.want(404, "GET", "/api/v1/kpis/sme-sqls/measurements", reader, nil, nil)
	a.want(404, "GET", "/api/v1/key-results/sqls/checkins", reader, nil, nil)

	// Audits.
	var first, second auditResponse
	a.want(201, "POST", "/api/v1/audits", writer, map[string]any{"today": "2026-11-20"}, &first)
	a.want(201, "POST", "/api/v1/audits", writer, map[string]any{}, &second)
	if first.Run.ID != 1 || second.Run.ID != 2 || !strings.HasPrefix(second.Summary, "since run 1:") || second.Run.Author == "" {
		t.Errorf("audits: %+v %+v", first, second)
	}
	var runs struct{ Items []runSummary }
	a.want(200, "GET", "/api/v1/audits", reader, nil, &runs)
	if len(runs.Items) != 2 || runs.Items[0].ID != 2 {
		t.Errorf("runs: %+v", runs.Items)
	}
	a.want(200, "GET", "/api/v1/audits/2", reader, nil, nil)
	for _, format := range report.Formats() {
		ctype := report.ContentType(format)
		resp, body := a.call("GET", "/api/v1/audits/2/report?format="+format, reader, nil)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != ctype || len(body) < 100 {
			t.Errorf("report %s: %d %s, %d bytes", format, resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
		}
	}
	a.want(400, "GET", "/api/v1/audits/2/report?format=pdf", reader, nil, nil, "X-Test", "invalid-request")
	var d struct {
		From, To int64
		New      []map[string]any
	}
	a.want(200, "GET", "/api/v1/audits/diff", reader, nil, &d)
	a.want(200, "GET", "/api/v1/audits/diff?from=1&to=2", reader, nil, &d)
	if d.From != 1 || d.To != 2 {
		t.Errorf("diff: %+v", d)
	}
	a.want(404, "GET", "/api/v1/audits/diff?team=sales", reader, nil, nil)
	a.want(404, "GET", "/api/v1/audits/99", reader, nil, nil)
	var sc runSummary
	a.want(200, "GET", "/api/v1/scorecard", reader, nil, &sc)
	if sc.ID != 2 || len(sc.Scorecard.Company.Areas) != 6 {
		t.Errorf("scorecard: %+v", sc)
	}
	var series struct{ Items []seriesPoint }
	a.want(200, "GET", "/api/v1/scorecard/series", reader, nil, &series)
	if len(series.Items) != 2 || series.Items[0].Run != 1 {
		t.Errorf("series: %+v", series.Items)
	}
	a.want(404, "GET", "/api/v1/scorecard?period=2031-Q1", reader, nil, nil)
	var job job
	a.want(200, "GET", "/api/v1/audit-jobs/1", reader, nil, &job)
	if job.Status != "done" || job.Run != 1 {
		t.Errorf("job: %+v", job)
	}
	// A job whose server stopped recording that it runs it reads as failed.
	db := a.svc.DB()
	db.SetNow(func() time.Time { return a.svc.Now().Add(-time.Hour) })
	lost, err := db.StartJob(context.Background(), "gone-host:7")
	db.SetNow(a.svc.Now)
	if err != nil {
		t.Fatal(err)
	}
	a.want(200, "GET", fmt.Sprintf("/api/v1/audit-jobs/%d", lost), reader, nil, &job)
	if job.Status != "failed" || !strings.Contains(job.Error, "gone-host:7") {
		t.Errorf("a job its server left: %+v", job)
	}

	// Rules, plugins, waivers.
	var rules struct{ Items []service.RuleInfo }
	a.want(200, "GET", "/api/v1/rules?pack=okrmap-default", reader, nil, &rules)
	if len(rules.Items) < 40 {
		t.Errorf("%d rules", len(rules.Items))
	}
	a.want(200, "GET", "/api/v1/plugins", reader, nil, nil)
	var w map[string]any
	a.want(201, "POST", "/api/v1/waivers", admin, map[string]any{"rule": "kpi-unlinked", "entity": "email-open-rate", "reason": "Retired", "until": "2027-01-31"}, &w)
	a.want(422, "POST", "/api/v1/waivers", admin, map[string]any{"rule": "kpi-unlinked", "entity": "x", "reason": " ", "until": "2027-01-31"}, nil)
	var ws struct{ Items []map[string]any }
	a.want(200, "GET", "/api/v1/waivers", reader, nil, &ws)
	if len(ws.Items) != 1 || ws.Items[0]["owner"] == "" {
		t.Errorf("waivers: %v", ws.Items)
	}
	var third auditResponse
	a.want(201, "POST", "/api/v1/audits", writer, map[string]any{}, &third)
	if third.Run.Counts["waived"] != 1 {
		t.Errorf("the waiver did not apply: %+v", third.Run.Counts)
	}
	a.want(200, "DELETE", fmt.Sprintf("/api/v1/waivers/%v", w["id"]), admin, nil, nil)
	a.want(404, "DELETE", fmt.Sprintf("/api/v1/waivers/%v", w["id"]), admin, nil, nil)

	// Tokens.
	var created tokenResponse
	a.want(201, "POST", "/api/v1/tokens", admin, map[string]any{"name": "ci", "role": "write", "expires": "90d"}, &created)
	if !strings.HasPrefix(created.Secret, "okm_") || created.ExpiresAt.IsZero() {
		t.Errorf("created token: %+v", created)
	}
	a.want(409, "POST", "/api/v1/tokens", admin, map[string]any{"name": "ci", "role": "read"}, nil)
	a.want(422, "POST", "/api/v1/tokens", admin, map[string]any{"name": "x", "role": "root"}, nil, "X-Test", "invalid-request")
	a.want(201, "POST", "/api/v1/audits", created.Secret, map[string]any{"period": "2026-Q4", "teams": []string{"marketing"}}, nil)
	var tokens struct{ Items []map[string]any }
	a.want(200, "GET", "/api/v1/tokens", admin, nil, &tokens)
	for _, tk := range tokens.Items {
		if _, ok := tk["secret"]; ok {
			t.Errorf("a token listing shows a secret: %v", tk)
		}
		if tk["name"] == "ci" && tk["last_used_at"] == nil {
			t.Errorf("the use of token ci was not recorded: %v", tk)
		}
	}
	a.want(204, "DELETE", "/api/v1/tokens/ci", admin, nil, nil)
	a.want(401, "GET", "/api/v1/audits", created.Secret, nil, nil)
	a.want(404, "DELETE", "/api/v1/tokens/nope", admin, nil, nil)

	// Deleting an entity, archived with its history.
	var gone removal
	a.want(200, "DELETE", "/api/v1/entities/kpis/social-followers", admin, nil, &gone)
	if len(gone.Deleted) != 1 || gone.Deleted[0].Key != "social-followers" {
		t.Errorf("delete: %+v", gone)
	}
	a.want(404, "GET", "/api/v1/entities/kpis/social-followers", reader, nil, nil)

	a.want(200, "GET", "/metrics", reader, nil, nil)
	checkCoverage(t, a)
}

// tokenName finds the name of the token with secret.
func tokenName(t *testing.T, a *api, secret string) string {
	tk, err := a.svc.Authenticate(t.Context(), secret)
	if err != nil {
		t.Fatal(err)
	}
	return tk.Name
}

// checkCoverage fails when an operation of the OpenAPI document was never
// called, or a route of the server is not in the document.
func checkCoverage(t *testing.T, a *api) {
	t.Helper()
	doc := loadSpec(t)
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			if !a.seen[method+" "+path] {
				t.Errorf("%s %s is in the OpenAPI document but no test called it", method, path)
			}
		}
	}
	for _, p := range a.srv.patterns {
		method, path, _ := strings.Cut(p, " ")
		if item := doc.Paths.Find(path); item == nil || item.GetOperation(method) == nil {
			t.Errorf("the server routes %s, which the OpenAPI document does not describe", p)
		}
	}
	_ = url.Values{}
}
