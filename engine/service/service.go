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
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/notify"
	"github.com/okrmap/okrmap/engine/resolve"
	"github.com/okrmap/okrmap/engine/sqlite"
	"github.com/okrmap/okrmap/engine/waiver"
)

// Rules says which rule packs lint and audits evaluate.
type Rules struct {
	// Builtin includes the embedded okrmap-default pack.
	Builtin bool `mapstructure:"builtin"`
	// Packs are rule pack files, evaluated after the built-in pack.
	Packs []string `mapstructure:"packs"`
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
	// DBPath is the database file; files that default to its directory
	// (the lock file, the legacy waiver file) are found from it. Open and
	// New set it.
	DBPath string
	Log    *slog.Logger     // nil discards
	Now    func() time.Time // nil is time.Now
	// Observer is told about audits and plugin runs; nil tells no one.
	Observer Observer
	// Notify tunes webhook delivery; the zero value is notify's defaults.
	Notify notify.Options
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
	db  *sqlite.DB
	opt Options

	mu    sync.Mutex // guards graph
	graph *cachedGraph
}

// Open opens (creating and migrating) the database at path and returns a
// service over it. A legacy waiver file is imported on the first open.
func Open(ctx context.Context, path string, o Options) (*Service, error) {
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	s := New(db, o)
	if err := s.importWaiverFile(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// New returns a service over an open database.
func New(db *sqlite.DB, o Options) *Service {
	o.DBPath = db.Path()
	s := Offline(o)
	db.Now = s.opt.Now
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
	return &Service{opt: o}
}

// Close closes the database.
func (s *Service) Close() error { return s.db.Close() }

// DB is the store, for what has no use case of its own (backups, schema
// version, history listings).
func (s *Service) DB() *sqlite.DB { return s.db }

// Now is the service's clock.
func (s *Service) Now() time.Time { return s.opt.Now() }

// Today is the day findings are judged as of when a request names none.
func (s *Service) Today(day engine.Date) engine.Date {
	if day.IsZero() {
		return engine.DateOf(s.opt.Now())
	}
	return day
}

// besideDB returns name in the database's directory.
func (s *Service) besideDB(name string) string {
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
	snap     *sqlite.Snapshot
	graph    *resolve.Graph
	index    *index // built on first use
}

// Graph returns the stored plan resolved as of today, from one consistent
// snapshot. It is cached until the next write to the store.
func (s *Service) Graph(ctx context.Context, today engine.Date) (*resolve.Graph, *sqlite.Snapshot, error) {
	today = s.Today(today)
	rev, err := s.db.Revision(ctx)
	if err != nil {
		return nil, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.graph; c != nil && c.revision == rev && c.today == today {
		return c.graph, c.snap, nil
	}
	snap, err := s.db.Snapshot(ctx)
	if err != nil {
		return nil, nil, err
	}
	g := resolve.Resolve(resolve.Input{Plan: snap.Plan, CheckIns: snap.CheckIns, Latest: snap.Latest, Today: today})
	// The snapshot may be newer than rev; caching it under rev only costs
	// one extra load.
	s.graph = &cachedGraph{revision: rev, today: today, snap: snap, graph: g}
	return g, snap, nil
}

// checkTeams fails with ENOTFOUND when the scope names a team the plan does
// not have.
func checkTeams(p *engine.Plan, scope engine.Scope) error {
	for _, t := range scope.Teams {
		found := false
		for _, x := range p.Teams {
			if x.Key == t {
				found = true
				break
			}
		}
		if !found {
			return engine.NotFound(string(engine.KindTeam), "no team %q", t)
		}
	}
	return nil
}

// SetObserver replaces the observer. Call it before the service is used.
func (s *Service) SetObserver(o Observer) { s.opt.Observer = o }
