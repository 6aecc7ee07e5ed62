package cli

import (
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
	genCmd := &cobra.Command{
		Use:   "gen --kpis N",
		Short: "Generate a valid synthetic plan of any size",
		Long: `Gen writes a valid, linked plan with N KPIs: per 10 KPIs an objective with
three key results, per 50 an assumption, per 100 an investment, five teams
and at least five business objectives. The same --seed gives the same plan.`,
		Example: `  okrmap dev gen --kpis 1000 > plan.yaml
  okrmap dev gen --kpis 100000 -o json --out-file big.json && okrmap apply big.json`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.resolve(a, cmd); err != nil {
				return err
			}
			format, output := out.format, out.file
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
	out.register(genCmd, "yaml", []string{"yaml", "json"}, true)
	dev.AddCommand(genCmd, a.loadCommand())
	return dev
}
