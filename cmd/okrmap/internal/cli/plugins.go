package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
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
	return stages, nil
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
		Use:   "lock",
		Short: "Pin every plugin found in plugins.dirs by its SHA-256",
		Long: `Lock finds okrmap-plugin-* binaries in plugins.dirs, asks each for its name and
version, and writes the lock file with their paths and SHA-256 checksums.
Run it again after installing or upgrading a plugin you trust.`,
		Example: `  OKRMAP_PLUGINS_DIRS=/usr/local/lib/okrmap okrmap plugins lock`,
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			paths, err := host.Discover(a.cfg.Plugins.Dirs)
			if err != nil {
				return err
			}
			if len(paths) == 0 {
				return engine.Errorf(engine.ENOTFOUND, "no okrmap-plugin-* binaries in plugins.dirs (%s); set plugins.dirs or OKRMAP_PLUGINS_DIRS", strings.Join(a.cfg.Plugins.Dirs, ", "))
			}
			l, err := host.Pin(cmd.Context(), paths, host.Spec{Timeout: a.cfg.Plugins.Timeout, Log: a.log})
			if err != nil {
				return err
			}
			if err := host.WriteLock(a.lockFile(), l); err != nil {
				return err
			}
			for _, p := range l.Plugins {
				fmt.Fprintf(a.stdout, "pinned %s %s  %s  sha256:%s\n", p.Name, p.Version, p.Path, p.SHA256[:12])
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
			fmt.Fprintf(a.stdout, "%d pinned plugin%s match their checksums\n", len(l.Plugins), plural(len(l.Plugins)))
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
