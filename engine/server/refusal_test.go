package server

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/service"
)

// writes are the routes that change something, with a valid body each.
var writes = []struct {
	method, path, role string
	body               any
}{
	{"POST", "/api/v1/plans", service.RoleAdmin, map[string]any{"documents": []map[string]any{{"name": "p.yaml", "content": "version: 1\nkpis: [{key: k9, name: K9}]\n"}}}},
	{"POST", "/api/v1/checkins", service.RoleWrite, map[string]any{"checkins": []map[string]any{{"key_result": "sme-sqls", "value": 1}}}},
	{"POST", "/api/v1/measurements", service.RoleWrite, map[string]any{"measurements": []map[string]any{{"kpi": "sqls", "value": 1}}}},
	{"POST", "/api/v1/audits", service.RoleWrite, map[string]any{}},
	{"POST", "/api/v1/waivers", service.RoleAdmin, map[string]any{"rule": "kpi-stale", "entity": "sqls", "reason": "r", "until": "2027-01-01"}},
	{"DELETE", "/api/v1/waivers/1", service.RoleAdmin, nil},
	{"POST", "/api/v1/tokens", service.RoleAdmin, map[string]any{"name": "t1", "role": "read"}},
	{"DELETE", "/api/v1/tokens/read-x", service.RoleAdmin, nil},
	{"DELETE", "/api/v1/entities/kpis/social-followers", service.RoleAdmin, nil},
}

// TestRefusals: every write without a token, with a weaker role, with a
// revoked or an expired token is refused, and nothing is written.
func TestRefusals(t *testing.T) {
	a := newAPI(t, Defaults(), service.Options{})
	admin := a.token("admin")
	a.want(200, "POST", "/api/v1/plans", admin, examplePlan(t), nil)
	a.want(201, "POST", "/api/v1/waivers", admin, map[string]any{"rule": "kpi-stale", "entity": "nps", "reason": "r", "until": "2027-01-01"}, nil)
	reader, writer := a.token("read"), a.token("write")
	revoked := a.token("write")
	if err := a.svc.RevokeToken(context.Background(), tokenName(t, a, revoked)); err != nil {
		t.Fatal(err)
	}
	expired, _, err := a.svc.CreateToken(context.Background(), "short-lived", "admin", time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	before := revision(t, a)
	for _, w := range writes {
		a.want(401, w.method, w.path, "", w.body, nil)
		a.want(401, w.method, w.path, revoked, w.body, nil)
		a.want(401, w.method, w.path, expired, w.body, nil)
		a.want(401, w.method, w.path, "okm_not-a-token", w.body, nil)
		var p Problem
		a.want(403, w.method, w.path, reader, w.body, &p)
		if want := "this needs a token with the " + w.role; !strings.Contains(p.Detail, want) || !strings.Contains(p.Detail, "this one has the read role") {
			t.Errorf("%s %s: 403 says %q, want it to name the %s role", w.method, w.path, p.Detail, w.role)
		}
		if w.role == service.RoleAdmin {
			a.want(403, w.method, w.path, writer, w.body, nil)
		}
	}
	// Reads need a token too, unless anonymous reads are on.
	a.want(401, "GET", "/api/v1/entities/kpis", "", nil, nil)
	if after := revision(t, a); after != before {
		t.Errorf("refused requests wrote to the database: revision %d -> %d", before, after)
	}
	resp, _ := a.call("GET", "/api/v1/tree", "", nil)
	if !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("401 without WWW-Authenticate: %v", resp.Header)
	}
}

// TestBadInput: malformed, oversized and hostile requests are refused with
// problem details and change nothing.
func TestBadInput(t *testing.T) {
	cfg := Defaults()
	cfg.MaxBody, cfg.MaxPlanBody, cfg.MaxBatch = 4<<10, 64<<10, 3
	a := newAPI(t, cfg, service.Options{})
	admin := a.token("admin")
	a.want(200, "POST", "/api/v1/plans", admin, examplePlan(t), nil)
	before := revision(t, a)
	bad := "X-Test"
	inv := "invalid-request"

	// An invalid plan: every problem with file, line and column; nothing written.
	var p Problem
	a.want(422, "POST", "/api/v1/plans", admin, map[string]any{"documents": []map[string]any{
		{"name": "a.yaml", "content": "version: 1\nkpis:\n  - {key: k1, name: K1, team: nope}\n  - {key: k2, name: K2, links: [{to: missing}]}\n"},
	}}, &p)
	if len(p.Problems) != 2 || p.Problems[0].File != "a.yaml" || p.Problems[0].Line != 3 || p.Problems[0].Column == 0 || p.Problems[0].Key != "k1" {
		t.Errorf("plan problems: %+v", p)
	}
	a.want(422, "POST", "/api/v1/plans", admin, "version: 1\nkpis: [{key: k1, name: [not, a, string]}]\n", &p)
	a.want(422, "POST", "/api/v1/plans", admin, "{{{", nil, bad, inv)
	a.want(415, "POST", "/api/v1/plans", admin, []byte("version: 1"), nil, "Content-Type", "text/plain", bad, inv)
	a.want(400, "POST", "/api/v1/plans", admin, map[string]any{"documents": []any{}}, nil, bad, inv)
	a.want(413, "POST", "/api/v1/plans", admin, map[string]any{"documents": []map[string]any{{"content": strings.Repeat("#", 70<<10)}}}, nil)

	// Strict JSON: unknown fields, trailing data, wrong types.
	a.want(400, "POST", "/api/v1/measurements", admin, map[string]any{"measurements": []map[string]any{{"kpi": "sqls", "value": 1, "vaule": 2}}}, nil, bad, inv)
	a.want(400, "POST", "/api/v1/measurements", admin, []byte(`{"measurements":[{"kpi":"sqls","value":1}]} {}`), nil)
	a.want(400, "POST", "/api/v1/measurements", admin, []byte(`{"measurements":[{"kpi":"sqls","value":"one"}]}`), nil, bad, inv)
	a.want(400, "POST", "/api/v1/measurements", admin, []byte(``), nil, bad, inv)
	a.want(400, "POST", "/api/v1/checkins", admin, map[string]any{"measurements": []map[string]any{{"kpi": "sqls", "value": 1}}}, nil, bad, inv)
	a.want(413, "POST", "/api/v1/measurements", admin, map[string]any{"measurements": []map[string]any{{"kpi": "sqls", "value": 1, "note": strings.Repeat("x", 5<<10)}}}, nil)
	many := []map[string]any{}
	for range 4 {
		many = append(many, map[string]any{"kpi": "sqls", "value": 1})
	}
	a.want(413, "POST", "/api/v1/measurements", admin, map[string]any{"measurements": many}, nil)
	// All or nothing: one unknown KPI stores none of the batch.
	a.want(404, "POST", "/api/v1/measurements", admin, map[string]any{"measurements": []map[string]any{{"kpi": "sqls", "value": 1}, {"kpi": "nope", "value": 2}}}, nil)
	a.want(422, "POST", "/api/v1/checkins", admin, map[string]any{"checkins": []map[string]any{{"key_result": "sme-sqls", "value": 1, "confidence": 7}}}, nil, bad, inv)

	// SQL metacharacters and path tricks in filters and keys.
	for _, path := range []string{
		"/api/v1/entities/kpis/x'%20OR%20'1'='1",
		"/api/v1/entities/kpis/%2e%2e%2fsecrets",
		"/api/v1/kpis/sqls%27%3B%20DROP%20TABLE%20entity%3B--/measurements",
		"/api/v1/audits/1%20OR%201=1",
	} {
		resp, _ := a.call("GET", path, admin, nil, bad, inv)
		if resp.StatusCode != 404 && resp.StatusCode != 400 {
			t.Errorf("GET %s: %d, want 404 or 400", path, resp.StatusCode)
		}
	}
	var page entityPage
	a.want(200, "GET", "/api/v1/entities/kpis?q=%27%20OR%201%3D1--&team=%27%3B%20DROP%20TABLE%20kpi", admin, nil, &page)
	if len(page.Items) != 0 {
		t.Errorf("a hostile filter matched %d KPIs", len(page.Items))
	}
	a.want(400, "GET", "/api/v1/tree?team=..%2F..%2Fetc", admin, nil, nil, bad, inv)
	a.want(400, "GET", "/api/v1/entities/kpis?cursor=%25%25%25", admin, nil, nil, bad, inv)
	a.want(400, "GET", "/api/v1/entities/kpis?limit=100000", admin, nil, nil, bad, inv)
	a.want(400, "GET", "/api/v1/entities/kpis?period=Q9", admin, nil, nil, bad, inv)
	if after := revision(t, a); after != before {
		t.Errorf("refused requests wrote to the database: revision %d -> %d", before, after)
	}
	var kpis entityPage
	a.want(200, "GET", "/api/v1/entities/kpis?limit=1000", admin, nil, &kpis)
	if len(kpis.Items) != 32 {
		t.Errorf("%d KPIs after refusals, want the plan's 32", len(kpis.Items))
	}
}

// TestSlowClient: a client that never finishes its headers is cut off at
// server.read_header_timeout.
func TestSlowClient(t *testing.T) {
	cfg := Defaults()
	cfg.ReadHeaderTimeout = 300 * time.Millisecond
	a := newAPI(t, cfg, service.Options{})
	addr, stop := a.serve(t)
	defer func() {
		if err := stop(); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	}()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: "))
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	start := time.Now()
	_, err = bufio.NewReader(c).ReadString('\n')
	if err == nil && time.Since(start) > 5*time.Second {
		t.Errorf("the server kept a client without headers for %s", time.Since(start))
	}
	if time.Since(start) >= 10*time.Second {
		t.Error("the server never cut off a client that did not finish its headers")
	}
	// A well-behaved request still works.
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz after a slow client: %v %v", resp, err)
	}
	resp.Body.Close()
}

// TestAuthProxy: the user header counts only from the trusted proxy.
func TestAuthProxy(t *testing.T) {
	cfg := Defaults()
	cfg.AuthProxy = AuthProxy{Header: "X-Forwarded-Email", Role: service.RoleWrite, TrustedCIDRs: []string{"10.9.9.0/24"}}
	a := newAPI(t, cfg, service.Options{})
	// Tests reach the server from 127.0.0.1, which is not trusted.
	a.want(401, "GET", "/api/v1/entities/teams", "", nil, nil, "X-Forwarded-Email", "mallory@example.com")

	cfg.AuthProxy.TrustedCIDRs = []string{"127.0.0.0/8"}
	b := newAPI(t, cfg, service.Options{})
	b.want(200, "POST", "/api/v1/plans", b.token("admin"), examplePlan(t), nil)
	b.want(200, "GET", "/api/v1/entities/teams", "", nil, nil, "X-Forwarded-Email", "cmo@example.com")
	var rec engine.Recorded
	b.want(201, "POST", "/api/v1/measurements", "", map[string]any{"measurements": []map[string]any{{"kpi": "sqls", "value": 5}}}, &rec, "X-Forwarded-Email", "cmo@example.com")
	b.want(403, "POST", "/api/v1/tokens", "", map[string]any{"name": "x", "role": "admin"}, nil, "X-Forwarded-Email", "cmo@example.com")
	ms, err := b.svc.DB().Measurements(context.Background(), "sqls")
	if err != nil || len(ms) != 1 || ms[0].Author != "cmo@example.com" {
		t.Errorf("measurement by a proxy user: %+v %v", ms, err)
	}
}

// TestAnonymousRead lets reads through without a token, and nothing else.
func TestAnonymousRead(t *testing.T) {
	cfg := Defaults()
	cfg.AnonymousRead = true
	a := newAPI(t, cfg, service.Options{})
	a.want(200, "GET", "/api/v1/entities/kpis", "", nil, nil)
	a.want(403, "POST", "/api/v1/audits", "", map[string]any{}, nil)
}

// TestRecordNeedsValues: a check-in or measurement without a value, or
// with a placeholder time, is refused naming the item and field, never
// stored as 0 or now; duplicate keys are refused like unknown fields.
func TestRecordNeedsValues(t *testing.T) {
	a := newAPI(t, Defaults(), service.Options{})
	admin := a.token("admin")
	a.want(200, "POST", "/api/v1/plans", admin, examplePlan(t), nil)
	before := revision(t, a)
	bad, inv := "X-Test", "invalid-request"
	for _, tc := range []struct {
		path, body, want string
	}{
		{"/api/v1/measurements", `{"measurements":[{"kpi":"sqls","value":1},{"kpi":"sqls"}]}`, "measurements[1].value is required"},
		{"/api/v1/measurements", `{"measurements":[{"kpi":"sqls","value":null}]}`, "measurements[0].value is required"},
		{"/api/v1/checkins", `{"checkins":[{"key_result":"sme-sqls"}]}`, "checkins[0].value is required"},
		{"/api/v1/checkins", `{"checkins":[{"key_result":"sme-sqls","value":null,"confidence":0.5}]}`, "checkins[0].value is required"},
		{"/api/v1/measurements", `{"measurements":[{"kpi":"sqls","value":1,"at":"0001-01-01T00:00:00Z"}]}`, "measurements[0].at: 0001-01-01T00:00:00Z is before 1900"},
	} {
		var p Problem
		a.want(422, "POST", tc.path, admin, []byte(tc.body), &p, bad, inv)
		if !strings.Contains(p.Detail, tc.want) {
			t.Errorf("%s: %q, want %q", tc.body, p.Detail, tc.want)
		}
	}
	for _, body := range []string{
		`{"measurements":[{"kpi":"sqls","value":1,"value":2}]}`,
		`{"measurements":[{"kpi":"sqls","value":1}],"measurements":[{"kpi":"nps","value":2}]}`,
		`{"measurements":[{"KPI":"sqls","value":1}]}`,
	} {
		a.want(400, "POST", "/api/v1/measurements", admin, []byte(body), nil, bad, inv)
	}
	if after := revision(t, a); after != before {
		t.Errorf("refused requests wrote to the database: revision %d -> %d", before, after)
	}
}

// TestIdempotencyKeysPerToken: a key one token used does not block
// another token's request with the same key.
func TestIdempotencyKeysPerToken(t *testing.T) {
	a := newAPI(t, Defaults(), service.Options{})
	admin := a.token("admin")
	a.want(200, "POST", "/api/v1/plans", admin, examplePlan(t), nil)
	one, two := a.token("write"), a.token("write")
	key := []string{"Idempotency-Key", "warehouse-2026-11-20"}
	a.want(201, "POST", "/api/v1/measurements", one, map[string]any{"measurements": []map[string]any{{"kpi": "sqls", "value": 1}}}, nil, key...)
	var rec engine.Recorded
	a.want(201, "POST", "/api/v1/measurements", two, map[string]any{"measurements": []map[string]any{{"kpi": "sqls", "value": 2}}}, &rec, key...)
	if rec.Stored != 1 || rec.Replayed {
		t.Errorf("the second token's request: %+v", rec)
	}
	// The same token reusing its key for another request still conflicts.
	a.want(409, "POST", "/api/v1/measurements", two, map[string]any{"measurements": []map[string]any{{"kpi": "sqls", "value": 3}}}, nil, key...)
}

// TestPlanUploadsAreBounded: beyond server.max_plan_uploads, a plan upload
// is answered 503 with Retry-After before its body is read; once the
// upload at work ends, the next is taken.
func TestPlanUploadsAreBounded(t *testing.T) {
	cfg := Defaults()
	cfg.MaxPlanUploads = 1
	a := newAPI(t, cfg, service.Options{})
	admin := a.token("admin")
	body, feed := io.Pipe()
	first := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("POST", a.url+"/api/v1/plans", body)
		req.Header.Set("Content-Type", "application/yaml")
		req.Header.Set("Authorization", "Bearer "+admin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			first <- 0
			return
		}
		resp.Body.Close()
		first <- resp.StatusCode
	}()
	feed.Write([]byte("version: 1\n"))
	for deadline := time.Now().Add(10 * time.Second); len(a.srv.uploads) == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the first upload never started")
		}
	}
	resp, _ := a.call("POST", "/api/v1/plans", admin, "version: 1\nkpis: [{key: k9, name: K9}]\n")
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("a second upload at once: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	feed.Write([]byte("kpis: [{key: k1, name: K1}]\n"))
	feed.Close()
	if code := <-first; code != http.StatusOK {
		t.Errorf("the first upload: %d", code)
	}
	a.want(200, "POST", "/api/v1/plans", admin, "version: 1\nkpis: [{key: k9, name: K9}]\n", nil)
}

// TestCommentCheckInOverAPI: a check-in with a note and no value is a
// comment; without a note it is still refused.
func TestCommentCheckInOverAPI(t *testing.T) {
	a := newAPI(t, Defaults(), service.Options{})
	admin := a.token("admin")
	a.want(200, "POST", "/api/v1/plans", admin, examplePlan(t), nil)
	a.want(201, "POST", "/api/v1/checkins", admin, map[string]any{"checkins": []map[string]any{{"key_result": "sme-sqls", "value": 3900}}}, nil)
	a.want(201, "POST", "/api/v1/checkins", admin, map[string]any{"checkins": []map[string]any{{"key_result": "sme-sqls", "note": "no progress: carrying over"}}}, nil)
	var got struct {
		Items []engine.CheckIn `json:"items"`
	}
	a.want(200, "GET", "/api/v1/key-results/sme-sqls/checkins", admin, nil, &got)
	if len(got.Items) != 2 || !got.Items[1].Comment || got.Items[0].Comment {
		t.Errorf("check-ins %+v", got.Items)
	}
	var kr struct {
		Entity struct {
			Current *float64 `json:"current"`
		} `json:"entity"`
	}
	a.want(200, "GET", "/api/v1/entities/key-results/sme-sqls", admin, nil, &kr)
	if kr.Entity.Current == nil || *kr.Entity.Current != 3900 {
		t.Errorf("a comment moved the current value: %v", kr.Entity.Current)
	}
}

// TestDeleteEntity: a delete over the API refuses while others depend on
// the entity, lists what a cascade would take on a dry run, and deletes
// it with cascade=true.
func TestDeleteEntity(t *testing.T) {
	a := newAPI(t, Defaults(), service.Options{})
	admin := a.token("admin")
	a.want(200, "POST", "/api/v1/plans", admin, examplePlan(t), nil)
	var p Problem
	a.want(409, "DELETE", "/api/v1/entities/objectives/mkt-brand", admin, nil, &p)
	if !strings.Contains(p.Detail, "kpi brand-recall (links to mkt-brand)") {
		t.Errorf("409 without the dependents: %q", p.Detail)
	}
	a.want(404, "DELETE", "/api/v1/entities/kpis/no-such-kpi", admin, nil, nil)
	before := revision(t, a)
	var dry removal
	a.want(200, "DELETE", "/api/v1/entities/objectives/mkt-brand?cascade=true&dry_run=true", admin, nil, &dry)
	if !dry.DryRun || len(dry.Deleted) != 3 || dry.Deleted[0] != (engine.Ref{Kind: engine.KindObjective, Key: "mkt-brand"}) || len(dry.Cut) != 4 {
		t.Errorf("dry run: %+v", dry)
	}
	if revision(t, a) != before {
		t.Error("a dry run wrote")
	}
	var done removal
	a.want(200, "DELETE", "/api/v1/entities/objectives/mkt-brand?cascade=true", admin, nil, &done)
	if done.DryRun || len(done.Deleted) != 3 {
		t.Errorf("delete: %+v", done)
	}
	a.want(404, "GET", "/api/v1/entities/objectives/mkt-brand", admin, nil, nil)
	a.want(404, "GET", "/api/v1/entities/key-results/share-of-voice-kr", admin, nil, nil)
}

// TestPlanUploadPrunes: an upload marks its entities as its set's, and a
// later upload of the set with prune deletes what it no longer names.
func TestPlanUploadPrunes(t *testing.T) {
	a := newAPI(t, Defaults(), service.Options{})
	admin := a.token("admin")
	req := examplePlan(t)
	req.Set = "okrs"
	a.want(200, "POST", "/api/v1/plans", admin, req, nil)
	for i, d := range req.Documents {
		if d.Name == "marketing.yaml" {
			at := strings.Index(d.Content, "  - key: social-followers")
			req.Documents[i].Content = d.Content[:at]
		}
	}
	req.Prune = true
	var got applyResponse
	a.want(200, "POST", "/api/v1/plans", admin, req, &got)
	// The document was cut before social-followers: two KPIs and two
	// investments followed it.
	if got.Changes.Count(engine.KindKPI, engine.Deleted) != 2 || got.Changes.Total(engine.Deleted) != 4 {
		t.Errorf("prune over the API: %v", got.Changes)
	}
	a.want(404, "GET", "/api/v1/entities/kpis/social-followers", admin, nil, nil)
}
