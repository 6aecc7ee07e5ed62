package cli

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/okrmap/okrmap/engine"
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
	var history int
	var historyFile string
	genCmd := &cobra.Command{
		Use:   "gen --kpis N",
		Short: "Generate a valid synthetic plan of any size",
		Long: `Gen writes a valid, linked plan with N KPIs: objectives with three key
results each (one per 10 KPIs, or --objectives-per-team), per 50 KPIs an
assumption, per 100 an investment, --teams teams and a business objective per
--kpis-per-bo KPIs (five at least). Outcome KPIs link to key results;
activity KPIs drive outcomes, or other activities up to --driver-chain deep.
Team objectives sit under business objectives or under one another, up to
--cascade-depth deep. The same flags and --seed give the same plan.

--history N also writes N measurements of each KPI, at its frequency and
ending now, to --history-file as CSV for 'okrmap import measurements'.`,
		Example: `  okrmap dev gen --kpis 1000 > plan.yaml
  okrmap dev gen --kpis 100000 -o json --out-file big.json && okrmap apply big.json
  okrmap dev gen --kpis 100000 --teams 1000 --objectives-per-team 10 --cascade-depth 4 --driver-chain 3
  okrmap dev gen --kpis 10000 --history 12 --history-file history.csv --out-file plan.yaml &&
    okrmap apply plan.yaml && okrmap import measurements history.csv`,
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
			if (history > 0) != (historyFile != "") {
				return usageError{fmt.Errorf("--history N and --history-file FILE go together")}
			}
			a.progress.phase("dev gen", "generate")
			p, err := gen.Plan(opts)
			if err != nil {
				return err
			}
			a.progress.phase("dev gen", "write")
			if err := writeOutput(a.stdout, output, func(w io.Writer) error { return plan.Write(w, p, format) }); err != nil {
				return err
			}
			if history == 0 {
				return nil
			}
			a.progress.phase("dev gen", "history")
			ms := gen.History(p, history, a.now(), opts.Seed)
			return writeOutput(nil, historyFile, func(w io.Writer) error { return writeMeasurements(w, ms) })
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
	genCmd.Flags().IntVar(&history, "history", 0, "measurements of each KPI to write to --history-file")
	genCmd.Flags().StringVar(&historyFile, "history-file", "", "CSV file for --history (replaced atomically)")
	out.register(genCmd, "yaml", []string{"yaml", "json"}, true)
	dev.AddCommand(genCmd, a.loadCommand())
	return dev
}

// writeMeasurements writes ms as a CSV that 'okrmap import measurements'
// reads.
func writeMeasurements(w io.Writer, ms []engine.Measurement) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"kpi", "at", "value"})
	for _, m := range ms {
		cw.Write([]string{m.KPI, m.At.Format(time.RFC3339), strconv.FormatFloat(m.Value, 'g', -1, 64)})
	}
	cw.Flush()
	return cw.Error()
}
