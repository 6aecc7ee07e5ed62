package notify

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/audit"
)

func summary() Summary {
	run := &engine.AuditRun{ID: 7, Scope: "all", Complete: true, Counts: map[string]int{"error": 1}}
	return NewSummary(run, audit.Diff{From: 6, To: 7, New: []engine.Finding{{Rule: "r", Entity: "e"}}}, "report.html")
}

var fast = Options{Backoff: time.Millisecond, Timeout: 200 * time.Millisecond}

func TestPostRetriesThenDelivers(t *testing.T) {
	var calls atomic.Int32
	var got Summary
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		if r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("content type %q", r.Header.Get("Content-Type"))
		}
		json.NewDecoder(r.Body).Decode(&got)
	}))
	defer srv.Close()
	if err := postSummary(context.Background(), srv.URL, summary(), fast); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 3 || got.Run != 7 || len(got.New) != 1 || got.Report != "report.html" ||
		!strings.Contains(got.Text, "since run 6: 1 new") {
		t.Errorf("calls %d, received %+v", calls.Load(), got)
	}
}

func TestPostGivesUp(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusBadRequest)
	}))
	defer srv.Close()
	err := postSummary(context.Background(), srv.URL, summary(), fast)
	if err == nil || !strings.Contains(err.Error(), "400 Bad Request") || calls.Load() != 1 {
		t.Errorf("a 400 is final: %v after %d calls", err, calls.Load())
	}

	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		select {
		case <-r.Context().Done():
		case <-time.After(time.Second):
		}
	}))
	defer hang.Close()
	calls.Store(0)
	start := time.Now()
	err = postSummary(context.Background(), hang.URL, summary(), Options{Attempts: 2, Timeout: 50 * time.Millisecond, Backoff: time.Millisecond})
	if err == nil || calls.Load() != 2 || time.Since(start) > 3*time.Second {
		t.Errorf("a hanging webhook: %v after %d calls in %v", err, calls.Load(), time.Since(start))
	}
}

func TestChanged(t *testing.T) {
	if !Changed(audit.Diff{}) || Changed(audit.Diff{From: 1}) || !Changed(audit.Diff{From: 1, ScoreChange: 0.5}) {
		t.Error("Changed")
	}
}

// postSummary posts a summary as the service does for a JSON target.
func postSummary(ctx context.Context, url string, s Summary, o Options) error {
	body, err := Target{URL: url}.Body(s)
	if err != nil {
		return err
	}
	return PostBody(ctx, Target{URL: url}, body, o)
}
