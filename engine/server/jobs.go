package server

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/service"
)

// jobs tracks audits started over HTTP, so an audit that outlives its
// request can be followed at /api/v1/audit-jobs/{id}.
type jobs struct {
	mu    sync.Mutex
	next  int64
	byID  map[int64]*job
	order []int64 // ids, oldest first
}

type job struct {
	ID     int64      `json:"id"`
	Status string     `json:"status"` // running, done, failed
	Run    int64      `json:"run,omitempty"`
	Error  string     `json:"error,omitempty"`
	Done   chan error `json:"-"`
}

func newJobs() *jobs { return &jobs{byID: map[int64]*job{}} }

// keptJobs bounds the jobs remembered: the oldest finished ones go.
const keptJobs = 1000

// add starts tracking a new running job.
func (js *jobs) add() *job {
	js.mu.Lock()
	defer js.mu.Unlock()
	js.next++
	j := &job{ID: js.next, Status: "running", Done: make(chan error, 1)}
	js.byID[j.ID] = j
	js.order = append(js.order, j.ID)
	for i := 0; len(js.byID) > keptJobs && i < len(js.order); {
		if id := js.order[i]; js.byID[id].Status != "running" {
			delete(js.byID, id)
			js.order = slices.Delete(js.order, i, i+1)
			continue
		}
		i++
	}
	return j
}

type auditRequest struct {
	Period string      `json:"period,omitempty"`
	Teams  []string    `json:"teams,omitempty"`
	Today  engine.Date `json:"today,omitzero"`
}

type auditResponse struct {
	Run          runSummary `json:"run"`
	Summary      string     `json:"summary"`
	New          int        `json:"new"`
	Resolved     int        `json:"resolved"`
	NotifyErrors []string   `json:"notify_errors,omitempty"`
}

// startAudit runs an audit of a scope. It answers 201 with the run when it
// finishes within server.audit_wait, else 202 with the job to follow; the
// audit goes on either way, and a shutdown waits for it.
func (s *Server) startAudit(w http.ResponseWriter, r *http.Request) error {
	var req auditRequest
	if err := readJSON(w, r, s.cfg.MaxBody, &req); err != nil {
		return err
	}
	sc, err := engine.NewScope(req.Period, req.Teams)
	if err != nil {
		return err
	}
	j := s.jobs.add()

	var res *service.AuditResult
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		var err error
		res, err = s.svc.Audit(context.WithoutCancel(r.Context()), service.AuditRequest{Scope: sc, Today: req.Today, Author: caller(r).name})
		s.jobs.mu.Lock()
		if err != nil {
			j.Status, j.Error = "failed", err.Error()
		} else {
			j.Status, j.Run = "done", res.Run.ID
		}
		s.jobs.mu.Unlock()
		j.Done <- err
	}()
	select {
	case err := <-j.Done:
		if err != nil {
			return err
		}
		out := auditResponse{Run: summary(res.Run), Summary: res.Diff.Summary(), New: len(res.Diff.New), Resolved: len(res.Diff.Resolved)}
		for _, e := range res.NotifyErrors {
			out.NotifyErrors = append(out.NotifyErrors, e.Error())
		}
		w.Header().Set("Location", fmt.Sprintf("/api/v1/audits/%d", res.Run.ID))
		return writeJSON(w, r, http.StatusCreated, out)
	case <-time.After(s.cfg.AuditWait):
		w.Header().Set("Location", fmt.Sprintf("/api/v1/audit-jobs/%d", j.ID))
		return writeJSON(w, r, http.StatusAccepted, s.jobView(j))
	}
}

func (s *Server) jobView(j *job) job {
	s.jobs.mu.Lock()
	defer s.jobs.mu.Unlock()
	return job{ID: j.ID, Status: j.Status, Run: j.Run, Error: j.Error}
}

func (s *Server) getJob(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return badRequest("%q is not a job number", r.PathValue("id"))
	}
	s.jobs.mu.Lock()
	j := s.jobs.byID[id]
	s.jobs.mu.Unlock()
	if j == nil {
		return engine.NotFound("audit_job", "no audit job %d on this server", id)
	}
	return writeJSON(w, r, http.StatusOK, s.jobView(j))
}
