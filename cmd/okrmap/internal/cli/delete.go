package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/service"
)

// entityKind reads a kind as get does: plural, singular or short.
func entityKind(name string) (engine.Kind, bool) {
	i := slices.IndexFunc(listers, func(k kindLister) bool { return slices.Contains(k.names, strings.ToLower(name)) })
	if i < 0 {
		return "", false
	}
	kind, ok := service.KindNames[listers[i].names[0]] // get's canonical names are the API's
	return kind, ok
}

func (a *app) deleteCommand() *cobra.Command {
	var opts engine.RemoveOptions
	var output string
	cmd := &cobra.Command{
		Use:   "delete KIND KEY",
		Short: "Delete an entity, archiving it with its history",
		Long: `Delete removes one entity from the database in one transaction. Its last
definition and its check-ins or measurements are archived ('okrmap get archived'
lists them), its findings resolve at the next audit, and export leaves it out.
The key is free to use again.

Delete refuses while anything depends on the entity: objectives under it,
KPIs linking to it, key results measured by it. --cascade deletes what
cannot stay without it (objectives under it, with their key results; a
team's objectives and KPIs) and cuts the references of what stays (links,
aligns_to, measured_by, an investment's objective), listing all of it.
An objective's key results always go with it.`,
		Example: `  okrmap delete kpi web-visitrs
  okrmap delete objective mkt-brand --cascade --dry-run
  okrmap delete kr q4-net-new-arr --cascade -o json`,
		Args: args(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			kind, ok := entityKind(args[0])
			if !ok {
				var names []string
				for _, l := range listers {
					if _, ok := service.KindNames[l.names[0]]; ok {
						names = append(names, l.names[0])
					}
				}
				return usageError{fmt.Errorf("unknown kind %q; delete one of: %s", args[0], strings.Join(names, ", "))}
			}
			if err := checkFormat(output, "text", "json"); err != nil {
				return err
			}
			opts.Author = a.cfg.Author
			return a.withService(cmd, func(ctx context.Context, s *service.Service) error {
				rm, err := s.Remove(ctx, kind, args[1], opts)
				if err != nil {
					return err
				}
				return a.answer(output, map[string]any{"dry_run": opts.DryRun, "deleted": rm.Deleted, "cut": rm.Cut}, func() {
					a.printRemoval(rm, opts.DryRun)
				})
			})
		},
	}
	cmd.Flags().BoolVar(&opts.Cascade, "cascade", false, "also delete what depends on it, and cut references to it")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "list what would go and write nothing")
	textOrJSON(cmd, &output)
	return cmd
}

// printRemoval lists what a removal deletes and cuts.
func (a *app) printRemoval(rm engine.Removal, dryRun bool) {
	verb, cut := "deleted", "cut"
	if dryRun {
		fmt.Fprintln(a.stdout, "Dry run: nothing was written.")
		verb, cut = "would delete", "would cut"
	}
	for _, d := range rm.Deleted {
		fmt.Fprintf(a.stdout, "%s %s\n", verb, d)
	}
	for _, c := range rm.Cut {
		fmt.Fprintf(a.stdout, "%s the reference of %s\n", cut, c)
	}
	if !dryRun && len(rm.Deleted) > 0 {
		fmt.Fprintln(a.stdout, "Archived with their history: okrmap get archived")
	}
}
