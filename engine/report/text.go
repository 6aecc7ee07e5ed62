package report

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/audit"
)

// textWriter is the terminal view: the scorecard, what changed, then the
// findings by severity.
type textWriter struct{}

func (textWriter) Write(w io.Writer, r *Report) error {
	run := r.Run
	status := ""
	if !run.Complete {
		status = " (INCOMPLETE)"
	}
	fmt.Fprintf(w, "%s%s, scope %s, judged as of %s\n", r.Name(), status, run.Scope, run.Today)
	fmt.Fprintln(w, r.Diff.Summary())
	fmt.Fprintln(w)

	teams := sortedTeams(run.Scorecard)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "SCORECARD\tcompany\t%s\n", strings.Join(teams, "\t"))
	row := func(name string, pick func(engine.Score) (float64, int)) {
		cells := []string{name}
		for _, s := range append([]engine.Score{run.Scorecard.Company}, teamScores(run.Scorecard, teams)...) {
			v, rating := pick(s)
			cells = append(cells, fmt.Sprintf("%s (%d)", pct(v), rating))
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	for i, area := range audit.Areas {
		row(area, func(s engine.Score) (float64, int) { return s.Area(i).Score, s.Area(i).Rating })
	}
	row("overall", func(s engine.Score) (float64, int) { return s.Overall, s.Rating })
	tw.Flush()
	fmt.Fprintln(w)

	isNew := r.newSet()
	for _, sev := range engine.Severities {
		var rows []engine.Finding
		for _, f := range run.Findings {
			if f.Severity == sev && !f.Waived() {
				rows = append(rows, f)
			}
		}
		if len(rows) == 0 {
			continue
		}
		// By team (findings without one last), then rule.
		slices.SortStableFunc(rows, func(a, b engine.Finding) int {
			if a.Team != b.Team {
				if a.Team == "" || b.Team == "" {
					return strings.Compare(b.Team, a.Team)
				}
				return strings.Compare(a.Team, b.Team)
			}
			return strings.Compare(a.Rule, b.Rule)
		})
		fmt.Fprintf(w, "%s (%d)\n", r.paint(sev, strings.ToUpper(sev)), len(rows))
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for i, f := range rows {
			if i == 0 || f.Team != rows[i-1].Team {
				team := f.Team
				if team == "" {
					team = "(company-wide)"
				}
				fmt.Fprintf(tw, "  %s\n", team)
			}
			mark := ""
			if r.Diff.From != 0 && isNew[f.Fingerprint] {
				mark = r.paint("new", "NEW") + " "
			}
			note := ""
			if f.Waiver != nil {
				note = fmt.Sprintf(" (waiver expired %s)", f.Waiver.Until)
			}
			fmt.Fprintf(tw, "    %s%s\t%s%s\n", mark, f.Rule, f.Message, note)
		}
		tw.Flush()
		fmt.Fprintln(w)
	}
	if n := run.Counts["waived"]; n > 0 {
		fmt.Fprintf(w, "WAIVED (%d)\n", n)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, f := range run.Findings {
			if f.Waived() {
				fmt.Fprintf(tw, "  %s\t%s\tuntil %s: %s\n", f.Rule, f.Entity, f.Waiver.Until, f.Waiver.Reason)
			}
		}
		tw.Flush()
		fmt.Fprintln(w)
	}
	if len(r.Diff.Resolved) > 0 {
		fmt.Fprintf(w, "RESOLVED since run %d (%d)\n", r.Diff.From, len(r.Diff.Resolved))
		for _, f := range r.Diff.Resolved {
			fmt.Fprintf(w, "  %s %s\n", f.Rule, f.Entity)
		}
		fmt.Fprintln(w)
	}
	_, err := fmt.Fprintf(w, "%d findings: %d errors, %d warnings, %d info, %d waived\n", len(run.Findings), run.Counts["error"], run.Counts["warning"], run.Counts["info"], run.Counts["waived"])
	return err
}

// ansi colours for severities and new findings.
var ansi = map[string]string{"error": "\x1b[1;31m", "warning": "\x1b[33m", "info": "\x1b[36m", "new": "\x1b[1;35m"}

// paint wraps text in the colour for kind when r.Color is set.
func (r *Report) paint(kind, text string) string {
	if !r.Color {
		return text
	}
	return ansi[kind] + text + "\x1b[0m"
}

func teamScores(sc engine.Scorecard, teams []string) []engine.Score {
	out := make([]engine.Score, len(teams))
	for i, t := range teams {
		out[i] = sc.Teams[t]
	}
	return out
}
