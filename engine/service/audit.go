package service

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/atomicfile"
	"github.com/okrmap/okrmap/engine/audit"
	"github.com/okrmap/okrmap/engine/notify"
	"github.com/okrmap/okrmap/engine/report"
	"github.com/okrmap/okrmap/engine/resolve"
)

// AuditRequest asks for an audit of a scope.
type AuditRequest struct {
	Scope engine.Scope
	Packs []string    // rule pack files besides the configured ones
	Today engine.Date // judge as of this day; zero is today
	// Author is who runs the audit: a user, a token's name, a schedule.
	Author string
	// NoStore judges and reports without storing the run or notifying;
	// the diff is against the latest stored run.
	NoStore bool
	// Format and Output, when Format is set, write the report: to Output
	// (replaced atomically) or, when Output is "", to Writer.
	Format string
	Output string
	Writer io.Writer
	Color  bool // the text report colours severities
	// Notify posts a summary to these webhooks when something changed
	// since the previous run.
	Notify []notify.Target
	// NotifyOnce tries each webhook once, with a short timeout, instead of
	// retrying: a command that should not wait on a slow webhook. What
	// fails is kept and sent first by the next run.
	NotifyOnce bool
	// DevPlugins are plugin binaries to run unpinned (development mode);
	// the run's packs mark them dev. Only the command line sets them.
	DevPlugins []string
}

// OnceTimeout bounds a webhook's one try under AuditRequest.NotifyOnce.
const OnceTimeout = 5 * time.Second

// AuditResult is a stored audit run and what changed since the previous
// run of its scope.
type AuditResult struct {
	Run    *engine.AuditRun
	Diff   audit.Diff
	Report *report.Report
	// NotifyErrors are webhooks that could not be told; the run is stored.
	NotifyErrors []error
	Timing       struct{ Load, Evaluate, Store time.Duration }
}

// Audit evaluates the rule packs and pinned plugins over one consistent
// snapshot, scores the scope, stores the run, compares it with the
// previous run of the scope, writes the report and notifies. A run whose
// plugin failed is stored and returned, incomplete, with a nil error.
func (s *Service) Audit(ctx context.Context, req AuditRequest) (*AuditResult, error) {
	start := time.Now()
	res, err := s.audit(ctx, req)
	var run *engine.AuditRun
	if res != nil {
		run = res.Run
	}
	s.opt.Observer.AuditDone(req.Scope.String(), run, time.Since(start), err)
	return res, err
}

func (s *Service) audit(ctx context.Context, req AuditRequest) (*AuditResult, error) {
	ph := s.phases("audit", "prepare")
	var w report.Writer
	if req.Format != "" {
		var err error
		if w, err = report.Get(req.Format); err != nil {
			return nil, err
		}
	}
	rs, err := s.RuleSet(req.Packs)
	if err != nil {
		return nil, err
	}
	ws, err := s.db.Waivers(ctx)
	if err != nil {
		return nil, err
	}
	plugins, err := s.PluginStages(ctx, rs, req.DevPlugins)
	if err != nil {
		return nil, err
	}
	res := &AuditResult{}
	ph.next("load")
	start := time.Now()
	previous, stop := s.previous(ctx, req.Scope.String())
	defer stop()
	snap, err := s.db.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkTeams(snap.Plan, req.Scope); err != nil {
		return nil, err
	}
	history := s.pluginHistory(ctx, s.Today(req.Today), snap.CheckIns)
	stages := make([]audit.Stage, len(plugins))
	for i, st := range plugins {
		st.History, st.Days, st.MaxDays = history, s.opt.Plugins.HistoryDays, max(s.opt.Plugins.HistoryDays, s.opt.Plugins.MaxHistoryDays)
		stages[i] = timedStage{st, s.opt.Observer}
	}
	loaded := time.Now()
	run, graph, err := audit.Run(ctx, audit.Input{
		Resolve: resolve.Input{Plan: snap.Plan, CheckIns: snap.CheckIns, Latest: snap.Latest, Syncs: snap.Syncs, Today: s.Today(req.Today)},
		Rules:   rs, Scope: req.Scope, Waivers: ws, Stages: stages, Clock: s.opt.Now, Phase: ph.next,
	})
	if err != nil {
		return nil, err
	}
	run.Author = req.Author
	evaluated := time.Now()
	res.Timing.Load, res.Timing.Evaluate = loaded.Sub(start), evaluated.Sub(loaded)
	ph.next("previous run")
	prev, err := previous(audit.Needs(run))
	if err != nil {
		return nil, err
	}
	if prev != nil && len(prev.DevPlugins()) > 0 && len(run.DevPlugins()) == 0 {
		if prev, err = s.latestPinnedRun(ctx, run.Scope); err != nil {
			return nil, err
		}
	}
	audit.CarryForward(prev, run)
	// The diff is taken while the run is stored: neither changes the
	// findings, and only the diff's run id waits for the store.
	diff := make(chan audit.Diff, 1)
	judged := *run // SaveRun sets run.ID meanwhile
	go func() { diff <- audit.Compare(prev, &judged) }()
	if !req.NoStore {
		ph.next("store")
		if err := s.db.SaveRun(ctx, run); err != nil {
			<-diff
			return nil, err
		}
		res.Timing.Store = time.Since(evaluated)
	}
	ph.next("compare")
	res.Run, res.Diff = run, <-diff
	res.Diff.To = run.ID
	res.Report = &report.Report{Run: run, Diff: res.Diff, Graph: graph, Color: req.Color}
	if w != nil {
		ph.next("report")
		if err := writeReport(w, res.Report, req.Output, req.Writer); err != nil {
			if req.NoStore {
				return nil, err
			}
			return nil, fmt.Errorf("audit run %d is stored, but its report was not written: %w", run.ID, err)
		}
	}
	if !req.NoStore {
		res.NotifyErrors = s.notify(ctx, req, res)
	}
	ph.end("scope", run.Scope, "findings", len(run.Findings))
	return res, nil
}

func writeReport(w report.Writer, rep *report.Report, path string, out io.Writer) error {
	if path != "" {
		return atomicfile.Write(path, 0o666, func(f io.Writer) error { return w.Write(f, rep) })
	}
	if out == nil {
		return nil
	}
	return w.Write(out, rep)
}

// notify first delivers what earlier runs could not tell each target,
// then posts this run's summary when something changed. What fails is kept
// for the next run and returned.
func (s *Service) notify(ctx context.Context, req AuditRequest, res *AuditResult) []error {
	var errs []error
	sum := notify.NewSummary(res.Run, res.Diff, req.Output)
	opt := s.opt.Notify
	if req.NotifyOnce {
		opt.Attempts, opt.Timeout = 1, OnceTimeout
	}
	for _, t := range req.Notify {
		pending, err := s.db.PendingFor(ctx, t.URL)
		if err != nil {
			errs = append(errs, err)
		}
		var down error // set when a one-try run found the webhook failing
		for _, p := range pending {
			err := notify.PostBody(ctx, t, p.Body, opt)
			if err != nil {
				errs = append(errs, fmt.Errorf("an earlier notification is still undelivered: %w", err))
			}
			if err := s.db.SettlePending(ctx, p.ID, err == nil); err != nil {
				errs = append(errs, err)
			}
			if err != nil && req.NotifyOnce {
				down = err // the rest wait for a run after the webhook is back
				break
			}
		}
		if !notify.Changed(res.Diff) {
			continue
		}
		body, err := t.Body(sum)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if down == nil {
			down = notify.PostBody(ctx, t, body, opt)
		}
		if err := down; err != nil {
			errs = append(errs, fmt.Errorf("%w; kept to retry on the next run", err))
			if err := s.db.AddPending(ctx, t.URL, body); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errs
}

// previous starts reading the latest stored run of scope while the audit
// loads and evaluates the plan. wait returns it; of its findings only
// those needs names are read whole (see LatestRun). stop ends the read
// when wait is never called.
func (s *Service) previous(ctx context.Context, scope string) (wait func(needs func(fingerprint, rule string) bool) (*engine.AuditRun, error), stop func()) {
	needc := make(chan func(fingerprint, rule string) bool, 1)
	type result struct {
		run *engine.AuditRun
		err error
	}
	done := make(chan result, 1)
	go func() {
		var needs func(fingerprint, rule string) bool
		run, err := s.db.LatestRun(ctx, scope, func(fingerprint, rule string) bool {
			if needs == nil {
				if needs = <-needc; needs == nil { // stopped: read no bodies
					needs = func(string, string) bool { return false }
				}
			}
			return needs(fingerprint, rule)
		})
		done <- result{run, err}
	}()
	var once sync.Once
	stop = func() { once.Do(func() { close(needc) }) }
	wait = func(needs func(fingerprint, rule string) bool) (*engine.AuditRun, error) {
		once.Do(func() { needc <- needs })
		r := <-done
		return r.run, r.err
	}
	return wait, stop
}

// latestPinnedRun is the newest stored run of scope that ran no plugin in
// development mode, or nil: a pinned run is compared with pinned runs only.
func (s *Service) latestPinnedRun(ctx context.Context, scope string) (*engine.AuditRun, error) {
	runs, err := s.db.Runs(ctx, scope)
	if err != nil {
		return nil, err
	}
	for _, r := range runs {
		if len(r.DevPlugins()) == 0 {
			return s.db.Run(ctx, r.ID)
		}
	}
	return nil, nil
}

// Runs lists stored runs of scope, newest first, without findings; every
// scope's when all is set.
func (s *Service) Runs(ctx context.Context, scope engine.Scope, all bool) ([]*engine.AuditRun, error) {
	name := scope.String()
	if all {
		name = ""
	}
	return s.db.Runs(ctx, name)
}

// Run returns a stored run with its findings.
func (s *Service) Run(ctx context.Context, id int64) (*engine.AuditRun, error) {
	return s.db.Run(ctx, id)
}

// LatestRun returns the newest stored run of scope; ENOTFOUND when there
// is none.
func (s *Service) LatestRun(ctx context.Context, scope engine.Scope) (*engine.AuditRun, error) {
	run, err := s.db.LatestRun(ctx, scope.String(), nil)
	if err == nil && run == nil {
		err = engine.NotFound("audit_run", "no stored audit run of scope %s", scope)
	}
	return run, err
}

// Report builds the report of a stored run: its diff with the run before
// it and, for formats that draw it, the plan as stored now, judged as of
// the run's day.
func (s *Service) Report(ctx context.Context, run *engine.AuditRun, format string) (*report.Report, error) {
	if _, err := report.Get(format); err != nil {
		return nil, err
	}
	prev, err := s.db.PreviousRun(ctx, run.Scope, run.ID)
	if err != nil {
		return nil, err
	}
	rep := &report.Report{Run: run, Diff: audit.Compare(prev, run)}
	if !report.NeedsGraph(format) {
		return rep, nil
	}
	g, _, err := s.Graph(ctx, run.Today)
	if err != nil {
		return nil, err
	}
	rep.Graph = g
	return rep, nil
}

// Diff compares two stored runs; with from and to zero, the last two runs
// of scope. ENOTFOUND when there are not two runs to compare.
func (s *Service) Diff(ctx context.Context, scope engine.Scope, from, to int64) (audit.Diff, error) {
	if from == 0 && to == 0 {
		runs, err := s.db.Runs(ctx, scope.String())
		if err != nil {
			return audit.Diff{}, err
		}
		if len(runs) < 2 {
			return audit.Diff{}, engine.NotFound("audit_run", "scope %s has %d stored run(s); a diff needs two", scope, len(runs))
		}
		from, to = runs[1].ID, runs[0].ID
	}
	a, err := s.db.Run(ctx, from)
	if err != nil {
		return audit.Diff{}, err
	}
	b, err := s.db.Run(ctx, to)
	if err != nil {
		return audit.Diff{}, err
	}
	return audit.Compare(a, b), nil
}

// timedStage tells the observer how long a plugin stage took.
type timedStage struct {
	audit.Stage
	obs Observer
}

func (t timedStage) Run(ctx context.Context, g *resolve.Graph) ([]engine.Finding, engine.PackRef, error) {
	start := time.Now()
	fs, ref, err := t.Stage.Run(ctx, g)
	t.obs.PluginDone(t.Name(), time.Since(start), err)
	return fs, ref, err
}

// PruneRuns deletes runs started before cutoff, except the keep newest of
// every scope, in one transaction, and returns their ids; with dryRun it
// deletes nothing.
func (s *Service) PruneRuns(ctx context.Context, keep int, cutoff time.Time, dryRun bool) ([]int64, error) {
	if keep < 1 {
		return nil, engine.Errorf(engine.EINVALID, "keep at least the latest run of each scope")
	}
	return s.db.PruneRuns(ctx, keep, cutoff, dryRun)
}
