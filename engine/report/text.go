package report

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
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
	if dev := run.DevPlugins(); len(dev) > 0 {
		status += " (DEV: " + strings.Join(dev, ", ") + " unpinned)"
	}
	fmt.Fprintf(w, "%s%s, scope %s, judged as of %s\n", r.Name(), status, run.Scope, run.Today)
	fmt.Fprintln(w, r.Diff.Summary())
	fmt.Fprintln(w)

	// Teams are rows and areas columns: a company of 25 teams still fits
	// a terminal.
	teams := sortedTeams(run.Scorecard)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	head := []string{"SCORECARD"}
	for _, a := range audit.Areas {
		head = append(head, areaShort[a])
	}
	fmt.Fprintf(tw, "%s\toverall\n", strings.Join(head, "\t"))
	few, none := false, false
	row := func(name string, s engine.Score) {
		cells := []string{name}
		for i := range audit.Areas {
			a := s.Area(i)
			cells = append(cells, areaCell(a))
			few = few || a.Scored() && a.Judged < engine.FewJudged
			none = none || !a.Scored()
		}
		fmt.Fprintf(tw, "%s\t%s\n", strings.Join(cells, "\t"), overallCell(s))
	}
	row("company", run.Scorecard.Company)
	for _, t := range teams {
		row(t, run.Scorecard.Teams[t])
	}
	tw.Flush()
	if few {
		fmt.Fprintf(w, "* judged on fewer than %d entities\n", engine.FewJudged)
	}
	if none {
		fmt.Fprintln(w, "– not judged: nothing in scope to judge; left out of the overall")
	}
	fmt.Fprintln(w)
	if d := run.Delivery; d != nil && d.Company.OnTrack+d.Company.AtRisk+d.Company.OffTrack+d.Company.NoData > 0 {
		writeDelivery(w, d)
	}

	isNew := r.newSet()
	for _, sev := range engine.Severities {
		var rows []engine.Finding
		for _, f := range run.Findings {
			if f.Severity == sev && !f.Waived() && !f.NotJudged {
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
	if nj := notJudged(run); len(nj) > 0 {
		fmt.Fprintf(w, "Not judged (%d): their plugin failed, so these stand as the previous run found them\n", len(nj))
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, f := range nj {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", f.Severity, f.Rule, f.Message)
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
	nj := ""
	if n := len(notJudged(run)); n > 0 {
		nj = fmt.Sprintf(", %d not judged", n)
	}
	_, err := fmt.Fprintf(w, "%d findings: %d errors, %d warnings, %d info, %d waived%s\n", len(run.Findings), run.Counts["error"], run.Counts["warning"], run.Counts["info"], run.Counts["waived"], nj)
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

// areaShort are the scorecard's column heads in the text report.
var areaShort = map[string]string{"vertical_alignment": "vertical", "outcome_focus": "outcomes", "measurability": "measurable",
	"freshness": "fresh", "horizontal_consistency": "consistent", "explicit_assumptions": "assumptions"}

// areaCell is an area's score and rating, "–" when not judged and marked
// * when judged on fewer than engine.FewJudged entities.
func areaCell(a engine.AreaScore) string {
	return scoreCell(a, fmt.Sprintf("%.1f (%d)", a.Score, a.Rating))
}

// verdictCell is areaCell with the rating's verdict, for board packs.
func verdictCell(a engine.AreaScore) string {
	return scoreCell(a, fmt.Sprintf("%.0f (%d, %s)", a.Score, a.Rating, a.Verdict))
}

// scoreCell is text for a judged area, "–" for one not judged, marked *
// when judged on few.
func scoreCell(a engine.AreaScore, text string) string {
	switch {
	case !a.Scored():
		return "–"
	case a.Judged < engine.FewJudged:
		return text + "*"
	}
	return text
}

// overall is a row's overall score with its verdict, "–" when no area
// was judged.
func overall(s engine.Score) string {
	if !s.Scored() {
		return "–"
	}
	return fmt.Sprintf("%.0f (%d, %s)", s.Overall, s.Rating, engine.Verdicts[s.Rating])
}

// overallCell is a row's overall score and rating, "–" when no area was
// judged.
func overallCell(s engine.Score) string {
	if !s.Scored() {
		return "–"
	}
	return fmt.Sprintf("%.1f (%d)", s.Overall, s.Rating)
}

// writeDelivery writes where the key results are heading, for the company
// and each P&L line: the alignment scorecard says how well the plan is
// built, this whether it will land.
func writeDelivery(w io.Writer, d *engine.Delivery) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, row := range deliveryRows(d, func(l string) string { return "P&L " + l }) {
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	tw.Flush()
	fmt.Fprintln(w, deliveryNote)
	fmt.Fprintln(w)
}

// deliveryNote says how key results are judged.
const deliveryNote = "Key results heading by their forecast (on track from 70% likely, at risk from 30%), else by pace to their due date."

// deliveryRows is the delivery table: a header, the company, and each P&L
// line named by line.
func deliveryRows(d *engine.Delivery, line func(string) string) [][]string {
	rows := [][]string{{"DELIVERY", "score", "on track", "at risk", "off track", "no data", "forecast to land"}}
	row := func(name string, s engine.DeliveryScore) {
		score, likely := "–", "–"
		if s.Score != nil {
			score = fmt.Sprintf("%.0f", *s.Score)
		}
		if s.Likelihood != nil {
			likely = fmt.Sprintf("%s over %d forecasts", engine.Percent(*s.Likelihood), s.Forecasts)
			if s.Forecasts == 1 {
				likely = strings.TrimSuffix(likely, "s")
			}
		}
		rows = append(rows, []string{name, score, strconv.Itoa(s.OnTrack), strconv.Itoa(s.AtRisk), strconv.Itoa(s.OffTrack), strconv.Itoa(s.NoData), likely})
	}
	row("company", d.Company)
	for _, l := range slices.Sorted(maps.Keys(d.PnLLines)) {
		row(line(l), d.PnLLines[l])
	}
	return rows
}
