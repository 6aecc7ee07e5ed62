package server

import (
	"cmp"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/notify"
	"github.com/okrmap/okrmap/engine/report"
	"github.com/okrmap/okrmap/engine/service"
)

// Schedule is a scheduled audit or sync (config key schedule).
type Schedule struct {
	// Name identifies the schedule in logs and as the runs' author.
	Name string `mapstructure:"name"`
	// Task is audit (the default); sync: read the due KPIs from their
	// connectors, as okrmap sync does; or remind: e-mail owners their
	// items due, as okrmap remind does.
	Task string `mapstructure:"task"`
	// Connectors limits a sync to KPIs read from these.
	Connectors []string `mapstructure:"connectors"`
	// Cron is when to run: five fields (minute hour day month weekday),
	// or @hourly, @daily, @weekly, @every 30m; CRON_TZ=Europe/London
	// before it sets the time zone (default: the server's).
	Cron string `mapstructure:"cron"`
	// Period and Teams are the scope; both empty audit the whole plan.
	Period string   `mapstructure:"period"`
	Teams  []string `mapstructure:"teams"`
	// Format and Output write the report of each run to a file.
	Format string `mapstructure:"format"`
	Output string `mapstructure:"output"`
	// Notify are webhooks told when something changed.
	Notify []notify.Target `mapstructure:"notify"`
}

var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// CheckSchedules reports the first invalid schedule, naming it.
func CheckSchedules(ss []Schedule) error {
	names := map[string]bool{}
	for i, s := range ss {
		where := fmt.Sprintf("schedule[%d]", i)
		if s.Name == "" {
			return fmt.Errorf("%s: name is missing", where)
		}
		where = fmt.Sprintf("schedule %q", s.Name)
		if names[s.Name] {
			return fmt.Errorf("%s: the name is used twice", where)
		}
		names[s.Name] = true
		if _, err := cronParser.Parse(s.Cron); err != nil {
			return fmt.Errorf("%s: cron %q: %v; write five fields (minute hour day month weekday) such as \"0 6 * * 1-5\", or @daily", where, s.Cron, err)
		}
		switch s.Task {
		case "", "audit":
			if len(s.Connectors) > 0 {
				return fmt.Errorf("%s: connectors are for task: sync", where)
			}
		case "sync", "remind":
			if s.Period != "" || len(s.Teams) > 0 || s.Format != "" || s.Output != "" || len(s.Notify) > 0 {
				return fmt.Errorf("%s: a %s takes no period, teams, format, output or notify; schedule an audit for those", where, s.Task)
			}
			if s.Task == "remind" && len(s.Connectors) > 0 {
				return fmt.Errorf("%s: connectors are for task: sync", where)
			}
			continue
		default:
			return fmt.Errorf("%s: task %q is not audit, sync or remind", where, s.Task)
		}
		if _, err := engine.NewScope(s.Period, s.Teams); err != nil {
			return fmt.Errorf("%s: %v", where, err)
		}
		if s.Output != "" || s.Format != "" {
			if _, err := report.Get(s.Format); err != nil {
				return fmt.Errorf("%s: format: %v", where, err)
			}
			if s.Output == "" {
				return fmt.Errorf("%s: format %s needs an output file", where, s.Format)
			}
		}
		for _, t := range s.Notify {
			if err := t.Check(); err != nil {
				return fmt.Errorf("%s: notify: %v", where, err)
			}
		}
	}
	return nil
}

// SetSchedules makes Serve run these audits on their schedules.
func (s *Server) SetSchedules(ss []Schedule) error {
	if err := CheckSchedules(ss); err != nil {
		return err
	}
	s.schedules = ss
	return nil
}

// guard lets one audit of a scope run at a time.
type guard struct {
	mu      sync.Mutex
	running map[string]bool
}

// try claims scope; ok is false when it is taken.
func (g *guard) try(scope string) (release func(), ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.running == nil {
		g.running = map[string]bool{}
	}
	if g.running[scope] {
		return nil, false
	}
	g.running[scope] = true
	return func() {
		g.mu.Lock()
		delete(g.running, scope)
		g.mu.Unlock()
	}, true
}

// startSchedules starts the scheduler; stop stops it and waits for running
// audits until ctx ends.
func (s *Server) startSchedules() (stop func(ctx context.Context)) {
	if len(s.schedules) == 0 {
		return func(context.Context) {}
	}
	c := cron.New(cron.WithParser(cronParser))
	for _, e := range s.schedules {
		sched, _ := cronParser.Parse(e.Cron) // checked by SetSchedules
		run := s.runScheduled
		switch e.Task {
		case "sync":
			run = s.runScheduledSync
		case "remind":
			run = s.runScheduledRemind
		}
		c.Schedule(sched, cron.FuncJob(func() {
			if s.claim(e.Name, slot(sched, time.Now())) {
				run(e)
			}
		}))
		s.log.Info("scheduled", "schedule", e.Name, "task", cmp.Or(e.Task, "audit"), "cron", e.Cron)
	}
	c.Start()
	return func(ctx context.Context) {
		select {
		case <-c.Stop().Done():
		case <-ctx.Done():
		}
	}
}

// slot is the scheduled time of the tick firing at now: the latest time
// sched names at or before now (a tick may fire a moment late). Servers
// agree on it for cron specs; for @every d, whose ticks follow each
// server's start, it is now rounded down to a multiple of d, so servers
// share one tick per d.
func slot(sched cron.Schedule, now time.Time) time.Time {
	if every, ok := sched.(cron.ConstantDelaySchedule); ok {
		return now.Truncate(every.Delay)
	}
	now = now.Add(time.Second) // a tick may fire a moment early too
	back := time.Minute
	for sched.Next(now.Add(-back)).After(now) && back < 20*366*24*time.Hour {
		back *= 2
	}
	t := sched.Next(now.Add(-back))
	for n := sched.Next(t); !n.After(now); n = sched.Next(t) {
		t = n
	}
	return t
}

// claim reports whether this server runs the tick of schedule at slot:
// the first server on the database to claim a tick runs it, the others
// skip it. A tick whose claim fails to be stored is not run; the next one
// is.
func (s *Server) claim(schedule string, slot time.Time) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ok, err := s.svc.DB().ClaimTick(ctx, schedule, slot, s.replica)
	if err != nil {
		s.log.Error("could not claim a scheduled tick; skipped it", "schedule", schedule, "slot", slot, "err", err)
		return false
	}
	if !ok {
		s.log.Info("another server ran this tick", "schedule", schedule, "slot", slot)
	}
	return ok
}

// runScheduled runs one tick of a schedule: the audit okrmap audit would
// run for the scope, unless the previous one is still running.
func (s *Server) runScheduled(e Schedule) {
	sc, _ := engine.NewScope(e.Period, e.Teams) // checked by SetSchedules
	release, ok := s.scopes.try(sc.String())
	if !ok {
		s.log.Warn("skipped a scheduled audit: the previous audit of its scope is still running", "schedule", e.Name, "scope", sc.String())
		return
	}
	defer release()
	start := time.Now()
	res, err := s.svc.Audit(context.Background(), service.AuditRequest{Scope: sc, Author: "schedule:" + e.Name,
		Format: e.Format, Output: e.Output, Notify: e.Notify})
	if err != nil {
		s.log.Error("scheduled audit failed", "schedule", e.Name, "scope", sc.String(), "err", err)
		return
	}
	for _, err := range res.NotifyErrors {
		s.log.Warn("scheduled audit could not notify", "schedule", e.Name, "err", err)
	}
	s.log.Info("scheduled audit", "schedule", e.Name, "scope", sc.String(), "run", res.Run.ID, "complete", res.Run.Complete,
		"summary", res.Diff.Summary(), "took", time.Since(start))
}

// runScheduledSync runs one tick of a sync schedule, unless the previous
// sync is still running. A source that fails is logged with its KPIs.
func (s *Server) runScheduledSync(e Schedule) {
	release, ok := s.scopes.try("sync")
	if !ok {
		s.log.Warn("skipped a scheduled sync: the previous sync is still running", "schedule", e.Name)
		return
	}
	defer release()
	start := time.Now()
	res, err := s.svc.Sync(context.Background(), service.SyncRequest{Connectors: e.Connectors, Author: "schedule:" + e.Name})
	if err != nil {
		s.log.Error("scheduled sync failed", "schedule", e.Name, "err", err)
		return
	}
	for _, it := range res.Items {
		if it.Status == "failed" {
			s.log.Warn("scheduled sync could not read a KPI", "schedule", e.Name, "kpi", it.KPI, "connector", it.Connector, "err", it.Error)
		}
	}
	s.log.Info("scheduled sync", "schedule", e.Name, "stored", res.Stored, "failed", res.Failed, "took", time.Since(start))
}

// runScheduledRemind runs one tick of a remind schedule, unless the
// previous one is still running. Reminders that fail are logged and tried
// again on the next tick; none is sent twice in its window.
func (s *Server) runScheduledRemind(e Schedule) {
	release, ok := s.scopes.try("remind")
	if !ok {
		s.log.Warn("skipped a scheduled remind: the previous one is still running", "schedule", e.Name)
		return
	}
	defer release()
	start := time.Now()
	res, err := s.svc.Remind(context.Background(), engine.Date{}, false)
	if err != nil {
		s.log.Error("scheduled remind failed", "schedule", e.Name, "err", err)
		return
	}
	if res.Failed != nil {
		s.log.Warn("scheduled remind could not send every reminder; they are tried again on the next tick", "schedule", e.Name, "err", res.Failed)
	}
	for _, r := range res.NoAddress {
		s.log.Warn("an owner with items due has no e-mail address", "schedule", e.Name, "owner", r.Owner, "items", len(r.Items))
	}
	s.log.Info("scheduled remind", "schedule", e.Name, "sent", len(res.Sent), "due", len(res.Reminders), "took", time.Since(start))
}
