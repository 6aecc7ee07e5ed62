package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/audit"
	"github.com/okrmap/okrmap/plugins/host"
)

// lockFile is the configured plugin lock file, by default beside the database.
func (a *app) lockFile() string {
	if a.cfg.Plugins.Lock != "" {
		return a.cfg.Plugins.Lock
	}
	return filepath.Join(filepath.Dir(a.cfg.DB), "plugins.lock")
}

// pluginSpec is how okrmap runs a pinned plugin.
func (a *app) pluginSpec(p host.Locked) host.Spec {
	return host.Spec{Name: p.Name, Path: p.Path, SHA256: p.SHA256, Settings: a.cfg.Plugins.Settings[p.Name],
		Timeout: a.cfg.Plugins.PluginTimeout(p.Name), Log: a.log}
}

// pluginStages returns an audit stage for every pinned plugin.
func (a *app) pluginStages() ([]audit.Stage, error) {
	l, err := host.ReadLock(a.lockFile())
	if err != nil {
		return nil, engine.Errorf(engine.EINVALID, "%v", err)
	}
	var stages []audit.Stage
	for _, p := range l.Plugins {
		stages = append(stages, host.Stage{Spec: a.pluginSpec(p)})
	}
	for _, p := range a.unpinned(l) {
		a.log.Warn("plugin binary is not pinned, so audits do not run it", "path", p, "pin", "okrmap plugins lock "+pluginName(p))
	}
	return stages, nil
}

// unpinned lists plugin binaries in plugins.dirs that the lock does not pin.
func (a *app) unpinned(l *host.Lock) []string {
	paths, err := host.Discover(a.cfg.Plugins.Dirs)
	if err != nil {
		a.log.Warn("cannot look for unpinned plugins", "err", err)
	}
	return l.Unpinned(paths)
}

// printUnpinned lists unpinned plugin binaries on standard output.
func (a *app) printUnpinned(l *host.Lock) {
	for _, p := range a.unpinned(l) {
		fmt.Fprintf(a.stdout, "not pinned, so audits skip it: %s (pin it with okrmap plugins lock %s)\n", p, pluginName(p))
	}
}

// pluginName is the name okrmap plugins lock takes for a binary.
func pluginName(path string) string {
	return strings.TrimPrefix(filepath.Base(path), host.Prefix)
}

// pickPlugins returns the binaries named okrmap-plugin-<name> for names.
func pickPlugins(paths, names []string) ([]string, error) {
	var out []string
	for _, n := range names {
		i := slices.IndexFunc(paths, func(p string) bool { return pluginName(p) == n })
		if i < 0 {
			return nil, engine.Errorf(engine.ENOTFOUND, "no %s%s in plugins.dirs; okrmap plugins lock without names pins every plugin there", host.Prefix, n)
		}
		out = append(out, paths[i])
	}
	return out, nil
}

func (a *app) pluginsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "plugins",
		Short: "Pin, verify and list rule plugins",
		Long: `Rule plugins are okrmap-plugin-* binaries in the directories of plugins.dirs.
Audits run only the plugins pinned in the lock file (plugins.lock, by default
beside the database), and refuse a binary whose SHA-256 changed.`,
		Args: args(cobra.NoArgs),
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "lock [NAME...]",
		Short: "Pin plugins found in plugins.dirs by their SHA-256",
		Long: `Lock finds okrmap-plugin-* binaries in plugins.dirs, asks each for its name and
version, and writes the lock file with their paths and SHA-256 checksums.

Without names it pins every plugin found and drops pins of plugins no longer
there. With names (the part of the file name after okrmap-plugin-) it pins
only those and keeps every other pin as it is: after upgrading one plugin,
re-pin that one. Each line says what changed, so you see what you trust.`,
		Example: `  OKRMAP_PLUGINS_DIRS=/usr/local/lib/okrmap okrmap plugins lock
  okrmap plugins lock saas`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, names []string) error {
			paths, err := host.Discover(a.cfg.Plugins.Dirs)
			if err != nil {
				return err
			}
			if len(names) > 0 {
				if paths, err = pickPlugins(paths, names); err != nil {
					return err
				}
			}
			if len(paths) == 0 {
				return engine.Errorf(engine.ENOTFOUND, "no okrmap-plugin-* binaries in plugins.dirs (%s); set plugins.dirs or OKRMAP_PLUGINS_DIRS", strings.Join(a.cfg.Plugins.Dirs, ", "))
			}
			old, err := host.ReadLock(a.lockFile())
			if err != nil && len(names) > 0 {
				return engine.Errorf(engine.EINVALID, "%v; run okrmap plugins lock without names to rewrite it", err)
			}
			if err != nil {
				a.log.Warn("replacing a damaged lock file", "err", err)
				old = &host.Lock{} // pinning everything replaces it
			}
			pinned, err := host.Pin(cmd.Context(), paths, host.Spec{Timeout: a.cfg.Plugins.Timeout, Log: a.log})
			if err != nil {
				return err
			}
			l, changes := old.Update(pinned.Plugins, len(names) == 0)
			if err := host.WriteLock(a.lockFile(), l); err != nil {
				return err
			}
			for _, c := range changes {
				switch {
				case c.New == nil:
					fmt.Fprintf(a.stdout, "dropped %s %s  (no longer in plugins.dirs)\n", c.Old.Name, c.Old.Version)
				case c.Old == nil:
					fmt.Fprintf(a.stdout, "pinned %s %s  %s  sha256:%s  (new)\n", c.New.Name, c.New.Version, c.New.Path, c.New.SHA256[:12])
				case *c.Old == *c.New:
					fmt.Fprintf(a.stdout, "pinned %s %s  %s  sha256:%s  (unchanged)\n", c.New.Name, c.New.Version, c.New.Path, c.New.SHA256[:12])
				default:
					fmt.Fprintf(a.stdout, "pinned %s %s  %s  sha256:%s  (was %s %s sha256:%s)\n", c.New.Name, c.New.Version, c.New.Path, c.New.SHA256[:12],
						c.Old.Version, c.Old.Path, c.Old.SHA256[:12])
				}
			}
			fmt.Fprintf(a.stdout, "wrote %s\n", a.lockFile())
			return nil
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:     "verify",
		Short:   "Check that every pinned plugin binary still matches its checksum",
		Example: `  okrmap plugins verify`,
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := host.ReadLock(a.lockFile())
			if err != nil {
				return engine.Errorf(engine.EINVALID, "%v", err)
			}
			if errs := l.Verify(); len(errs) > 0 {
				return engine.Errorf(engine.EINVALID, "%v", errors.Join(errs...))
			}
			a.printUnpinned(l)
			switch len(l.Plugins) {
			case 0:
				fmt.Fprintf(a.stdout, "No plugins pinned in %s; run okrmap plugins lock.\n", a.lockFile())
			case 1:
				fmt.Fprintln(a.stdout, "1 pinned plugin matches its checksum")
			default:
				fmt.Fprintf(a.stdout, "%d pinned plugins match their checksums\n", len(l.Plugins))
			}
			return nil
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:     "list",
		Short:   "Show each pinned plugin's rules and settings",
		Example: `  okrmap plugins list`,
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := host.ReadLock(a.lockFile())
			if err != nil {
				return engine.Errorf(engine.EINVALID, "%v", err)
			}
			a.printUnpinned(l)
			if len(l.Plugins) == 0 {
				fmt.Fprintf(a.stdout, "No plugins pinned in %s; run okrmap plugins lock.\n", a.lockFile())
				return nil
			}
			for _, p := range l.Plugins {
				d, err := host.Describe(context.WithoutCancel(cmd.Context()), a.pluginSpec(p))
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "%s %s (protocol %d)  %s\n", d.GetName(), d.GetVersion(), d.GetProtocolVersion(), p.Path)
				for _, r := range d.GetRules() {
					fmt.Fprintf(a.stdout, "  %-32s %-8s %-10s %s\n", r.GetId(), r.GetSeverity(), r.GetScope(), r.GetName())
				}
				for _, c := range d.GetConfig() {
					fmt.Fprintf(a.stdout, "  setting %s (default %s): %s\n", c.GetKey(), c.GetDefault(), c.GetDoc())
				}
			}
			return nil
		},
	})
	return cmd
}
