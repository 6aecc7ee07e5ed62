package cli

import (
	"fmt"
	"maps"
	"slices"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/service"
	"github.com/okrmap/okrmap/plugins/host"
	pb "github.com/okrmap/okrmap/plugins/proto/okrmap/plugin/v1"
	"github.com/okrmap/okrmap/plugins/sdk"
)

// printUnpinned lists unpinned plugin binaries on standard output.
func (a *app) printUnpinned(s *service.Service, l *host.Lock) {
	for _, p := range s.Unpinned(l) {
		fmt.Fprintf(a.stdout, "not pinned, so audits skip it: %s (pin it with okrmap plugins lock %s)\n", p, service.PluginName(p))
	}
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
			s := a.offline()
			res, err := s.PinPlugins(cmd.Context(), names)
			if err != nil {
				return err
			}
			for _, c := range res.Changes {
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
			fmt.Fprintf(a.stdout, "wrote %s\n", s.LockFile())
			return nil
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:     "verify",
		Short:   "Check that every pinned plugin binary still matches its checksum",
		Example: `  okrmap plugins verify`,
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			s := a.offline()
			l, err := s.VerifyPlugins(cmd.Context())
			if err != nil {
				return err
			}
			a.printUnpinned(s, l)
			switch len(l.Plugins) {
			case 0:
				fmt.Fprintf(a.stdout, "No plugins pinned in %s; run okrmap plugins lock.\n", s.LockFile())
			case 1:
				fmt.Fprintln(a.stdout, "1 pinned plugin matches its checksum")
			default:
				fmt.Fprintf(a.stdout, "%d pinned plugins match their checksums\n", len(l.Plugins))
			}
			return nil
		},
	})
	var output string
	list := &cobra.Command{
		Use:     "list",
		Short:   "Show each pinned plugin's rules and settings",
		Example: "  okrmap plugins list\n  okrmap plugins list -o json",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(output, "text", "json", "yaml"); err != nil {
				return err
			}
			s := a.offline()
			l, err := host.ReadLock(s.LockFile())
			if err != nil {
				return engine.Errorf(engine.EINVALID, "%v", err)
			}
			if output != "text" {
				plugins, err := s.Plugins(cmd.Context())
				if err != nil {
					return err
				}
				items := make([]map[string]any, len(plugins))
				for i, pl := range plugins {
					if pl.Err != nil {
						items[i] = map[string]any{"name": pl.Name, "path": pl.Path, "sha256": pl.SHA256, "error": pl.Err.Error()}
						continue
					}
					d := pl.Description
					rules := make([]map[string]any, 0, len(d.GetRules()))
					for _, r := range d.GetRules() {
						rules = append(rules, map[string]any{"id": r.GetId(), "name": r.GetName(), "severity": r.GetSeverity(), "scope": r.GetScope()})
					}
					settings := make([]map[string]any, 0, len(d.GetConfig()))
					for _, c := range d.GetConfig() {
						settings = append(settings, map[string]any{"key": c.GetKey(), "type": settingType(c.GetType()), "default": c.GetDefault(), "doc": c.GetDoc(),
							"set": configured(c, pl.Settings)})
					}
					items[i] = map[string]any{"name": d.GetName(), "version": d.GetVersion(), "protocol": d.GetProtocolVersion(),
						"path": pl.Path, "sha256": pl.SHA256, "rules": rules, "settings": settings}
				}
				if output == "json" {
					return writeJSON(a.stdout, items)
				}
				return writeYAML(a.stdout, items)
			}
			a.printUnpinned(s, l)
			if len(l.Plugins) == 0 {
				fmt.Fprintf(a.stdout, "No plugins pinned in %s; run okrmap plugins lock.\n", s.LockFile())
				return nil
			}
			plugins, err := s.Plugins(cmd.Context())
			if err != nil {
				return err
			}
			for _, pl := range plugins {
				if pl.Err != nil {
					fmt.Fprintf(a.stdout, "%s  %s\n  NOT RUNNABLE: %v\n", pl.Name, pl.Path, pl.Err)
					continue
				}
				d, p := pl.Description, pl.Locked
				fmt.Fprintf(a.stdout, "%s %s (protocol %d)  %s\n", d.GetName(), d.GetVersion(), d.GetProtocolVersion(), p.Path)
				tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0) // columns as wide as the longest id
				for _, r := range d.GetRules() {
					fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", r.GetId(), r.GetSeverity(), r.GetScope(), r.GetName())
				}
				tw.Flush()
				for _, c := range d.GetConfig() {
					about := settingType(c.GetType())
					if c.GetDefault() != "" {
						about += ", default " + c.GetDefault()
					}
					set := configured(c, pl.Settings)
					for _, k := range slices.Sorted(maps.Keys(set)) {
						about += fmt.Sprintf(", %s set to %q", k, set[k])
					}
					fmt.Fprintf(a.stdout, "  setting %s (%s): %s\n", c.GetKey(), about, c.GetDoc())
				}
				if h := d.GetHistory(); h != nil {
					fmt.Fprintf(a.stdout, "  needs history: %d days of measurements, %d of check-ins (audits send at least plugins.history_days, up to plugins.max_history_days)\n",
						h.GetMeasurementDays(), h.GetCheckinDays())
				}
			}
			return nil
		},
	}
	list.Flags().StringVarP(&output, "output", "o", "text", "text, json or yaml")
	cmd.AddCommand(list)
	return cmd
}

// configured returns the configured settings that key c matches.
func configured(c *pb.ConfigKey, settings map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range settings {
		if (sdk.ConfigKey{Key: c.GetKey()}).Matches(k) {
			out[k] = v
		}
	}
	return out
}

// devPluginHelp describes --plugin-dev.
const devPluginHelp = "run this plugin unpinned, for plugin development: a binary, or its Go source directory, built first (repeatable)"

// devPlugins are the binaries plugins.dev and the --plugin-dev flags name.
func (a *app) devPlugins(flags []string) []string {
	return append(slices.Clone(a.cfg.Plugins.Dev), flags...)
}

// settingType names a plugin setting's type; "" is a string.
func settingType(t string) string {
	if t == "" {
		return sdk.String
	}
	return t
}
