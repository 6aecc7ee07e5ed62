package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/okrmap/okrmap/engine/service"
)

func (a *app) kpiCommand() *cobra.Command {
	kpi := &cobra.Command{
		Use:   "kpi",
		Short: "Work with KPIs",
		Args:  args(cobra.NoArgs),
	}
	kpi.AddCommand(&cobra.Command{
		Use:   "recompute",
		Short: "Compute derived KPIs from their formulas",
		Long: `Recompute evaluates every derived KPI's formula over the latest values of the
KPIs it names, in dependency order, and records a measurement where the value
is new. measure and import measurements do this on their own; run recompute
after changing formulas. A formula with a value missing, or dividing by zero,
records nothing.`,
		Example: `  okrmap kpi recompute`,
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withService(cmd, func(ctx context.Context, s *service.Service) error {
				keys, err := s.RecomputeDerived(ctx)
				if err != nil {
					return err
				}
				if len(keys) == 0 {
					fmt.Fprintln(a.stdout, "No derived KPI has a new value.")
					return nil
				}
				fmt.Fprintf(a.stdout, "recorded %d derived KPI value%s: %s\n", len(keys), plural(len(keys)), strings.Join(keys, ", "))
				return nil
			})
		},
	})
	return kpi
}
