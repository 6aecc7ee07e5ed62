package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/okrmap/okrmap/engine/gen"
	"github.com/okrmap/okrmap/engine/plan"
)

func (a *app) devCommand() *cobra.Command {
	dev := &cobra.Command{
		Use:   "dev",
		Short: "Tools for developing and load-testing okrmap",
		Args:  args(cobra.NoArgs),
	}
	var opts gen.Options
	var out outputFlags
	var activityShare float64
	genCmd := &cobra.Command{
		Use:   "gen --kpis N",
		Short: "Generate a valid synthetic plan of any size",
		Long: `Gen writes a valid, linked plan with N KPIs: objectives with three key
results each (one per 10 KPIs, or --objectives-per-team), per 50 KPIs an
assumption, per 100 an investment, --teams teams and a business objective per
--kpis-per-bo KPIs (five at least). Outcome KPIs link to key results;
activity KPIs drive outcomes, or other activities up to --driver-chain deep.
Team objectives sit under business objectives or under one another, up to
--cascade-depth deep. The same flags and --seed give the same plan.`,
		Example: `  okrmap dev gen --kpis 1000 > plan.yaml
  okrmap dev gen --kpis 100000 -o json --out-file big.json && okrmap apply big.json
  okrmap dev gen --kpis 100000 --teams 1000 --objectives-per-team 10 --cascade-depth 4 --driver-chain 3`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.resolve(a, cmd); err != nil {
				return err
			}
			format, output := out.format, out.file
			if activityShare < 0 || activityShare >= 1 {
				return usageError{fmt.Errorf("--activity-share %g: give a share from 0 to below 1", activityShare)}
			}
			opts.OutcomeShare = 1 - activityShare
			if err := opts.Check(); err != nil {
				return usageError{err}
			}
			a.progress.phase("dev gen", "generate")
			p, err := gen.Plan(opts)
			if err != nil {
				return err
			}
			a.progress.phase("dev gen", "write")
			return writeOutput(a.stdout, output, func(w io.Writer) error { return plan.Write(w, p, format) })
		},
	}
	genCmd.Flags().IntVar(&opts.KPIs, "kpis", 100, "number of KPIs")
	genCmd.Flags().Uint64Var(&opts.Seed, "seed", 1, "random seed")
	genCmd.Flags().StringVar(&opts.Period, "period", "2026-Q4", "period of the objectives")
	genCmd.Flags().IntVar(&opts.Teams, "teams", 5, "number of teams (5 at least)")
	genCmd.Flags().IntVar(&opts.ObjectivesPerTeam, "objectives-per-team", 0, "objectives per team (default one objective per 10 KPIs)")
	genCmd.Flags().IntVar(&opts.CascadeDepth, "cascade-depth", 4, "longest chain of team objectives under one another")
	genCmd.Flags().IntVar(&opts.DriverChain, "driver-chain", 1, "longest chain of activity KPIs driving one another to an outcome")
	genCmd.Flags().IntVar(&opts.KPIsPerBusinessObjective, "kpis-per-bo", 2000, "KPIs per business objective")
	genCmd.Flags().Float64Var(&activityShare, "activity-share", 0.4, "share of KPIs that are activities, from 0 to below 1")
	out.register(genCmd, "yaml", []string{"yaml", "json"}, true)
	dev.AddCommand(genCmd, a.loadCommand())
	return dev
}
