package server

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/service"
)

// job is an audit started over HTTP, as GET /api/v1/audit-jobs/{id}
// shows it. Jobs are stored, so any server on the database can answer.
type job struct {
	ID     int64  `json:"id"`
	Status string `json:"status"` // running, done, failed
	Run    int64  `json:"run,omitempty"`
	Error  string `json:"error,omitempty"`
}

// beatEvery is how often a server records that it still runs a job;
// a job not beaten for lostAfter lost its server.
const (
	beatEvery = 10 * time.Second
	lostAfter = 6 * beatEvery
)

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
	db := s.svc.DB()
	id, err := db.StartJob(r.Context(), s.replica)
	if err != nil {
		return err
	}
	var res *service.AuditResult
	done := make(chan error, 1)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ctx := context.WithoutCancel(r.Context())
		beat := time.NewTicker(beatEvery)
		audited := make(chan error, 1)
		go func() {
			var err error
			res, err = s.svc.Audit(ctx, service.AuditRequest{Scope: sc, Today: req.Today, Author: caller(r).name})
			audited <- err
		}()
		var err error
	wait:
		for {
			select {
			case <-beat.C:
				if err := db.BeatJob(ctx, id); err != nil {
					s.log.Warn("could not record that an audit job runs", "job", id, "err", err)
				}
			case err = <-audited:
				break wait
			}
		}
		beat.Stop()
		run, failure := int64(0), ""
		if err != nil {
			failure = err.Error()
		} else {
			run = res.Run.ID
		}
		if ferr := db.FinishJob(ctx, id, run, failure); ferr != nil {
			s.log.Error("could not record how an audit job ended", "job", id, "err", ferr)
		}
		done <- err
	}()
	select {
	case err := <-done:
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
		w.Header().Set("Location", fmt.Sprintf("/api/v1/audit-jobs/%d", id))
		return writeJSON(w, r, http.StatusAccepted, job{ID: id, Status: "running"})
	}
}

func (s *Server) getJob(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return badRequest("%q is not a job number", r.PathValue("id"))
	}
	j, err := s.svc.DB().Job(r.Context(), id)
	if err != nil {
		return err
	}
	out := job{ID: j.ID, Status: j.Status, Run: j.Run, Error: j.Error}
	if j.Status == "running" && s.svc.Now().Sub(j.BeatAt) > lostAfter {
		out.Status, out.Error = "failed", fmt.Sprintf("the server running it (%s) stopped before the audit ended; nothing of it was stored: start the audit again", j.Owner)
	}
	return writeJSON(w, r, http.StatusOK, out)
}
