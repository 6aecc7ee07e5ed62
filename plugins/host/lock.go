package host

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/okrmap/okrmap/engine/atomicfile"
)

// Prefix starts the file name of every plugin binary okrmap discovers.
const Prefix = "okrmap-plugin-"

// Locked is one pinned plugin.
type Locked struct {
	Name    string `yaml:"name"`
	Version string `yaml:"version"`
	Path    string `yaml:"path"`
	SHA256  string `yaml:"sha256"`
}

// Lock is the lock file: the plugins okrmap may run, pinned by checksum.
type Lock struct {
	Plugins []Locked `yaml:"plugins"`
}

// Discover lists executable files named okrmap-plugin-* in dirs, sorted.
// A symlink is followed, and the file it leads to is what is listed (and
// pinned); it must lie in one of dirs too. A directory or binary others may
// write is refused (see CheckPrivate).
func Discover(dirs []string) ([]string, error) {
	var out []string
	resolved, err := resolveDirs(dirs)
	if err != nil {
		return nil, err
	}
	for _, d := range dirs {
		entries, err := os.ReadDir(d)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("plugin directory %s: %w", d, err)
		}
		if err := CheckPrivate(d, "plugin directory"); err != nil {
			return nil, err
		}
		for _, e := range entries {
			if !strings.HasPrefix(e.Name(), Prefix) {
				continue
			}
			p, err := filepath.EvalSymlinks(filepath.Join(d, e.Name()))
			if err != nil {
				return nil, fmt.Errorf("plugin %s: %w", filepath.Join(d, e.Name()), err)
			}
			if p, err = filepath.Abs(p); err != nil {
				return nil, err
			}
			info, err := os.Stat(p)
			if err != nil || !info.Mode().IsRegular() || info.Mode()&0o111 == 0 {
				continue
			}
			if !slices.ContainsFunc(resolved, func(dir string) bool { return within(p, dir) }) {
				return nil, fmt.Errorf("plugin %s leads to %s, outside plugins.dirs; copy the binary into a plugin directory instead",
					filepath.Join(d, e.Name()), p)
			}
			if err := CheckPrivate(p, "plugin binary"); err != nil {
				return nil, err
			}
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// resolveDirs returns dirs absolute with symlinks resolved; a directory that
// does not exist is kept as written.
func resolveDirs(dirs []string) ([]string, error) {
	var out []string
	for _, d := range dirs {
		r, err := filepath.EvalSymlinks(d)
		if err != nil {
			r = d
		}
		a, err := filepath.Abs(r)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// Contain checks that every pinned binary lies in one of dirs, symlinks
// resolved: a lock entry cannot make okrmap run /bin/sh.
func (l *Lock) Contain(dirs []string) error {
	resolved, err := resolveDirs(dirs)
	if err != nil {
		return err
	}
	for _, p := range l.Plugins {
		path := p.Path
		if r, err := filepath.EvalSymlinks(path); err == nil {
			path = r
		}
		if !slices.ContainsFunc(resolved, func(dir string) bool { return within(path, dir) }) {
			return fmt.Errorf("plugin %s is pinned at %s, outside plugins.dirs (%s); okrmap runs plugins from those directories only",
				p.Name, p.Path, strings.Join(dirs, ", "))
		}
	}
	return nil
}

// Pin describes each binary (trusting it as it is now) and returns the
// lock that pins it.
//
// env names, by plugin name, the environment variables each plugin is
// passed beside BaseEnv (see Spec.Env).
func Pin(ctx context.Context, paths []string, base Spec, env map[string][]string) (*Lock, error) {
	l := &Lock{}
	for _, p := range paths {
		sum, err := FileSHA256(p)
		if err != nil {
			return nil, err
		}
		s := base
		s.Name, s.Path, s.SHA256 = strings.TrimPrefix(filepath.Base(p), Prefix), p, sum
		s.Env = env[s.Name]
		desc, err := Describe(ctx, s)
		if err != nil {
			return nil, err
		}
		if i := slices.IndexFunc(l.Plugins, func(x Locked) bool { return x.Name == desc.GetName() }); i >= 0 {
			return nil, fmt.Errorf("two binaries call themselves plugin %s: %s and %s; keep one in plugins.dirs", desc.GetName(), l.Plugins[i].Path, p)
		}
		l.Plugins = append(l.Plugins, Locked{Name: desc.GetName(), Version: desc.GetVersion(), Path: p, SHA256: sum})
	}
	return l, nil
}

// Change is one plugin's pin before and after a lock: Old is nil for a
// newly pinned plugin, New is nil for one dropped.
type Change struct {
	Old, New *Locked
}

// Update returns l with the entries of pinned replacing those of the same
// name, and what changed, in name order. With all, plugins that are not in
// pinned are dropped: pinned is everything there is.
func (l *Lock) Update(pinned []Locked, all bool) (*Lock, []Change) {
	out := &Lock{}
	var changes []Change
	fresh := map[string]Locked{}
	for _, p := range pinned {
		fresh[p.Name] = p
	}
	for _, old := range l.Plugins {
		p, repinned := fresh[old.Name]
		switch {
		case repinned:
			delete(fresh, old.Name)
			out.Plugins = append(out.Plugins, p)
			changes = append(changes, Change{Old: &old, New: &p})
		case all:
			changes = append(changes, Change{Old: &old})
		default:
			out.Plugins = append(out.Plugins, old)
		}
	}
	for _, p := range pinned {
		if _, added := fresh[p.Name]; added {
			out.Plugins = append(out.Plugins, p)
			changes = append(changes, Change{New: &p})
		}
	}
	name := func(c Change) string {
		if c.New != nil {
			return c.New.Name
		}
		return c.Old.Name
	}
	slices.SortFunc(out.Plugins, func(a, b Locked) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(changes, func(a, b Change) int { return strings.Compare(name(a), name(b)) })
	return out, changes
}

// Unpinned returns the paths that no pin names.
func (l *Lock) Unpinned(paths []string) []string {
	var out []string
	for _, p := range paths {
		if !slices.ContainsFunc(l.Plugins, func(x Locked) bool { return filepath.Clean(x.Path) == filepath.Clean(p) }) {
			out = append(out, p)
		}
	}
	return out
}

// Verify reports, for each pinned plugin, whether its binary still matches.
func (l *Lock) Verify() []error {
	var errs []error
	for _, p := range l.Plugins {
		sum, err := FileSHA256(p.Path)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("plugin %s: %v; re-pin it with okrmap plugins lock %s", p.Name, err, p.Name))
		case sum != p.SHA256:
			errs = append(errs, fmt.Errorf("plugin %s: %w", p.Name, changedError(p, sum)))
		}
	}
	return errs
}

func short(s string) string { return s[:min(12, len(s))] }

// changedError says that a pinned binary changed, and how to trust it.
func changedError(p Locked, sum string) error {
	now := ""
	if sum != "" {
		now = "SHA-256 " + short(sum) + ", "
	}
	return fmt.Errorf("%s changed since it was pinned (%spinned %s); if the new binary is trusted, re-pin it with okrmap plugins lock %s",
		p.Path, now, short(p.SHA256), p.Name)
}

// ReadLock reads a lock file; a missing file is an empty lock. A lock file
// others may write is refused; relative paths in it are read from the lock
// file's directory.
func ReadLock(path string) (*Lock, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Lock{}, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := checkPrivateFile(f, path, "plugin lock file"); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, 16<<20))
	if err != nil {
		return nil, err
	}
	l, err := ParseLock(b)
	if err != nil {
		return nil, fmt.Errorf("plugin lock file %s: %w; fix it or rewrite it with okrmap plugins lock", path, err)
	}
	for i, p := range l.Plugins {
		if !filepath.IsAbs(p.Path) {
			l.Plugins[i].Path = filepath.Join(filepath.Dir(path), p.Path)
		}
	}
	return l, nil
}

// ParseLock decodes and checks a lock file's content: every entry needs a
// name, a path and a SHA-256, and names are unique.
func ParseLock(b []byte) (*Lock, error) {
	var l Lock
	if len(bytes.TrimSpace(b)) == 0 {
		return &l, nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&l); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	// Lines, for messages: the same document as nodes.
	var lines struct{ Plugins []yaml.Node }
	_ = yaml.Unmarshal(b, &lines)
	seen := map[string]int{}
	for i, p := range l.Plugins {
		at := fmt.Sprintf("plugins[%d]", i)
		if i < len(lines.Plugins) {
			at = fmt.Sprintf("line %d", lines.Plugins[i].Line)
		}
		switch {
		case p.Name == "":
			return nil, fmt.Errorf("%s: the entry has no name", at)
		case p.Path == "":
			return nil, fmt.Errorf("%s: plugin %s has no path", at, p.Name)
		case !validSHA256(p.SHA256):
			return nil, fmt.Errorf("%s: plugin %s: sha256 %q is not 64 hex digits", at, p.Name, p.SHA256)
		}
		if j, dup := seen[p.Name]; dup {
			return nil, fmt.Errorf("%s: plugin %s is pinned twice (also entry %d)", at, p.Name, j+1)
		}
		seen[p.Name] = i
	}
	return &l, nil
}

func validSHA256(s string) bool {
	b, err := hex.DecodeString(s)
	return err == nil && len(b) == sha256.Size
}

// WriteLock writes the lock file atomically.
func WriteLock(path string, l *Lock) error {
	b, err := yaml.Marshal(l)
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, 0o600, append([]byte("# okrmap plugin lock: written by okrmap plugins lock; okrmap runs only these binaries.\n"), b...))
}
