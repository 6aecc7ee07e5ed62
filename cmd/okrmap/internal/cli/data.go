package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/plan"
	"github.com/okrmap/okrmap/engine/sqlite"
)

func (a *app) initCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "init",
		Short: "Create the database, or migrate it to this okrmap's schema",
		Long: `Init creates the database file (and its directory) if it does not exist and
applies any pending schema migrations. Every other command does this too;
init does only this. A database written by a newer okrmap is refused and left
untouched.`,
		Example: `  okrmap init
  okrmap --db /var/lib/okrmap/okrmap.db init`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withDB(cmd, func(ctx context.Context, db *sqlite.DB) error {
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

func (a *app) backupCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "backup FILE",
		Short: "Write a consistent copy of the live database",
		Long: `Backup writes a consistent snapshot of the database to FILE, which must not
exist yet. It is safe while other okrmap processes read and write.`,
		Example: `  okrmap backup okrmap-$(date +%F).db`,
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withDB(cmd, func(ctx context.Context, db *sqlite.DB) error {
				if err := db.Backup(ctx, args[0]); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "backed up %s to %s\n", db.Path(), args[0])
				return nil
			})
		},
	}
}

func (a *app) exportCommand() *cobra.Command {
	var period, format, output string
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write the database's model as a plan file",
		Long: `Export writes every entity in the database as one plan file. Applying the
export to an empty database reproduces the same model. Check-in and
measurement history is not part of a plan; list it with 'okrmap get'.

--period keeps the objectives of that period (with the objectives above
them) and drops links and investments that point at other objectives.`,
		Example: `  okrmap export > plan.yaml
  okrmap export --period 2026-Q4 -o json --file q4.json`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format, "yaml", "json"); err != nil {
				return err
			}
			return a.withDB(cmd, func(ctx context.Context, db *sqlite.DB) error {
				p, err := db.Plan(ctx)
				if err != nil {
					return err
				}
				if period != "" {
					per, err := engine.ParsePeriod(period)
					if err != nil {
						return usageError{err}
					}
					p = p.ForPeriod(per)
				}
				return writeOutput(a.stdout, output, func(w io.Writer) error { return plan.Write(w, p, format) })
			})
		},
	}
	cmd.Flags().StringVar(&period, "period", "", "only this period's objectives, e.g. 2026-Q4")
	cmd.Flags().StringVarP(&format, "format", "o", "yaml", "yaml or json")
	cmd.Flags().StringVarP(&output, "file", "f", "", "write to this file instead of standard output (replaced atomically)")
	return cmd
}

// writeOutput runs write against stdout, or against a temporary file that
// replaces path only once write succeeded, so a failure never leaves half a
// file behind.
func writeOutput(stdout io.Writer, path string, write func(io.Writer) error) error {
	if path == "" {
		bw := bufio.NewWriter(stdout)
		if err := write(bw); err != nil {
			return err
		}
		return bw.Flush()
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return engine.Errorf(engine.EINVALID, "cannot write %s: %v", path, err)
	}
	defer os.Remove(f.Name())
	bw := bufio.NewWriter(f)
	if err := write(bw); err != nil {
		f.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print okrmap's version",
		Args:  args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := "(devel)"
			if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
				v = bi.Main.Version
			}
			fmt.Fprintf(a.stdout, "okrmap %s\n", v)
			return nil
		},
	}
}
