package cli

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/service"
)

func (a *app) statusCommand() *cobra.Command {
	var sf scopeFlags
	var output, today string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Say which key results will land: delivery by P&L line, team and key result",
		Long: `Status judges delivery, where the alignment scorecard judges how the plan is
built: each open key result with a target heads by its forecast when it has
three or more check-ins (on track from 70% likely to reach its target, at risk
from 30%), else by its pace against a straight line to its due date (on track
within 10 points, at risk within 25), else it has no data. The score counts
on track 1 and at risk 0.5. Key results are listed worst first.`,
		Example: `  okrmap status
  okrmap status --team marketing --period 2026-Q4
  okrmap status -o markdown > delivery.md
  okrmap status --today 2026-11-20 -o json`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			scope, err := sf.scope()
			if err != nil {
				return err
			}
			if err := checkFormat(output, "text", "json", "markdown"); err != nil {
				return err
			}
			day, err := judgeDay(today)
			if err != nil {
				return err
			}
			return a.withService(cmd, func(ctx context.Context, s *service.Service) error {
				st, err := s.Status(ctx, scope, day)
				if err != nil {
					return err
				}
				switch output {
				case "json":
					return writeJSON(a.stdout, st)
				case "markdown":
					return writeStatusMarkdown(a.stdout, st)
				}
				return writeStatusText(a.stdout, st)
			})
		},
	}
	sf.register(a, cmd)
	cmd.Flags().StringVar(&today, "today", "", "judge as of this date, YYYY-MM-DD (default today)")
	cmd.Flags().StringVarP(&output, "output", "o", "text", "text, json or markdown")
	return cmd
}

// statusWords say where a key result is heading, for people.
var statusWords = map[string]string{engine.OnTrack: "on track", engine.AtRisk: "at risk", engine.OffTrack: "off track", engine.NoData: "no data"}

// scoreLine is a delivery score in one line.
func scoreLine(d engine.DeliveryScore) string {
	s := "–"
	if d.Score != nil {
		s = fmt.Sprintf("%.0f/100", *d.Score)
	}
	s += fmt.Sprintf(" · %d on track, %d at risk, %d off track, %d without data", d.OnTrack, d.AtRisk, d.OffTrack, d.NoData)
	if d.Likelihood != nil {
		s += fmt.Sprintf(" · %d forecast%s: %s likely to land on average", d.Forecasts, plural(d.Forecasts), engine.Percent(*d.Likelihood))
	}
	return s
}

// where says where a key result stands and is heading.
func where(r service.StatusKeyResult) string {
	s := "no check-in yet, target " + numIn(&r.Target, r.Unit)
	if r.Current != nil {
		s = fmt.Sprintf("now %s, target %s", numIn(r.Current, r.Unit), numIn(&r.Target, r.Unit))
	}
	if r.Unit != "" {
		s += " " + r.Unit
	}
	if !r.Due.IsZero() {
		s += ", due " + r.Due.String()
	}
	if f := r.Forecast; f != nil {
		s += fmt.Sprintf(" · forecast %s (%s to %s), %s likely", numIn(&f.Value, r.Unit), numIn(&f.Low, r.Unit), numIn(&f.High, r.Unit),
			engine.Percent(f.Likelihood))
	} else if r.Current != nil && r.Status != engine.NoData {
		s += fmt.Sprintf(" · %s done with %s of the time gone", engine.Percent(r.Progress), engine.Percent(r.Expected))
	}
	return s
}

func writeStatusText(w io.Writer, st *service.Status) error {
	fmt.Fprintf(w, "Delivery, scope %s, as of %s: %s\n\n", st.Scope, st.Today, scoreLine(st.Delivery.Company))
	if lines := st.Delivery.PnLLines; len(lines) > 0 {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, l := range slices.Sorted(maps.Keys(lines)) {
			fmt.Fprintf(tw, "P&L %s\t%s\n", l, scoreLine(lines[l]))
		}
		tw.Flush()
		fmt.Fprintln(w)
	}
	for _, status := range []string{engine.OffTrack, engine.AtRisk, engine.NoData, engine.OnTrack} {
		var rows []service.StatusKeyResult
		for _, r := range st.KeyResults {
			if r.Status == status {
				rows = append(rows, r)
			}
		}
		if len(rows) == 0 {
			continue
		}
		fmt.Fprintf(w, "%s (%d)\n", strings.ToUpper(statusWords[status]), len(rows))
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, r := range rows {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", r.Key, r.Team, where(r))
		}
		tw.Flush()
		fmt.Fprintln(w)
	}
	if len(st.KeyResults) == 0 {
		fmt.Fprintln(w, "No open key result with a target in this scope.")
	}
	return nil
}

func writeStatusMarkdown(w io.Writer, st *service.Status) error {
	fmt.Fprintf(w, "# Delivery, %s, as of %s\n\n%s\n\n", st.Scope, st.Today, md(scoreLine(st.Delivery.Company)))
	if lines := st.Delivery.PnLLines; len(lines) > 0 {
		fmt.Fprintln(w, "| P&L line | delivery |\n|---|---|")
		for _, l := range slices.Sorted(maps.Keys(lines)) {
			fmt.Fprintf(w, "| %s | %s |\n", md(l), md(scoreLine(lines[l])))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "| key result | team | heading | where |\n|---|---|---|---|")
	for _, r := range st.KeyResults {
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", md(r.Key), md(r.Team), statusWords[r.Status], md(where(r)))
	}
	return nil
}

// md escapes text for a markdown table cell.
func md(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "*", `\*`, "_", `\_`, "<", "&lt;").Replace(s)
}
