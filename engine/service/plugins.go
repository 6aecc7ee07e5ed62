package service

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/rules"
	"github.com/okrmap/okrmap/plugins/host"
	pb "github.com/okrmap/okrmap/plugins/proto/okrmap/plugin/v1"
	"github.com/okrmap/okrmap/plugins/sdk"
)

// pluginSpec is how okrmap runs a pinned plugin.
func (s *Service) pluginSpec(p host.Locked) host.Spec {
	return host.Spec{Name: p.Name, Path: p.Path, SHA256: p.SHA256, Settings: s.opt.Plugins.Settings[p.Name], Env: s.opt.Plugins.Env[p.Name],
		MaxFindings: s.opt.Plugins.MaxFindings,
		Timeout:     s.opt.Plugins.PluginTimeout(p.Name), Log: s.opt.Log}
}

// readLock reads the lock file and checks that it pins binaries in
// plugins.dirs only.
func (s *Service) readLock() (*host.Lock, error) {
	l, err := host.ReadLock(s.LockFile())
	if err == nil {
		err = l.Contain(s.opt.Plugins.Dirs)
	}
	if err != nil {
		return nil, engine.Errorf(engine.EINVALID, "%v", err)
	}
	return l, nil
}

// strayPluginSettings reports plugins.settings entries for plugins l does
// not pin (nor dev names), which no plugin would read: most often a
// misspelled name.
func (s *Service) strayPluginSettings(l *host.Lock, dev ...string) error {
	var pinned, stray []string
	for _, p := range l.Plugins {
		pinned = append(pinned, p.Name)
	}
	for _, path := range dev {
		pinned = append(pinned, PluginName(path))
	}
	for name := range s.opt.Plugins.Settings {
		if !slices.Contains(pinned, name) {
			stray = append(stray, name)
		}
	}
	if len(stray) == 0 {
		return nil
	}
	slices.Sort(stray)
	known := "no plugin is pinned"
	if len(pinned) > 0 {
		known = "the pinned plugins are " + strings.Join(pinned, ", ")
	}
	return engine.Errorf(engine.EINVALID, "plugins.settings has settings for %s, which no pinned plugin reads; %s: correct the name, or pin the plugin with 'okrmap plugins lock NAME'",
		strings.Join(stray, ", "), known)
}

// packRulesInPluginSpace refuses rules named like a pinned plugin's
// rules, whose ids start with the plugin's name and '-': findings are
// reported, diffed and waived by rule id alone, so both would report under
// one id. A pack's rule is to be renamed; a plugin that takes the name
// space of a built-in rule (a plugin named kpi) is.
func packRulesInPluginSpace(rs *rules.Set, l *host.Lock) error {
	for _, r := range rs.Rules {
		for _, p := range l.Plugins {
			if !strings.HasPrefix(r.ID, p.Name+"-") {
				continue
			}
			if r.Pack == rules.Builtin {
				return engine.Errorf(engine.EINVALID, "plugin %s: its rules (%s-...) would mix with okrmap's built-in rule %s in reports, diffs and waivers; rename the plugin (the name it describes and its binary %s<name>) and pin it again",
					p.Name, p.Name, r.ID, host.Prefix)
			}
			return engine.Errorf(engine.EINVALID, "rule %s of pack %s is named like the rules of plugin %s (%s-...), and findings are reported by rule id; rename the pack's rule",
				r.ID, r.Pack, p.Name, p.Name)
		}
	}
	return nil
}

// CheckRuleNames refuses rules of rs named like a pinned plugin's rules
// (see packRulesInPluginSpace).
func (s *Service) CheckRuleNames(rs *rules.Set) error {
	l, err := s.readLock()
	if err != nil {
		return err
	}
	return packRulesInPluginSpace(rs, l)
}

// PluginStages returns an audit stage for every pinned plugin and every
// dev binary, and warns in the log about plugin binaries that are not
// pinned and about settings for plugins that are not pinned. A rule of rs
// named like a plugin's rules is an error.
func (s *Service) PluginStages(ctx context.Context, rs *rules.Set, dev []string) ([]host.Stage, error) {
	l, err := s.readLock()
	if err != nil {
		return nil, err
	}
	devLock, err := s.devPlugins(ctx, dev, l)
	if err != nil {
		return nil, err
	}
	all := &host.Lock{Plugins: append(slices.Clone(l.Plugins), devLock.Plugins...)}
	if err := packRulesInPluginSpace(rs, all); err != nil {
		return nil, err
	}
	if err := s.strayPluginSettings(l, dev...); err != nil {
		s.opt.Log.Warn(err.Error())
	}
	var stages []host.Stage
	for _, p := range l.Plugins {
		if !slices.ContainsFunc(devLock.Plugins, func(d host.Locked) bool { return d.Name == p.Name }) {
			stages = append(stages, host.Stage{Spec: s.pluginSpec(p)})
		}
	}
	for _, p := range devLock.Plugins {
		stages = append(stages, host.Stage{Spec: s.pluginSpec(p), Dev: true})
	}
	for _, p := range s.Unpinned(l) {
		s.opt.Log.Warn("plugin binary is not pinned, so audits do not run it", "path", p, "plugin", PluginName(p))
	}
	return stages, nil
}

// devPlugins pins the dev binaries as they are now, for this run only,
// with a loud warning each: development mode runs code nobody pinned. A
// directory is the plugin's Go source, built first (see host.BuildDev);
// its name is the directory's, after okrmap-plugin-. A dev plugin
// replaces a pinned plugin of the same name.
func (s *Service) devPlugins(ctx context.Context, paths []string, l *host.Lock) (*host.Lock, error) {
	out := &host.Lock{}
	for _, path := range paths {
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, engine.Errorf(engine.EINVALID, "plugin %s: %v", path, err)
		}
		if host.IsSource(abs) {
			if abs, err = host.BuildDev(ctx, abs, PluginName(abs), devCache()); err != nil {
				return nil, engine.Errorf(engine.EINVALID, "dev plugin %s: %v", path, err)
			}
		}
		if st, err := os.Stat(abs); err != nil || !st.Mode().IsRegular() || st.Mode()&0o111 == 0 {
			return nil, engine.Errorf(engine.EINVALID, "dev plugin %s is neither an executable file nor a directory of Go source; give the plugin's source directory, or build it with go build -o %s .", path, path)
		}
		sum, err := host.FileSHA256(abs)
		if err != nil {
			return nil, engine.Errorf(engine.EINVALID, "dev plugin %s: %v", path, err)
		}
		name := PluginName(abs)
		replaces := ""
		if slices.ContainsFunc(l.Plugins, func(p host.Locked) bool { return p.Name == name }) {
			replaces = "instead of the pinned one"
		}
		s.opt.Log.Warn("DEVELOPMENT MODE: running an unpinned plugin binary; never use this for audits others rely on",
			"plugin", name, "path", abs, "sha256", sum[:12], "replaces", replaces)
		out.Plugins = append(out.Plugins, host.Locked{Name: name, Path: abs, SHA256: sum})
	}
	return out, nil
}

// pluginHistory loads the measurement and check-in history plugins get,
// the days before today each asks for, oldest first. Measurements are read
// once for the longest reach asked so far.
func (s *Service) pluginHistory(ctx context.Context, today engine.Date, checkIns []engine.CheckIn) host.HistoryLoader {
	var mu sync.Mutex
	var all map[string][]engine.Measurement
	read := -1 // days all reaches back
	until := today.AddDays(1).Time()
	return func(measurementDays, checkInDays int) (*host.History, error) {
		mu.Lock()
		defer mu.Unlock()
		h := &host.History{Days: measurementDays, CheckInDays: checkInDays, Measurements: map[string][]engine.Measurement{},
			CheckIns: map[string][]engine.CheckIn{}}
		if measurementDays > 0 && measurementDays > read {
			ms, err := s.db.MeasurementsSince(ctx, today.AddDays(-measurementDays).Time())
			if err != nil {
				return nil, err
			}
			all, read = ms, measurementDays
		}
		since := today.AddDays(-measurementDays).Time()
		for k, list := range all {
			// From since, and not after today, as the audit judges.
			from := slices.IndexFunc(list, func(m engine.Measurement) bool { return !m.At.Before(since) })
			to := slices.IndexFunc(list, func(m engine.Measurement) bool { return !m.At.Before(until) })
			if to < 0 {
				to = len(list)
			}
			if measurementDays > 0 && from >= 0 && from < to {
				h.Measurements[k] = list[from:to]
			}
		}
		since = today.AddDays(-checkInDays).Time()
		for _, c := range checkIns {
			if checkInDays > 0 && !c.Comment && !c.At.Before(since) && c.At.Before(until) { // a comment has no value to send
				h.CheckIns[c.KeyResult] = append(h.CheckIns[c.KeyResult], c)
			}
		}
		for _, list := range h.CheckIns {
			slices.SortStableFunc(list, func(a, b engine.CheckIn) int { return a.At.Compare(b.At) })
		}
		return h, nil
	}
}

// Unpinned lists plugin binaries in plugins.dirs that l does not pin.
func (s *Service) Unpinned(l *host.Lock) []string {
	paths, err := host.Discover(s.opt.Plugins.Dirs)
	if err != nil {
		s.opt.Log.Warn("cannot look for unpinned plugins", "err", err)
	}
	return l.Unpinned(paths)
}

// devCache is where plugins built from source for development go.
func devCache() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "okrmap", "plugin-dev")
}

// PluginName is the name pinning takes for a binary: its file name after
// okrmap-plugin-.
func PluginName(path string) string {
	return strings.TrimPrefix(filepath.Base(path), host.Prefix)
}

// Plugin is a pinned plugin as it describes itself.
type Plugin struct {
	host.Locked
	Description *pb.Description   // nil when Err is set
	Err         error             // why it could not describe itself (a changed binary ...)
	Settings    map[string]string // plugins.settings for it, as configured
}

// Plugins starts every pinned plugin to ask what it is and which rules and
// settings it has. A plugin that cannot say (its binary changed, it does
// not start) is listed with Err, and the rest are still asked.
func (s *Service) Plugins(ctx context.Context) ([]Plugin, error) {
	l, err := s.readLock()
	if err != nil {
		return nil, err
	}
	out := []Plugin{}
	for _, p := range l.Plugins {
		d, err := host.Describe(context.WithoutCancel(ctx), s.pluginSpec(p))
		out = append(out, Plugin{Locked: p, Description: d, Err: err, Settings: s.opt.Plugins.Settings[p.Name]})
	}
	return out, nil
}

// VerifyPlugins checks every pin against its binary, that plugins.settings
// names pinned plugins only, and that each plugin accepts its settings
// (declared keys, values of the declared types), and returns the lock.
func (s *Service) VerifyPlugins(ctx context.Context) (*host.Lock, error) {
	l, err := s.readLock()
	if err != nil {
		return nil, err
	}
	if errs := l.Verify(); len(errs) > 0 {
		return nil, engine.Errorf(engine.EINVALID, "%v", errors.Join(errs...))
	}
	if err := s.checkPluginSettings(ctx, l); err != nil {
		return nil, err
	}
	return l, nil
}

// CheckPluginSettings checks plugins.settings: every name a pinned plugin,
// every key declared by it, every value of the key's type. It starts the
// plugins that have settings to ask them what they declare.
func (s *Service) CheckPluginSettings(ctx context.Context) error {
	if len(s.opt.Plugins.Settings) == 0 {
		return nil
	}
	l, err := s.readLock()
	if err != nil {
		return err
	}
	return s.checkPluginSettings(ctx, l)
}

func (s *Service) checkPluginSettings(ctx context.Context, l *host.Lock) error {
	if err := s.strayPluginSettings(l); err != nil {
		return err
	}
	var errs []error
	for _, p := range l.Plugins {
		settings, ok := s.opt.Plugins.Settings[p.Name]
		if !ok {
			continue
		}
		d, err := host.Describe(context.WithoutCancel(ctx), s.pluginSpec(p))
		if err != nil {
			return err
		}
		if _, err := sdk.ParseSettings(sdk.DescriptionFromProto(d), settings); err != nil {
			if unknown, ok := errors.AsType[*sdk.UnknownSettingError](err); ok {
				if c := engine.Closest(unknown.Key, unknown.Candidates()); c != "" {
					err = fmt.Errorf("%w (did you mean %s?)", err, c)
				}
			}
			errs = append(errs, fmt.Errorf("plugins.settings.%s: %w", p.Name, err))
		}
	}
	if len(errs) > 0 {
		return engine.Errorf(engine.EINVALID, "%v", errors.Join(errs...))
	}
	return nil
}

// PinResult is what pinning changed.
type PinResult struct {
	Lock    *host.Lock
	Changes []host.Change
	// Replaced is set when a damaged lock file was replaced whole.
	Replaced error
}

// PinPlugins pins the okrmap-plugin-* binaries of plugins.dirs named by
// names (every one when names is empty, dropping pins of binaries gone) and
// writes the lock file.
func (s *Service) PinPlugins(ctx context.Context, names []string) (*PinResult, error) {
	paths, err := host.Discover(s.opt.Plugins.Dirs)
	if err != nil {
		return nil, err
	}
	if len(names) > 0 {
		var picked []string
		for _, n := range names {
			i := slices.IndexFunc(paths, func(p string) bool { return PluginName(p) == n })
			if i < 0 {
				return nil, engine.NotFound("plugin", "no %s%s in plugins.dirs", host.Prefix, n)
			}
			picked = append(picked, paths[i])
		}
		paths = picked
	}
	if len(paths) == 0 {
		return nil, engine.NotFound("plugin", "no okrmap-plugin-* binaries in plugins.dirs (%s)", strings.Join(s.opt.Plugins.Dirs, ", "))
	}
	res := &PinResult{}
	old, err := host.ReadLock(s.LockFile())
	if err != nil && len(names) > 0 {
		return nil, engine.Errorf(engine.EINVALID, "%v; pin every plugin to rewrite it", err)
	}
	if err != nil {
		res.Replaced = err
		s.opt.Log.Warn("replacing a damaged lock file", "err", err)
		old = &host.Lock{}
	}
	pinned, err := host.Pin(ctx, paths, host.Spec{Timeout: s.opt.Plugins.Timeout, Log: s.opt.Log}, s.opt.Plugins.Env)
	if _, ok := errors.AsType[*host.DescriptionError](err); ok {
		return nil, engine.Errorf(engine.EINVALID, "%v; its author must fix the plugin before it can be pinned", err)
	}
	if err != nil {
		return nil, err
	}
	// The built-in rules count whether or not rules.builtin is on.
	rs, err := s.ruleSet(true, nil)
	if err != nil {
		return nil, err
	}
	if err := packRulesInPluginSpace(rs, pinned); err != nil {
		return nil, err
	}
	res.Lock, res.Changes = old.Update(pinned.Plugins, len(names) == 0)
	if err := host.WriteLock(s.LockFile(), res.Lock); err != nil {
		return nil, err
	}
	return res, nil
}
