package server

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/gen"
	"github.com/okrmap/okrmap/engine/service"
)

// TestShutdownFinishesAudit: a shutdown that starts while an audit request
// runs lets the audit finish, answer and be stored.
func TestShutdownFinishesAudit(t *testing.T) {
	if testing.Short() {
		t.Skip("audits a generated 20,000-KPI plan; skipped with -short")
	}
	a := newAPI(t, Defaults(), service.Options{})
	p, err := gen.Plan(gen.Options{KPIs: 20000})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.svc.DB().Apply(context.Background(), p, false); err != nil {
		t.Fatal(err)
	}
	token := a.token("write")
	addr, stop := a.serve(t)

	answered := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("POST", "http://"+addr+"/api/v1/audits", bytes.NewReader([]byte(`{}`)))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			answered <- 0
			return
		}
		resp.Body.Close()
		answered <- resp.StatusCode
	}()
	// Shut down once the audit is under way.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if _, err := a.svc.DB().Job(context.Background(), 1); err == nil {
			break
		}
	}
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	if code := <-answered; code != http.StatusCreated {
		t.Errorf("the audit in flight at shutdown answered %d, want 201", code)
	}
	if err := <-stopped; err != nil {
		t.Errorf("shutdown: %v", err)
	}
	runs, err := a.svc.Runs(context.Background(), engine.Scope{}, true)
	if err != nil || len(runs) != 1 {
		t.Errorf("stored runs after shutdown: %d %v", len(runs), err)
	}
}
