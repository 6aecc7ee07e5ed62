package notify

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okrmap/okrmap/engine"
)

func TestTargetSignsAndFormats(t *testing.T) {
	var mu sync.Mutex
	var bodies [][]byte
	var sigs []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies, sigs = append(bodies, b), append(sigs, r.Header.Get(SignatureHeader))
		mu.Unlock()
	}))
	defer srv.Close()
	s := Summary{Run: 7, Scope: "all", Counts: map[string]int{"error": 2}, Text: "okrmap audit run 7 (all): since run 6",
		New: []engine.Finding{{Rule: "kpi-unlinked", Severity: "error", Entity: "x", Message: "KPI x is linked to nothing"}}}
	if err := Send(context.Background(), Target{URL: srv.URL, Format: "slack", Secret: "s3cret"}, s); err != nil {
		t.Fatal(err)
	}
	if err := Send(context.Background(), Target{URL: srv.URL}, s); err != nil {
		t.Fatal(err)
	}
	var slack struct {
		Text   string           `json:"text"`
		Blocks []map[string]any `json:"blocks"`
	}
	if err := json.Unmarshal(bodies[0], &slack); err != nil || slack.Text != s.Text || len(slack.Blocks) != 3 ||
		!strings.Contains(string(bodies[0]), "KPI x is linked to nothing") {
		t.Errorf("slack payload: %s %v", bodies[0], err)
	}
	if sigs[0] != Sign("s3cret", bodies[0]) || !strings.HasPrefix(sigs[0], "sha256=") {
		t.Errorf("signature %q does not sign the body", sigs[0])
	}
	if sigs[1] != "" {
		t.Errorf("a target without a secret sent a signature %q", sigs[1])
	}
	var plain Summary
	if err := json.Unmarshal(bodies[1], &plain); err != nil || plain.Run != 7 {
		t.Errorf("json payload: %s %v", bodies[1], err)
	}
	for _, bad := range []Target{{URL: "ftp://x"}, {URL: "not a url"}, {URL: srv.URL, Format: "teams"}} {
		if err := bad.Check(); err == nil {
			t.Errorf("target %+v accepted", bad)
		}
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	var mu sync.Mutex
	var times []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		times = append(times, time.Now())
		if len(times) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
		}
	}))
	defer srv.Close()
	// The backoff alone would retry after 1 ms; Retry-After asks for 1 s.
	if err := PostBody(context.Background(), Target{URL: srv.URL}, []byte("{}"), Options{Attempts: 2, Backoff: time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if len(times) != 2 || times[1].Sub(times[0]) < time.Second {
		t.Errorf("retried %d times, %s after the 429; want after Retry-After's 1 s", len(times), times[len(times)-1].Sub(times[0]))
	}
	if d := retryAfter("Wed, 21 Oct 2015 07:28:00 GMT"); d != 0 {
		t.Errorf("a Retry-After date in the past waits %s", d)
	}
}

// TestNoRedirectsAndNoSecrets: a redirect is a failure, not a GET that
// succeeds; errors never show the URL's path or query.
func TestNoRedirectsAndNoSecrets(t *testing.T) {
	var gets int
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			mu.Lock()
			gets++
			mu.Unlock()
			return
		}
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	}))
	defer srv.Close()
	err := PostBody(context.Background(), Target{URL: srv.URL + "/services/T000/SECRET?token=hush"}, []byte("{}"), Options{Attempts: 1})
	if err == nil || !strings.Contains(err.Error(), "redirect") {
		t.Fatalf("a 302: %v", err)
	}
	if gets != 0 {
		t.Error("the redirect was followed with a GET")
	}
	if strings.Contains(err.Error(), "SECRET") || strings.Contains(err.Error(), "hush") {
		t.Errorf("the error shows the secret: %v", err)
	}
	srv.Close()
	err = PostBody(context.Background(), Target{URL: srv.URL + "/services/T000/SECRET"}, []byte("{}"), Options{Attempts: 1})
	if err == nil || strings.Contains(err.Error(), "SECRET") {
		t.Errorf("an unreachable webhook: %v", err)
	}
}
