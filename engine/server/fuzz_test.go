package server

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/okrmap/okrmap/engine/service"
)

// FuzzHandlers sends arbitrary bodies to every JSON route: no answer may be
// a 500 or anything but JSON, whatever the body.
func FuzzHandlers(f *testing.F) {
	svc, err := service.Open(context.Background(), filepath.Join(f.TempDir(), "fuzz.db"), service.Options{Rules: service.Rules{Builtin: true}})
	if err != nil {
		f.Fatal(err)
	}
	defer svc.Close()
	cfg := Defaults()
	cfg.AnonymousRead = false
	srv, err := New(svc, cfg, nil)
	if err != nil {
		f.Fatal(err)
	}
	secret, _, err := svc.CreateToken(context.Background(), "fuzz", service.RoleAdmin, 0)
	if err != nil {
		f.Fatal(err)
	}
	h := srv.Handler()
	plan, _ := json.Marshal(examplePlanFrom(f))
	req := httptest.NewRequest("POST", "/api/v1/plans", bytes.NewReader(plan))
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("Content-Type", "application/json")
	h.ServeHTTP(httptest.NewRecorder(), req)

	paths := []string{"/api/v1/plans", "/api/v1/checkins", "/api/v1/measurements", "/api/v1/waivers", "/api/v1/tokens"}
	for i, seed := range []string{
		`{"documents":[{"name":"a.json","content":"{\"version\":1}"}]}`,
		`{"checkins":[{"key_result":"sme-sqls","value":1e308,"confidence":0.5}]}`,
		`{"measurements":[{"kpi":"sqls","value":-0,"at":"2026-11-20T00:00:00Z"}]}`,
		`{"rule":"kpi-stale","entity":"[","reason":"r","until":"2027-02-30"}`,
		`{"name":"../x","role":"admin","expires":"-1d"}`,
		`{"documents":[{"name":"b.yaml","content":"a: &a [*a]"}]}`,
		`[]`, `null`, `{"checkins":null}`,
	} {
		f.Add(uint8(i), []byte(seed))
	}
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		path := paths[int(route)%len(paths)]
		req := httptest.NewRequest("POST", path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+secret)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("POST %s %q: %d %s", path, body, rec.Code, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("POST %s %q: the answer is not JSON: %q", path, body, rec.Body)
		}
		if rec.Code >= 400 && rec.Header().Get("Content-Type") != "application/problem+json" {
			t.Fatalf("POST %s %q: a %d answer is not problem details", path, body, rec.Code)
		}
	})
}
