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
	var opts engine.ApplyOptions
	var verbose bool
	var output string
	cmd := &cobra.Command{
		Use:   "apply FILE...",
		Short: "Create or update entities from plan files, in one transaction",
		Long: `Apply upserts every entity in the plan files by key, in one transaction, and
prints what was created, updated and left unchanged per kind. Applying the
same files twice changes nothing and says so. Entities the files do not
mention are kept, unless pruned. A KPI's links are replaced by the links the
file gives it. References may name entities already in the database.

--set NAME marks every entity the files name as the plan set NAME's: a folder
of plan files kept in version control is one set. With --prune, the set's
entities that the files no longer name are deleted, in the same transaction,
and archived with their history as okrmap delete does. Prune is refused while
anything else depends on what it would delete; --dry-run lists what would go.

Nothing is written when any file is invalid: every problem is listed with
file:line:column and the command exits with code 2.`,
		Example: `  okrmap apply examples/saas-b2b/*.yaml
  okrmap apply company.yaml marketing.yaml --dry-run
  okrmap apply --set okrs plans/*.yaml --prune --dry-run
  okrmap --db /var/lib/okrmap/okrmap.db apply plan.json`,
		Annotations: map[string]string{createsDB: "yes"},
		Args:        args(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, files []string) error {
			if err := checkFormat(output, "text", "json"); err != nil {
				return err
			}
			if opts.Prune && opts.Set == "" {
				return usageError{fmt.Errorf("--prune needs --set NAME: the plan set whose entities it may delete")}
			}
			if opts.DryRun && !service.Exists(a.cfg.DB) {
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
				opts.Author = a.cfg.Author
				cs, err := s.Apply(ctx, service.ApplyRequest{Files: files, ApplyOptions: opts})
				if err != nil {
					return err
				}
				if cs == nil {
					cs = engine.Changes{}
				}
				return a.answer(output, map[string]any{"dry_run": opts.DryRun, "changed": cs.Changed(), "changes": cs}, func() {
					a.printChanges(cs, opts.DryRun, verbose)
				})
			})
		},
	}
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "report what would change and write nothing")
	cmd.Flags().StringVar(&opts.Set, "set", "", "the plan set the files belong to (marks what they name)")
	cmd.Flags().BoolVar(&opts.Prune, "prune", false, "delete the set's entities the files no longer name (needs --set)")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "list every created and updated key")
	textOrJSON(cmd, &output)
	return cmd
}

func (a *app) printChanges(cs engine.Changes, dryRun, verbose bool) {
	if dryRun {
		fmt.Fprintln(a.stdout, "Dry run: nothing was written.")
	}
	deleted := cs.Total(engine.Deleted) > 0
	head := fmt.Sprintf("%-20s %9s %9s %9s", "KIND", "CREATED", "UPDATED", "UNCHANGED")
	if deleted {
		head += fmt.Sprintf(" %9s", "DELETED")
	}
	fmt.Fprintln(a.stdout, head)
	for _, k := range engine.Kinds {
		c, u, n, d := cs.Count(k, engine.Created), cs.Count(k, engine.Updated), cs.Count(k, engine.Unchanged), cs.Count(k, engine.Deleted)
		if c+u+n+d == 0 {
			continue
		}
		row := fmt.Sprintf("%-20s %9d %9d %9d", k, c, u, n)
		if deleted {
			row += fmt.Sprintf(" %9d", d)
		}
		fmt.Fprintln(a.stdout, row)
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
	if deleted && !dryRun {
		fmt.Fprintln(a.stdout, "What was deleted is archived with its history: okrmap get archived")
	}
	switch {
	case !cs.Changed():
		fmt.Fprintln(a.stdout, "No changes: the database already matches the plan.")
	case dryRun:
		fmt.Fprintln(a.stdout, "Run without --dry-run to write these changes.")
	}
}
