package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/service"
)

func (a *app) validateCommand() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check plan files without touching any database",
		Long: `Validate checks plan files (YAML or JSON) against the plan schema and as a
whole: unique keys, references that resolve, no parent or driver cycles, key
results due inside their period. Files are checked together, so a team file
may refer to keys in a company file given alongside it.

Every problem is listed with file:line:column and the entity's key.
Exit code 0 when the files are valid, 2 when they are not.`,
		Example: `  okrmap validate examples/saas-b2b/*.yaml
  okrmap validate company.yaml marketing.json`,
		Args: args(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, files []string) error {
			if err := checkFormat(output, "text", "json"); err != nil {
				return err
			}
			n, err := a.offline().Validate(files...)
			if err != nil {
				return err
			}
			return a.answer(output, map[string]any{"valid": true, "files": len(files), "entities": n}, func() {
				fmt.Fprintf(a.stdout, "valid: %d file%s, %d entities\n", len(files), plural(len(files)), n)
			})
		},
	}
	textOrJSON(cmd, &output)
	return cmd
}

func (a *app) applyCommand() *cobra.Command {
	var dryRun, verbose bool
	var output string
	cmd := &cobra.Command{
		Use:   "apply FILE...",
		Short: "Create or update entities from plan files, in one transaction",
		Long: `Apply upserts every entity in the plan files by key, in one transaction, and
prints what was created, updated and left unchanged per kind. Applying the
same files twice changes nothing and says so. Entities the files do not
mention are kept. A KPI's links are replaced by the links the file gives it.
References may name entities already in the database.

Nothing is written when any file is invalid: every problem is listed with
file:line:column and the command exits with code 2.`,
		Example: `  okrmap apply examples/saas-b2b/*.yaml
  okrmap apply company.yaml marketing.yaml --dry-run
  okrmap --db /var/lib/okrmap/okrmap.db apply plan.json`,
		Annotations: map[string]string{createsDB: "yes"},
		Args:        args(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, files []string) error {
			if err := checkFormat(output, "text", "json"); err != nil {
				return err
			}
			if dryRun && !service.Exists(a.cfg.DB) {
				// Judged against a new, empty database that is thrown
				// away: a dry run creates nothing where --db points.
				tmp, err := os.MkdirTemp("", "okrmap-dry-run-")
				if err != nil {
					return err
				}
				defer os.RemoveAll(tmp)
				a.cfg.DB = filepath.Join(tmp, "okrmap.db")
			}
			return a.withService(cmd, func(ctx context.Context, s *service.Service) error {
				cs, err := s.Apply(ctx, service.ApplyRequest{Files: files, DryRun: dryRun, Author: a.cfg.Author})
				if err != nil {
					return err
				}
				if cs == nil {
					cs = engine.Changes{}
				}
				return a.answer(output, map[string]any{"dry_run": dryRun, "changed": cs.Changed(), "changes": cs}, func() {
					a.printChanges(cs, dryRun, verbose)
				})
			})
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "report what would change and write nothing")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "list every created and updated key")
	textOrJSON(cmd, &output)
	return cmd
}

func (a *app) printChanges(cs engine.Changes, dryRun, verbose bool) {
	if dryRun {
		fmt.Fprintln(a.stdout, "Dry run: nothing was written.")
	}
	fmt.Fprintf(a.stdout, "%-20s %9s %9s %9s\n", "KIND", "CREATED", "UPDATED", "UNCHANGED")
	for _, k := range engine.Kinds {
		c, u, n := cs.Count(k, engine.Created), cs.Count(k, engine.Updated), cs.Count(k, engine.Unchanged)
		if c+u+n > 0 {
			fmt.Fprintf(a.stdout, "%-20s %9d %9d %9d\n", k, c, u, n)
		}
	}
	if verbose {
		for _, c := range cs {
			if c.Action == engine.Unchanged {
				continue
			}
			fmt.Fprintf(a.stdout, "%s %s %s\n", c.Action, c.Kind, c.Key)
			for _, f := range c.Fields {
				fmt.Fprintf(a.stdout, "    %s: %s -> %s\n", f.Field, f.Old, f.New)
			}
		}
	}
	for _, c := range cs {
		if len(c.DroppedLinks) > 0 {
			verb := "loses"
			if dryRun {
				verb = "would lose"
			}
			fmt.Fprintf(a.stdout, "warning: kpi %s %s its links to %s: the files give it only the links they list (copy them from 'okrmap export' to keep them)\n",
				c.Key, verb, strings.Join(c.DroppedLinks, ", "))
		}
	}
	switch {
	case !cs.Changed():
		fmt.Fprintln(a.stdout, "No changes: the database already matches the plan.")
	case dryRun:
		fmt.Fprintln(a.stdout, "Run without --dry-run to write these changes.")
	}
}
