package cli

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/service"
)

func (a *app) syncCommand() *cobra.Command {
	var req service.SyncRequest
	var output string
	cmd := &cobra.Command{
		Use:   "sync [--kpi KEY]... [--connector NAME]... [--dry-run]",
		Short: "Read KPI values from their systems of record",
		Long: `Sync reads each KPI that has a measure (measure: {from: CONNECTOR, query:
...}) from its connector (connectors.<name> in the config) when a value is
due: never read, or read at least its measure's every (else its frequency)
ago. --kpi reads the KPIs named whether due or not.

Connectors are read side by side, each with its own limit of reads at once
and timeout per read. Each connector's values and the status of each of its
KPIs are stored in one transaction; values already stored (same KPI, time
and value) are not stored again, so a second run stores nothing new. A value
read without a time is dated at the start of the day (UTC). Derived KPIs
are recomputed, and key results measured by a synced KPI are checked in.

A source that fails fails its own KPIs only, deletes nothing, and is told
apart from a KPI nobody measures: the audit's kpi-source-failing rule names
the connector and the error. Credentials never appear in what sync prints.

Exit codes: 0 everything due was read; 2 usage or configuration error; 3 a
source failed (everything else read was stored).`,
		Example: `  okrmap sync
  okrmap sync --kpi sourced-pipeline --dry-run
  okrmap sync --connector warehouse -o json`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(output, "text", "json"); err != nil {
				return err
			}
			if req.Author == "" {
				req.Author = a.cfg.Author
			}
			return a.withService(cmd, func(ctx context.Context, s *service.Service) error {
				res, err := s.Sync(ctx, req)
				if err != nil {
					return err
				}
				if output == "json" {
					if err := writeJSON(a.stdout, res); err != nil {
						return err
					}
				} else {
					a.printSync(res, req.DryRun)
				}
				if res.Failed > 0 {
					return fmt.Errorf("%d KPI%s could not be read; everything else read was stored", res.Failed, plural(res.Failed))
				}
				return nil
			})
		},
	}
	cmd.Flags().StringArrayVar(&req.KPIs, "kpi", nil, "read this KPI, due or not (repeatable)")
	cmd.Flags().StringArrayVar(&req.Connectors, "connector", nil, "read only KPIs from this connector (repeatable)")
	cmd.Flags().BoolVar(&req.DryRun, "dry-run", false, "read and show the values, store nothing")
	cmd.Flags().StringVarP(&output, "output", "o", "text", "text or json")
	cmd.RegisterFlagCompletionFunc("kpi", a.completeKeys(engine.KindKPI))
	return cmd
}

// printSync prints one line per KPI read or failed, then a summary.
func (a *app) printSync(res *service.SyncResult, dryRun bool) {
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	skipped := 0
	for _, it := range res.Items {
		if it.Status == "skipped" {
			skipped++
			continue
		}
		detail := it.Error
		if it.Latest != nil {
			detail = fmt.Sprintf("%s on %s", engine.Number(it.Latest.Value, ""), it.Latest.At.UTC().Format("2006-01-02 15:04"))
			if it.Readings > 1 {
				detail += fmt.Sprintf(" (%d values)", it.Readings)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", it.KPI, it.Connector, it.Status, detail)
	}
	tw.Flush()
	n, verb := res.Stored, "stored"
	if dryRun {
		n, verb = 0, "read (dry run: nothing stored)"
		for _, it := range res.Items {
			n += it.Readings
		}
	}
	fmt.Fprintf(a.stdout, "%d value%s %s; %d KPI%s failed; %d not due\n", n, plural(n), verb,
		res.Failed, plural(res.Failed), skipped)
}
