package server

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/okrmap/okrmap/engine/service"
)

// TestHeadersCORSAndLog: security headers on every answer, CORS only for
// configured origins, and an access log that never holds a secret.
func TestHeadersCORSAndLog(t *testing.T) {
	svc, err := service.Open(context.Background(), filepath.Join(t.TempDir(), "okrmap.db"), service.Options{Rules: service.Rules{Builtin: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	var logs bytes.Buffer
	cfg := Defaults()
	cfg.CORSOrigins = []string{"https://okr.example.com"}
	srv, err := New(svc, cfg, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	secret, _, err := svc.CreateToken(context.Background(), "reader", service.RoleRead, 0)
	if err != nil {
		t.Fatal(err)
	}
	do := func(method, path, origin string) *http.Response {
		req := httptest.NewRequest(method, path, nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)
		return rec.Result()
	}
	resp := do("GET", "/api/v1/entities/kpis?q="+secret, "https://okr.example.com")
	for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin",
		"Access-Control-Allow-Origin": "https://okr.example.com", "Cache-Control": "no-store"} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s: %q, want %q", h, got, want)
		}
	}
	if resp := do("GET", "/api/v1/entities/kpis", "https://evil.example.com"); resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Error("CORS allowed an origin that is not configured")
	}
	pre := do("OPTIONS", "/api/v1/measurements", "https://okr.example.com")
	if pre.StatusCode != http.StatusNoContent || !strings.Contains(pre.Header.Get("Access-Control-Allow-Headers"), "Idempotency-Key") {
		t.Errorf("preflight: %d %v", pre.StatusCode, pre.Header)
	}
	if !strings.Contains(logs.String(), "path=/api/v1/entities/kpis") || !strings.Contains(logs.String(), "who=token:reader") {
		t.Errorf("the access log lacks the request:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), secret) {
		t.Errorf("the access log holds a token secret:\n%s", logs.String())
	}
}
