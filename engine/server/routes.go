package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/plan"
	"github.com/okrmap/okrmap/engine/report"
	"github.com/okrmap/okrmap/engine/service"
	"github.com/okrmap/okrmap/engine/tree"
	"github.com/okrmap/okrmap/schemas"
)

const (
	read  = service.RoleRead
	write = service.RoleWrite
	admin = service.RoleAdmin
)

func (s *Server) routes() {
	s.route("GET /healthz", "", func(w http.ResponseWriter, r *http.Request) error {
		return writeJSON(w, r, http.StatusOK, map[string]string{"status": "ok"})
	})
	s.route("GET /readyz", "", s.ready)
	s.route("GET /metrics", read, func(w http.ResponseWriter, r *http.Request) error {
		s.metrics.handler().ServeHTTP(w, r)
		return nil
	})
	s.route("GET /api/v1/openapi.json", "", func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Content-Type", "application/json")
		_, err := w.Write(schemas.OpenAPI)
		return err
	})
	s.route("GET /api/v1/entities/{kind}", read, s.listEntities)
	s.route("GET /api/v1/entities/{kind}/{key}", read, s.getEntity)
	s.route("DELETE /api/v1/entities/{kind}/{key}", admin, s.deleteEntity)
	s.route("GET /api/v1/tree", read, s.tree)
	s.route("POST /api/v1/plans", admin, s.applyPlan)
	s.route("POST /api/v1/checkins", write, s.record)
	s.route("POST /api/v1/measurements", write, s.record)
	s.route("GET /api/v1/key-results/{key}/checkins", read, s.checkIns)
	s.route("GET /api/v1/kpis/{key}/measurements", read, s.measurements)
	s.route("POST /api/v1/audits", write, s.startAudit)
	s.route("GET /api/v1/audits", read, s.listRuns)
	s.route("GET /api/v1/audits/diff", read, s.diff)
	s.route("GET /api/v1/audits/{id}", read, s.getRun)
	s.route("GET /api/v1/audits/{id}/report", read, s.report)
	s.route("GET /api/v1/audit-jobs/{id}", read, s.getJob)
	s.route("GET /api/v1/scorecard", read, s.scorecard)
	s.route("GET /api/v1/scorecard/series", read, s.scorecardSeries)
	s.route("GET /api/v1/rules", read, s.rules)
	s.route("GET /api/v1/plugins", read, s.plugins)
	s.route("GET /api/v1/waivers", read, s.waivers)
	s.route("POST /api/v1/waivers", admin, s.addWaiver)
	s.route("DELETE /api/v1/waivers/{id}", admin, s.removeWaiver)
	s.route("GET /api/v1/tokens", admin, s.tokens)
	s.route("POST /api/v1/tokens", admin, s.createToken)
	s.route("DELETE /api/v1/tokens/{name}", admin, s.revokeToken)
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	db := s.svc.DB()
	v, err := db.SchemaVersion(ctx)
	if err == nil && v != db.KnownVersion() {
		err = fmt.Errorf("database schema version %d, this okrmap's is %d", v, db.KnownVersion())
	}
	if err != nil {
		s.log.Warn("not ready", "err", err)
		return &httpError{http.StatusServiceUnavailable, "the database is not ready"}
	}
	return writeJSON(w, r, http.StatusOK, map[string]any{"status": "ready", "schema_version": v})
}

// scope reads period and team (repeatable) query parameters.
func scope(r *http.Request) (engine.Scope, error) {
	q := r.URL.Query()
	sc, err := engine.NewScope(q.Get("period"), q["team"])
	if err != nil {
		return sc, badRequest("%v", err)
	}
	return sc, nil
}

type entityPage struct {
	Items      []service.Entity `json:"items"`
	NextCursor string           `json:"next_cursor,omitempty"`
}

func (s *Server) listEntities(w http.ResponseWriter, r *http.Request) error {
	kind, ok := service.KindNames[r.PathValue("kind")]
	if !ok {
		return &httpError{http.StatusNotFound, fmt.Sprintf("no entity kind %q; use teams, business-objectives, objectives, key-results, kpis, assumptions or investments", r.PathValue("kind"))}
	}
	q := r.URL.Query()
	f := service.EntityFilter{Team: q.Get("team"), KPIKind: q.Get("kind"), Query: q.Get("q"), Limit: 100}
	if p := q.Get("period"); p != "" {
		per, err := engine.ParsePeriod(p)
		if err != nil {
			return badRequest("period: %v", err)
		}
		f.Period = per.Name
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 1000 {
			return badRequest("limit %q: use a number from 1 to 1000", l)
		}
		f.Limit = n
	}
	if c := q.Get("cursor"); c != "" {
		b, err := base64.RawURLEncoding.DecodeString(c)
		if err != nil {
			return badRequest("cursor %q is not one this server gave", c)
		}
		f.After = string(b)
	}
	items, more, err := s.svc.Entities(r.Context(), kind, f)
	if err != nil {
		return err
	}
	page := entityPage{Items: items}
	if more {
		page.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(items[len(items)-1].Key))
	}
	return writeJSON(w, r, http.StatusOK, page)
}

func (s *Server) getEntity(w http.ResponseWriter, r *http.Request) error {
	kind, ok := service.KindNames[r.PathValue("kind")]
	if !ok {
		return &httpError{http.StatusNotFound, fmt.Sprintf("no entity kind %q", r.PathValue("kind"))}
	}
	e, err := s.svc.Entity(r.Context(), r.PathValue("key"))
	if err != nil {
		return err
	}
	if e.Kind != kind {
		return engine.NotFound(string(kind), "no %s %q", kind, e.Key)
	}
	return writeJSON(w, r, http.StatusOK, e)
}

// removal is the answer to a delete.
type removal struct {
	DryRun  bool         `json:"dry_run"`
	Deleted []engine.Ref `json:"deleted"`
	Cut     []engine.Cut `json:"cut,omitempty"`
}

func (s *Server) deleteEntity(w http.ResponseWriter, r *http.Request) error {
	kind, ok := service.KindNames[r.PathValue("kind")]
	if !ok {
		return &httpError{http.StatusNotFound, fmt.Sprintf("no entity kind %q", r.PathValue("kind"))}
	}
	q := r.URL.Query()
	opts := engine.RemoveOptions{Cascade: q.Get("cascade") == "true", DryRun: q.Get("dry_run") == "true", Author: caller(r).name}
	rm, err := s.svc.Remove(r.Context(), kind, r.PathValue("key"), opts)
	if err != nil {
		return err
	}
	return writeJSON(w, r, http.StatusOK, removal{opts.DryRun, rm.Deleted, rm.Cut})
}

func (s *Server) tree(w http.ResponseWriter, r *http.Request) error {
	sc, err := scope(r)
	if err != nil {
		return err
	}
	depth := 0
	if d := r.URL.Query().Get("depth"); d != "" {
		if depth, err = strconv.Atoi(d); err != nil || depth < 1 || depth > 20 {
			return badRequest("depth %q: use a number of levels from 1 to 20", d)
		}
	}
	t, err := s.svc.Tree(r.Context(), sc, depth)
	if err != nil {
		return err
	}
	e, err := s.trees.get(fmt.Sprint(sc, "/", depth), t)
	if err != nil {
		return err
	}
	return writeEncoded(w, r, http.StatusOK, e)
}

// treeCache keeps the encoding of the last tree served per scope and depth:
// the service hands out the same *tree.Tree until the plan changes, and
// large trees are costly to encode.
type treeCache struct {
	mu sync.Mutex
	m  map[string]treeCached
}

type treeCached struct {
	t *tree.Tree
	e encoded
}

func (c *treeCache) get(key string, t *tree.Tree) (encoded, error) {
	c.mu.Lock()
	hit, ok := c.m[key]
	c.mu.Unlock()
	if ok && hit.t == t {
		return hit.e, nil
	}
	e, err := encode(t)
	if err != nil {
		return e, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= 256 {
		c.m = map[string]treeCached{}
	}
	c.m[key] = treeCached{t, e}
	return e, nil
}

type planDocument struct {
	Name    string `json:"name"`
	Content string `json:"content"`
}

type applyRequest struct {
	Documents []planDocument `json:"documents"`
	DryRun    bool           `json:"dry_run"`
	Set       string         `json:"set"`
	Prune     bool           `json:"prune"`
}

type applyResponse struct {
	DryRun  bool           `json:"dry_run"`
	Changed bool           `json:"changed"`
	Changes engine.Changes `json:"changes"`
}

// applyPlan takes plan documents as JSON, or one plan file as the body
// (application/yaml or application/x-yaml).
// At most server.max_plan_uploads are read and applied at once: a
// plan's bytes and model take several times its size in memory.
func (s *Server) applyPlan(w http.ResponseWriter, r *http.Request) error {
	select {
	case s.uploads <- struct{}{}:
		defer func() { <-s.uploads }()
	default:
		w.Header().Set("Retry-After", "5")
		return &httpError{http.StatusServiceUnavailable, fmt.Sprintf("%d plan uploads are being applied (server.max_plan_uploads); try again in a few seconds", cap(s.uploads))}
	}
	var req applyRequest
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		if err := readJSON(w, r, s.cfg.MaxPlanBody, &req); err != nil {
			return err
		}
	case "application/yaml", "application/x-yaml":
		b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxPlanBody))
		if err != nil {
			return err
		}
		req.Documents = []planDocument{{Name: "plan.yaml", Content: string(b)}}
		q := r.URL.Query()
		req.DryRun, req.Set, req.Prune = q.Get("dry_run") == "true", q.Get("set"), q.Get("prune") == "true"
	default:
		return &httpError{http.StatusUnsupportedMediaType, "send application/json ({documents: [...]}) or one plan as application/yaml"}
	}
	if len(req.Documents) == 0 {
		return badRequest("documents is empty; send at least one plan document")
	}
	docs := make([]plan.Document, len(req.Documents))
	for i, d := range req.Documents {
		if d.Name == "" {
			d.Name = fmt.Sprintf("document-%d.yaml", i+1)
		}
		docs[i] = plan.Document{Name: d.Name, Data: []byte(d.Content)}
	}
	cs, err := s.svc.Apply(r.Context(), service.ApplyRequest{Documents: docs,
		ApplyOptions: engine.ApplyOptions{DryRun: req.DryRun, Author: caller(r).name, Set: req.Set, Prune: req.Prune}})
	if err != nil {
		return err
	}
	if cs == nil {
		cs = engine.Changes{}
	}
	return writeJSON(w, r, http.StatusOK, applyResponse{DryRun: req.DryRun, Changed: cs.Changed(), Changes: cs})
}

// checkInItem and measurementItem are what a client sends; value is
// required (a missing one is not 0), at optional (now when left out).
type checkInItem struct {
	KeyResult  string     `json:"key_result"`
	Value      *float64   `json:"value"`
	Confidence *float64   `json:"confidence,omitempty"`
	Note       string     `json:"note,omitempty"`
	At         *time.Time `json:"at,omitempty"`
}

type measurementItem struct {
	KPI   string     `json:"kpi"`
	Value *float64   `json:"value"`
	Note  string     `json:"note,omitempty"`
	At    *time.Time `json:"at,omitempty"`
}

type recordRequest struct {
	CheckIns     []checkInItem     `json:"checkins,omitempty"`
	Measurements []measurementItem `json:"measurements,omitempty"`
}

// item checks the value and time of the i-th item of list: a value is
// required, and a time, when given, must be one a value was observed at.
func item(list string, i int, value *float64, at *time.Time) (float64, time.Time, error) {
	if value == nil {
		if list == "checkins" {
			return 0, time.Time{}, engine.Errorf(engine.EINVALID, "%s[%d].value is required: send the number observed (null or a missing value is not 0), or a note without a value for a comment", list, i)
		}
		return 0, time.Time{}, engine.Errorf(engine.EINVALID, "%s[%d].value is required: send the number observed (null or a missing value is not 0)", list, i)
	}
	if at == nil {
		return *value, time.Time{}, nil
	}
	if err := engine.CheckObserved(*at); err != nil {
		return 0, time.Time{}, engine.Errorf(engine.EINVALID, "%s[%d].at: %v", list, i, err)
	}
	return *value, *at, nil
}

// record stores a batch of check-ins (POST /checkins) or measurements (POST
// /measurements) in one transaction. An Idempotency-Key header makes a
// retry store nothing twice.
func (s *Server) record(w http.ResponseWriter, r *http.Request) error {
	// The body is kept whole: an Idempotency-Key is checked against it.
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBody))
	if err != nil {
		return err
	}
	var req recordRequest
	if err := decodeJSON(bytes.NewReader(body), &req); err != nil {
		return err
	}
	author := caller(r).name
	var b engine.Batch
	if strings.HasSuffix(r.URL.Path, "/checkins") {
		if len(req.Measurements) > 0 || len(req.CheckIns) == 0 {
			return badRequest("send {\"checkins\": [...]} with at least one check-in")
		}
		for i, c := range req.CheckIns {
			comment := c.Value == nil && strings.TrimSpace(c.Note) != "" // words only
			if comment {
				c.Value = new(float64)
			}
			v, at, err := item("checkins", i, c.Value, c.At)
			if err != nil {
				return err
			}
			b.CheckIns = append(b.CheckIns, engine.CheckIn{KeyResult: c.KeyResult, Value: v, Confidence: c.Confidence, Note: c.Note, At: at, Author: author, Comment: comment})
		}
	} else {
		if len(req.CheckIns) > 0 || len(req.Measurements) == 0 {
			return badRequest("send {\"measurements\": [...]} with at least one measurement")
		}
		for i, m := range req.Measurements {
			v, at, err := item("measurements", i, m.Value, m.At)
			if err != nil {
				return err
			}
			b.Measurements = append(b.Measurements, engine.Measurement{KPI: m.KPI, Value: v, Note: m.Note, At: at, Author: author})
		}
	}
	if n := len(b.CheckIns) + len(b.Measurements); n > s.cfg.MaxBatch {
		return &httpError{http.StatusRequestEntityTooLarge, fmt.Sprintf("%d items in one request; server.max_batch allows %d", n, s.cfg.MaxBatch)}
	}
	if key := r.Header.Get("Idempotency-Key"); key != "" {
		if len(key) > 200 {
			return badRequest("Idempotency-Key is longer than 200 characters")
		}
		sum := sha256.Sum256(append([]byte(r.URL.Path+"\x00"+author+"\x00"), body...))
		b.IdempotencyKey, b.RequestHash, b.IdempotencyOwner = key, hex.EncodeToString(sum[:]), author
	}
	rec, err := s.svc.Record(r.Context(), b)
	if err != nil {
		return err
	}
	return writeJSON(w, r, http.StatusCreated, rec)
}

func (s *Server) checkIns(w http.ResponseWriter, r *http.Request) error {
	return writeItems[engine.CheckIn](w, r)(s.svc.CheckIns(r.Context(), r.PathValue("key")))
}

func (s *Server) measurements(w http.ResponseWriter, r *http.Request) error {
	return writeItems[engine.Measurement](w, r)(s.svc.Measurements(r.Context(), r.PathValue("key")))
}

// writeItems returns a function that writes a list as {"items": [...]},
// or returns the error that came instead.
func writeItems[T any](w http.ResponseWriter, r *http.Request) func([]T, error) error {
	return func(items []T, err error) error {
		if err != nil {
			return err
		}
		if items == nil {
			items = []T{}
		}
		return writeJSON(w, r, http.StatusOK, map[string]any{"items": items})
	}
}

func runID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id < 1 {
		return 0, badRequest("%q is not a run number", s)
	}
	return id, nil
}

func (s *Server) listRuns(w http.ResponseWriter, r *http.Request) error {
	sc, err := scope(r)
	if err != nil {
		return err
	}
	runs, err := s.svc.Runs(r.Context(), sc, r.URL.Query().Get("all") == "true")
	if err != nil {
		return err
	}
	if runs == nil {
		runs = []*engine.AuditRun{}
	}
	return writeJSON(w, r, http.StatusOK, map[string]any{"items": summaries(runs)})
}

// runSummary is a run without its findings.
type runSummary struct {
	ID         int64            `json:"id"`
	Scope      string           `json:"scope"`
	Author     string           `json:"author,omitempty"`
	StartedAt  time.Time        `json:"started_at"`
	FinishedAt time.Time        `json:"finished_at"`
	Today      engine.Date      `json:"today"`
	Complete   bool             `json:"complete"`
	Counts     map[string]int   `json:"counts"`
	Scorecard  engine.Scorecard `json:"scorecard"`
}

func summary(r *engine.AuditRun) runSummary {
	return runSummary{ID: r.ID, Scope: r.Scope, Author: r.Author, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt,
		Today: r.Today, Complete: r.Complete, Counts: r.Counts, Scorecard: r.Scorecard}
}

func summaries(runs []*engine.AuditRun) []runSummary {
	out := make([]runSummary, len(runs))
	for i, r := range runs {
		out[i] = summary(r)
	}
	return out
}

func (s *Server) getRun(w http.ResponseWriter, r *http.Request) error {
	id, err := runID(r.PathValue("id"))
	if err != nil {
		return err
	}
	run, err := s.svc.Run(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, r, http.StatusOK, run)
}

func (s *Server) report(w http.ResponseWriter, r *http.Request) error {
	id, err := runID(r.PathValue("id"))
	if err != nil {
		return err
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "json"
	}
	wr, err := report.Get(format)
	if err != nil {
		return badRequest("%v", err)
	}
	run, err := s.svc.Run(r.Context(), id)
	if err != nil {
		return err
	}
	rep, err := s.svc.Report(r.Context(), run, format)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", report.ContentType(format))
	if format == "html" {
		// The report is self-contained: inline styles, no scripts.
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'")
	}
	return wr.Write(w, rep)
}

func (s *Server) diff(w http.ResponseWriter, r *http.Request) error {
	sc, err := scope(r)
	if err != nil {
		return err
	}
	var from, to int64
	q := r.URL.Query()
	if q.Has("from") || q.Has("to") {
		if from, err = runID(q.Get("from")); err != nil {
			return err
		}
		if to, err = runID(q.Get("to")); err != nil {
			return err
		}
	}
	d, err := s.svc.Diff(r.Context(), sc, from, to)
	if err != nil {
		return err
	}
	return writeJSON(w, r, http.StatusOK, d)
}

// scopeRuns returns the scope the query names and its stored runs, newest
// first.
func (s *Server) scopeRuns(r *http.Request) (engine.Scope, []*engine.AuditRun, error) {
	sc, err := scope(r)
	if err != nil {
		return sc, nil, err
	}
	runs, err := s.svc.Runs(r.Context(), sc, false)
	return sc, runs, err
}

func (s *Server) scorecard(w http.ResponseWriter, r *http.Request) error {
	sc, runs, err := s.scopeRuns(r)
	if err != nil {
		return err
	}
	if len(runs) == 0 {
		return engine.NotFound("audit_run", "no stored audit run of scope %s; POST /api/v1/audits runs one", sc)
	}
	return writeJSON(w, r, http.StatusOK, summary(runs[0]))
}

type seriesPoint struct {
	Run       int64            `json:"run"`
	Today     engine.Date      `json:"today"`
	StartedAt time.Time        `json:"started_at"`
	Scorecard engine.Scorecard `json:"scorecard"`
}

func (s *Server) scorecardSeries(w http.ResponseWriter, r *http.Request) error {
	sc, runs, err := s.scopeRuns(r)
	if err != nil {
		return err
	}
	out := make([]seriesPoint, 0, len(runs))
	for i := len(runs) - 1; i >= 0; i-- { // oldest first
		out = append(out, seriesPoint{Run: runs[i].ID, Today: runs[i].Today, StartedAt: runs[i].StartedAt, Scorecard: runs[i].Scorecard})
	}
	return writeJSON(w, r, http.StatusOK, map[string]any{"scope": sc.String(), "items": out})
}

func (s *Server) rules(w http.ResponseWriter, r *http.Request) error {
	return writeItems[service.RuleInfo](w, r)(s.svc.Rules(r.Context(), nil, r.URL.Query().Get("pack")))
}

type pluginView struct {
	Name    string   `json:"name"`
	Version string   `json:"version"`
	Path    string   `json:"path"`
	SHA256  string   `json:"sha256"`
	Rules   []string `json:"rules"`
}

func (s *Server) plugins(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.svc.Plugins(r.Context())
	if err != nil {
		return err
	}
	out := make([]pluginView, len(ps))
	for i, p := range ps {
		v := pluginView{Name: p.Name, Version: p.Description.GetVersion(), Path: p.Path, SHA256: p.SHA256, Rules: []string{}}
		for _, rule := range p.Description.GetRules() {
			v.Rules = append(v.Rules, rule.GetId())
		}
		out[i] = v
	}
	return writeJSON(w, r, http.StatusOK, map[string]any{"items": out})
}

func (s *Server) waivers(w http.ResponseWriter, r *http.Request) error {
	return writeItems[engine.Waiver](w, r)(s.svc.Waivers(r.Context()))
}

type waiverRequest struct {
	Rule   string      `json:"rule"`
	Entity string      `json:"entity"`
	Reason string      `json:"reason"`
	Owner  string      `json:"owner,omitempty"`
	Until  engine.Date `json:"until"`
}

func (s *Server) addWaiver(w http.ResponseWriter, r *http.Request) error {
	var req waiverRequest
	if err := readJSON(w, r, s.cfg.MaxBody, &req); err != nil {
		return err
	}
	wv, _, err := s.svc.Waive(r.Context(), engine.Waiver{Rule: req.Rule, Entity: req.Entity, Reason: req.Reason, Owner: req.Owner, Until: req.Until}, caller(r).name)
	if err != nil {
		return err
	}
	return writeJSON(w, r, http.StatusCreated, wv)
}

func (s *Server) removeWaiver(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return badRequest("%q is not a waiver number", r.PathValue("id"))
	}
	wv, err := s.svc.Unwaive(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, r, http.StatusOK, wv)
}

func (s *Server) tokens(w http.ResponseWriter, r *http.Request) error {
	return writeItems[engine.Token](w, r)(s.svc.Tokens(r.Context()))
}

type tokenRequest struct {
	Name    string `json:"name"`
	Role    string `json:"role"`
	Expires string `json:"expires,omitempty"` // e.g. 90d or 12h; "" never
}

type tokenResponse struct {
	engine.Token
	Secret string `json:"secret"`
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	var req tokenRequest
	if err := readJSON(w, r, s.cfg.MaxBody, &req); err != nil {
		return err
	}
	ttl, err := ParseTTL(req.Expires)
	if err != nil {
		return err
	}
	secret, t, err := s.svc.CreateToken(r.Context(), req.Name, req.Role, ttl)
	if err != nil {
		return err
	}
	return writeJSON(w, r, http.StatusCreated, tokenResponse{Token: t, Secret: secret})
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.RevokeToken(r.Context(), r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// ParseTTL reads a token lifetime: a Go duration (12h) or days (90d); ""
// is no expiry.
func ParseTTL(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err == nil && n > 0 {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, engine.Errorf(engine.EINVALID, "expires %q: write a lifetime such as 90d or 12h", s)
	}
	return d, nil
}
