package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/okrmap/okrmap/engine/atomicfile"
	"github.com/okrmap/okrmap/engine/plan"
	"github.com/okrmap/okrmap/engine/service"
	"github.com/okrmap/okrmap/engine/sqlite"
	"github.com/okrmap/okrmap/engine/store"
)

func (a *app) initCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "init",
		Short: "Create the database, or migrate it to this okrmap's schema",
		Long: `Init creates the database file (and its directory) if it does not exist and
applies any pending schema migrations. apply and serve create a missing
database too; every other command refuses one (a mistyped --db is an error,
not an empty database). Every command migrates the schema. A database
written by a newer okrmap is refused and left untouched.`,
		Example: `  okrmap init
  okrmap --db /var/lib/okrmap/okrmap.db init`,
		Annotations: map[string]string{createsDB: "yes"},
		Args:        args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withService(cmd, func(ctx context.Context, s *service.Service) error {
				db := s.DB()
				v, err := db.SchemaVersion(ctx)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "database ready: %s (schema version %d)\n", db.Path(), v)
				return nil
			})
		},
	}
}

func (a *app) storeCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "store",
		Short: "Move okrmap's data between databases",
		Args:  args(cobra.NoArgs),
	}
	var from, to, output string
	copyCmd := &cobra.Command{
		Use:   "copy --from DB --to DB",
		Short: "Copy every table of one database into a new one, and verify the copy",
		Long: `Copy copies everything one okrmap database holds into another that is new
or empty: the plan, check-ins and measurements, audit runs with their
findings, waivers, API tokens and the rest. Each database is a SQLite file
(a path, or sqlite:PATH) or a postgres:// URL; both are migrated to this
okrmap's schema first.

The source is read in one snapshot, so it may stay in use. The target is
written in one transaction per group of tables (the plan, the history, the
audits, the server's tables); a failure leaves the groups before it copied
and writes nothing of its own group. The copy is then read back and each
table's row count and checksum compared with the source's.`,
		Example: `  okrmap store copy --from okrmap.db --to postgres://okrmap@db.internal/okrmap
  okrmap store copy --from postgres://okrmap@db.internal/okrmap --to restored.db`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if from == "" || to == "" {
				return usageError{errors.New("name both databases: --from and --to")}
			}
			if output != "text" && output != "json" {
				return usageError{fmt.Errorf("--output %q is not text or json", output)}
			}
			if !service.Exists(from) {
				return usageError{fmt.Errorf("--from: no database at %s", from)}
			}
			ctx := cmd.Context()
			src, err := service.OpenDB(ctx, from)
			if err != nil {
				return fmt.Errorf("--from: %w", err)
			}
			defer src.Close()
			dst, err := service.OpenDB(ctx, to)
			if err != nil {
				return fmt.Errorf("--to: %w", err)
			}
			defer dst.Close()
			tables, err := store.Copy(ctx, src, dst, func(table string) { a.progress.phase("copy", table) })
			a.progress.phase("copy", "")
			if err != nil {
				return err
			}
			if output == "json" {
				return writeJSON(a.stdout, map[string]any{"from": src.Path(), "to": dst.Path(), "tables": tables})
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "TABLE\tROWS\tCHECKSUM")
			var rows int64
			for _, t := range tables {
				fmt.Fprintf(tw, "%s\t%d\t%.12s\n", t.Table, t.Rows, t.Checksum)
				rows += t.Rows
			}
			tw.Flush()
			fmt.Fprintf(a.stdout, "copied %d rows in %d tables from %s to %s; counts and checksums match\n", rows, len(tables), src.Path(), dst.Path())
			return nil
		},
	}
	copyCmd.Flags().StringVar(&from, "from", "", "the database to copy: a SQLite file or a postgres:// URL")
	copyCmd.Flags().StringVar(&to, "to", "", "the new database: a SQLite file or a postgres:// URL")
	copyCmd.Flags().StringVarP(&output, "output", "o", "text", "text or json")
	cmd.AddCommand(copyCmd)
	return cmd
}

func (a *app) backupCommand() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "backup FILE",
		Short: "Write a consistent copy of the live database",
		Long: `Backup writes a consistent snapshot of the database to FILE, which must not
exist yet. It is safe while other okrmap processes read and write.`,
		Example: `  okrmap backup okrmap-$(date +%F).db`,
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(output, "text", "json"); err != nil {
				return err
			}
			return a.withService(cmd, func(ctx context.Context, s *service.Service) error {
				if err := s.DB().Backup(ctx, args[0]); err != nil {
					return err
				}
				return a.answer(output, map[string]string{"database": s.DB().Path(), "backup": args[0]}, func() {
					fmt.Fprintf(a.stdout, "backed up %s to %s\n", s.DB().Path(), args[0])
				})
			})
		},
	}
	textOrJSON(cmd, &output)
	return cmd
}

func (a *app) exportCommand() *cobra.Command {
	var period string
	var out outputFlags
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write the database's model as a plan file",
		Long: `Export writes every entity in the database as one plan file. Applying the
export to an empty database reproduces the same model. Check-in and
measurement history is not part of a plan; list it with 'okrmap get'.

--period keeps the objectives of that period (with the objectives above
them) and drops links and investments that point at other objectives.`,
		Example: `  okrmap export > plan.yaml
  okrmap export --period 2026-Q4 -o json --out-file q4.json`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.resolve(a, cmd); err != nil {
				return err
			}
			format, output := out.format, out.file
			return a.withService(cmd, func(ctx context.Context, s *service.Service) error {
				p, err := s.Export(ctx, period)
				if err != nil {
					return err
				}
				a.progress.phase("export", "write")
				return writeOutput(a.stdout, output, func(w io.Writer) error { return plan.Write(w, p, format) })
			})
		},
	}
	cmd.Flags().StringVar(&period, "period", "", "only this period's objectives, e.g. 2026-Q4")
	out.register(cmd, "yaml", []string{"yaml", "json"}, true)
	return cmd
}

// writeOutput runs write against stdout, or replaces the file at path
// atomically, so a failure never leaves half a file behind.
func writeOutput(stdout io.Writer, path string, write func(io.Writer) error) error {
	if path == "" {
		bw := bufio.NewWriter(stdout)
		if err := write(bw); err != nil {
			return err
		}
		return bw.Flush()
	}
	return atomicfile.Write(path, 0o666, write)
}

// version is okrmap's module version, "(devel)" in a source build.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

func (a *app) versionCommand() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:     "version",
		Short:   "Print okrmap's version",
		Example: "  okrmap version\n  okrmap version -o json\n  okrmap --version",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch output {
			case "json":
				return writeJSON(a.stdout, map[string]any{"version": version(), "go": runtime.Version(), "schema_version": sqlite.SchemaVersion()})
			case "text":
				fmt.Fprintf(a.stdout, "okrmap %s\n", version())
				return nil
			}
			return checkFormat(output, "text", "json")
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "text or json")
	return cmd
}
