// Package service is okrmap's application service: every use case the
// command line and the HTTP server offer, over one store. Front ends parse
// their input, call one method and render what it returns; the sequences
// (audit, lint, pinning, imports ...) live here, once.
package service

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/connect"
	"github.com/okrmap/okrmap/engine/notify"
	"github.com/okrmap/okrmap/engine/postgres"
	"github.com/okrmap/okrmap/engine/resolve"
	"github.com/okrmap/okrmap/engine/sqlite"
	"github.com/okrmap/okrmap/engine/store"
	"github.com/okrmap/okrmap/engine/waiver"
)

// Rules says which rule packs lint and audits evaluate.
type Rules struct {
	// Builtin includes the embedded okrmap-default pack.
	Builtin bool `mapstructure:"builtin"`
	// Packs are rule pack files, evaluated after the built-in pack.
	Packs []string `mapstructure:"packs"`
	// MaxSteps, MaxText and Timeout bound what rules may cost (see
	// rules.Limits); zero takes the defaults.
	MaxSteps int           `mapstructure:"max_steps"`
	MaxText  int           `mapstructure:"max_text"`
	Timeout  time.Duration `mapstructure:"timeout"`
}

// Plugins configures rule plugins.
type Plugins struct {
	// Dirs are searched for okrmap-plugin-* binaries when pinning.
	Dirs []string `mapstructure:"dirs"`
	// Lock is the lock file; "" means plugins.lock beside the database.
	Lock string `mapstructure:"lock"`
	// Timeout bounds each plugin's run in an audit.
	Timeout time.Duration `mapstructure:"timeout"`
	// Timeouts override Timeout by plugin name.
	Timeouts map[string]time.Duration `mapstructure:"timeouts"`
	// Settings are passed to each plugin by name.
	Settings map[string]map[string]string `mapstructure:"settings"`
	// MaxFindings bounds the findings one plugin may return in a check;
	// more fail the plugin (a plugin-failure finding, an incomplete run).
	MaxFindings int `mapstructure:"max_findings"`
	// Env names, by plugin name, the environment variables a plugin is
	// passed beside host.BaseEnv; it sees no others.
	Env map[string][]string `mapstructure:"env"`
	// Dev are plugin binaries the command line's audit and lint run
	// unpinned, for plugin development; the server never runs them.
	Dev []string `mapstructure:"dev"`
	// HistoryDays is how many days of measurement and check-in history
	// audits send every plugin; 0 sends none, unless it declares a need.
	HistoryDays int `mapstructure:"history_days"`
	// MaxHistoryDays bounds the history a plugin that declares a need
	// gets (never below HistoryDays).
	MaxHistoryDays int `mapstructure:"max_history_days"`
}

// PluginTimeout is how long the named plugin may run.
func (p Plugins) PluginTimeout(name string) time.Duration {
	if d, ok := p.Timeouts[name]; ok {
		return d
	}
	return p.Timeout
}

// Options configure a Service.
type Options struct {
	Rules   Rules
	Plugins Plugins
	// WaiverFile is a waiver file from before waivers were stored in the
	// database; Open imports it once. "" means waivers.yaml beside the
	// database.
	WaiverFile string
	// DBPath is the database file, or a server database's URL; files that
	// default to the file's directory (the lock file, the legacy waiver
	// file) are found from it, or in the working directory for a server.
	// Open and New set it.
	DBPath string
	Log    *slog.Logger     // nil discards
	Now    func() time.Time // nil is time.Now
	// Progress, if set, is told as each phase of a long operation (apply,
	// validate, lint, audit, import, export) starts; phase "" when it ends.
	Progress func(op, phase string)
	// Observer is told about audits and plugin runs; nil tells no one.
	Observer Observer
	// Mail is the SMTP server reminders go through; RemindOptOut are the
	// owners who get none; PublicURL is the dashboard's address, which
	// reminders link to.
	Mail         notify.Mail
	RemindOptOut []string
	PublicURL    string
	// FiscalYearStart is the configured month (1-12) fiscal years start
	// in, 0 when not configured: then the database's, recorded by the
	// first apply that had one (see Open).
	FiscalYearStart int
	// FutureTolerance is how far ahead of now a check-in or measurement
	// may be dated; anything later is refused.
	FutureTolerance time.Duration
	// Notify tunes webhook delivery; the zero value is notify's defaults.
	Notify notify.Options
	// MaxStale lets reads of the plan (entities, trees, stale counts)
	// answer from a cached graph while a newer one is read in the
	// background, at most once per MaxStale; zero reads every write before
	// answering.
	MaxStale time.Duration
	// Connectors are the named sources okrmap sync reads KPI values from.
	Connectors map[string]connect.Config
}

// Observer is told what audits did, for metrics.
type Observer interface {
	// AuditDone reports a stored run and how long the audit took, or the
	// error that stopped it.
	AuditDone(scope string, run *engine.AuditRun, took time.Duration, err error)
	// PluginDone reports one plugin's stage in an audit.
	PluginDone(plugin string, took time.Duration, err error)
}

type nopObserver struct{}

func (nopObserver) AuditDone(string, *engine.AuditRun, time.Duration, error) {}
func (nopObserver) PluginDone(string, time.Duration, error)                  {}

// Service runs okrmap's use cases against one database.
type Service struct {
	db  engine.Store
	opt Options

	mu         sync.Mutex // guards graph, refreshing and refreshErr
	graph      *cachedGraph
	refreshing chan struct{} // closed when the graph read under way ends
	refreshErr error         // of the last graph read
	rev        int64         // the store's revision, read at revAt
	revAt      time.Time
	revCommits int64 // s.db.Commits() when rev was read

	tokens sync.Map // secret hash -> cachedToken

	fastLoad time.Duration // fastLoad; tests lower it
}

// OpenDB opens (creating and migrating) the database at where: a
// postgres:// URL, or a SQLite file path, which may start with sqlite:.
func OpenDB(ctx context.Context, where string) (*store.DB, error) {
	if postgres.IsURL(where) {
		return postgres.Open(ctx, where)
	}
	return sqlite.Open(ctx, strings.TrimPrefix(where, "sqlite:"))
}

// Exists reports whether there is a database at where: a SQLite file
// that exists (a PostgreSQL URL always counts: its server says).
func Exists(where string) bool {
	if postgres.IsURL(where) {
		return true
	}
	_, err := os.Stat(strings.TrimPrefix(where, "sqlite:"))
	return err == nil
}

// Open opens (creating and migrating) the database at where (see OpenDB)
// and returns a service over it. A legacy waiver file is imported on the
// first open.
func Open(ctx context.Context, where string, o Options) (*Service, error) {
	db, err := OpenDB(ctx, where)
	if err != nil {
		return nil, err // not db: a nil *store.DB is no nil Store
	}
	s := New(db, o)
	if err := errors.Join(s.fiscalYear(ctx), s.importWaiverFile(ctx)); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// fiscalYear sets engine.FiscalYearStart to the database's when none is
// configured, and refuses a configured one that differs: the stored fiscal
// periods would change their dates.
func (s *Service) fiscalYear(ctx context.Context) error {
	stored, err := s.db.FiscalYearStart(ctx)
	if err != nil {
		return err
	}
	switch want := s.opt.FiscalYearStart; {
	case stored == 0:
	case want == 0:
		engine.FiscalYearStart = time.Month(stored)
	case want != stored:
		return engine.Errorf(engine.ECONFLICT, "this database's plan was applied with fiscal years starting in %s (plan.fiscal_year_start: %d) and the configuration says %d; "+
			"its fiscal periods would move. Set plan.fiscal_year_start to %d, or leave it out to use the database's",
			time.Month(stored), stored, want, stored)
	}
	return nil
}

// New returns a service over an open database.
func New(db engine.Store, o Options) *Service {
	o.DBPath = db.Path()
	s := Offline(o)
	db.SetNow(s.opt.Now)
	s.db = db
	return s
}

// Offline returns a service without a database, for the use cases that
// need none: RuleSet, Rules, Lint and the plugin methods. Options.DBPath
// still locates the lock file.
func Offline(o Options) *Service {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Observer == nil {
		o.Observer = nopObserver{}
	}
	return &Service{opt: o, fastLoad: fastLoad}
}

// Close closes the database.
func (s *Service) Close() error { return s.db.Close() }

// DB is the store, for what has no use case of its own (backups, schema
// version, history listings).
func (s *Service) DB() engine.Store { return s.db }

// Now is the service's clock.
func (s *Service) Now() time.Time { return s.opt.Now() }

// Today is the day findings are judged as of when a request names none.
func (s *Service) Today(day engine.Date) engine.Date {
	if day.IsZero() {
		return engine.DateOf(s.opt.Now())
	}
	return day
}

// besideDB returns name in the database file's directory; for a
// database on a server, name in the working directory.
func (s *Service) besideDB(name string) string {
	if postgres.IsURL(s.opt.DBPath) {
		return name
	}
	return filepath.Join(filepath.Dir(s.opt.DBPath), name)
}

// LockFile is the plugin lock file.
func (s *Service) LockFile() string {
	if s.opt.Plugins.Lock != "" {
		return s.opt.Plugins.Lock
	}
	return s.besideDB("plugins.lock")
}

func (s *Service) importWaiverFile(ctx context.Context) error {
	name := s.opt.WaiverFile
	if name == "" {
		if postgres.IsURL(s.opt.DBPath) {
			return nil // waiver files sat beside SQLite files, never beside a server
		}
		name = s.besideDB("waivers.yaml")
	}
	if _, err := os.Stat(name); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	ws, err := waiver.Load(name)
	if err != nil {
		return err
	}
	abs, err := filepath.Abs(name)
	if err != nil {
		abs = name
	}
	imported, err := s.db.ImportWaivers(ctx, "waivers-imported:"+abs, ws)
	if err != nil {
		return err
	}
	if imported {
		s.opt.Log.Info("imported the waiver file into the database; okrmap no longer reads it", "file", name, "waivers", len(ws))
	}
	return nil
}

// cachedGraph is a resolved graph and the store revision it was read at.
type cachedGraph struct {
	revision int64
	today    engine.Date
	loadedAt time.Time
	loadTook time.Duration
	snap     *engine.Snapshot
	graph    *resolve.Graph
	trees    map[string]*treeEntry // by scope, built on first use

	indexOnce sync.Once
	index     *index      // built on first use; see indexOf
	indexUsed atomic.Bool // a reader asked for the index
}

// indexOf returns the graph's index, building it once; used says whether
// a reader (rather than a refresh) asks.
func (c *cachedGraph) indexOf(used bool) *index {
	c.indexOnce.Do(func() { c.index = buildIndex(c.graph, c.snap.Plan, c.snap.Latest) })
	if used {
		c.indexUsed.Store(true)
	}
	return c.index
}

// Graph returns the stored plan resolved as of today (zero: the service's
// today), from one consistent snapshot. The graph of today is cached and
// read again after every write before a read returns, unless
// Options.MaxStale is set and reading it takes longer than fastLoad (a
// large plan): then readers are answered from the cached graph at once,
// and after writes one background read at a time brings it up to date, at
// most once per MaxStale, so readers never queue behind a reload.
func (s *Service) Graph(ctx context.Context, today engine.Date) (*resolve.Graph, *engine.Snapshot, error) {
	if !today.IsZero() && today != s.Today(engine.Date{}) {
		c, err := s.loadGraph(ctx, 0, today)
		if err != nil {
			return nil, nil, err
		}
		return c.graph, c.snap, nil
	}
	today = s.Today(engine.Date{})
	rev, err := s.revision(ctx)
	if err != nil {
		return nil, nil, err
	}
	for {
		s.mu.Lock()
		c := s.graph
		if c != nil && c.today == today && (c.revision >= rev || s.opt.MaxStale > 0 && c.loadTook > s.fastLoad) {
			if c.revision < rev && time.Since(c.loadedAt) >= s.opt.MaxStale {
				s.refresh(today, rev)
			}
			s.mu.Unlock()
			return c.graph, c.snap, nil
		}
		done := s.refresh(today, rev)
		s.mu.Unlock()
		select {
		case <-done:
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
		s.mu.Lock()
		err := s.refreshErr
		s.mu.Unlock()
		if err != nil {
			return nil, nil, err
		}
	}
}

// revision is the store's revision, or with MaxStale a lower bound of it:
// the last one read, plus the commits through this service since; it is
// read again once revisionTTL has passed, for writes by other processes.
func (s *Service) revision(ctx context.Context) (int64, error) {
	if s.opt.MaxStale == 0 {
		return s.db.Revision(ctx)
	}
	commits := s.db.Commits()
	s.mu.Lock()
	if time.Since(s.revAt) < revisionTTL {
		// Each commit through this service advanced the revision at least
		// one; a lower bound is all a reader needs to see it changed.
		s.rev += commits - s.revCommits
		s.revCommits = commits
		rev := s.rev
		s.mu.Unlock()
		return rev, nil
	}
	s.mu.Unlock()
	rev, err := s.db.Revision(ctx)
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	s.rev, s.revAt, s.revCommits = rev, time.Now(), commits
	s.mu.Unlock()
	return rev, nil
}

// fastLoad is the reload time below which readers wait for the current
// state rather than answer from a stale graph: plans up to a few thousand
// KPIs always read their writes.
const fastLoad = 50 * time.Millisecond

// revisionTTL is how long a read revision stands in for the store's.
const revisionTTL = 100 * time.Millisecond

// refresh starts reading the graph at revision rev or later unless a read
// is under way, and returns a channel closed when the read ends. s.mu is
// held.
func (s *Service) refresh(today engine.Date, rev int64) <-chan struct{} {
	if s.refreshing != nil {
		return s.refreshing
	}
	done := make(chan struct{})
	s.refreshing = done
	go func() {
		c, err := s.loadGraph(context.Background(), rev, today)
		if err == nil {
			// Build what readers used of the graph before, so no reader
			// waits for it when the new graph comes in.
			s.mu.Lock()
			old := s.graph
			var entries map[string]*treeEntry
			if old != nil {
				entries = maps.Clone(old.trees)
			}
			s.mu.Unlock()
			if old != nil && old.indexUsed.Load() {
				c.indexOf(false)
			}
			c.trees = rebuildTrees(c.graph, entries)
		}
		s.mu.Lock()
		s.refreshErr = err
		if err == nil && (s.graph == nil || c.revision >= s.graph.revision) {
			s.graph = c
		}
		s.refreshing = nil
		s.mu.Unlock()
		close(done)
	}()
	return done
}

// loadGraph reads and resolves the plan. rev is a revision read before the
// snapshot, so the snapshot holds at least that revision.
func (s *Service) loadGraph(ctx context.Context, rev int64, today engine.Date) (*cachedGraph, error) {
	start := time.Now()
	snap, err := s.db.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	if today != s.Today(engine.Date{}) {
		if snap, err = s.asOf(ctx, snap, today); err != nil {
			return nil, err
		}
	}
	g := resolve.Resolve(resolve.Input{Plan: snap.Plan, CheckIns: snap.CheckIns, Latest: snap.Latest, Syncs: snap.Syncs, Today: today})
	s.opt.Log.Debug("loaded the graph", "revision", rev, "kpis", len(g.KPIs), "took", time.Since(start))
	return &cachedGraph{revision: rev, today: today, loadedAt: start, loadTook: time.Since(start), snap: snap, graph: g}, nil
}

// checkTeams fails with ENOTFOUND when the scope names a team the plan does
// not have.
func checkTeams(p *engine.Plan, scope engine.Scope) error {
	for _, t := range scope.Teams {
		if !slices.ContainsFunc(p.Teams, func(x engine.Team) bool { return x.Key == t }) {
			return engine.NotFound(string(engine.KindTeam), "no team %q", t)
		}
	}
	return nil
}

// SetObserver replaces the observer. Call it before the service is used.
func (s *Service) SetObserver(o Observer) { s.opt.Observer = o }

// asOf returns snap as it stood at the end of day: check-ins and
// measurements dated after it are left out, and a key result checked in
// after it takes the value and confidence of its last check-in up to it
// (none when it had none), so that everything judged by time (pace,
// staleness, progress) sees only the history up to day.
func (s *Service) asOf(ctx context.Context, snap *engine.Snapshot, day engine.Date) (*engine.Snapshot, error) {
	cutoff := day.AddDays(1).Time()
	out := *snap
	out.CheckIns = nil
	last := map[string]engine.CheckIn{} // per key result, the last check-in kept
	later := map[string]bool{}          // key results checked in after day
	for _, c := range snap.CheckIns {
		if !c.At.Before(cutoff) {
			later[c.KeyResult] = true
			continue
		}
		out.CheckIns = append(out.CheckIns, c)
		if l, ok := last[c.KeyResult]; !c.Comment && (!ok || c.At.After(l.At)) {
			last[c.KeyResult] = c
		}
	}
	if len(later) > 0 {
		p := *snap.Plan
		p.Objectives = slices.Clone(p.Objectives)
		for i := range p.Objectives {
			o := &p.Objectives[i]
			o.KeyResults = slices.Clone(o.KeyResults)
			for j := range o.KeyResults {
				kr := &o.KeyResults[j]
				if !later[kr.Key] {
					continue
				}
				kr.Current, kr.Confidence = nil, nil
				if c, ok := last[kr.Key]; ok {
					v := c.Value
					kr.Current, kr.Confidence = &v, c.Confidence
				}
			}
		}
		out.Plan = &p
	}
	all, err := s.db.MeasurementsSince(ctx, time.Time{})
	if err != nil {
		return nil, err
	}
	out.Latest = make(map[string]engine.Measurement, len(snap.Latest))
	for kpi, ms := range all { // oldest first
		for _, m := range ms {
			if m.At.Before(cutoff) {
				out.Latest[kpi] = m
			}
		}
	}
	return &out, nil
}
