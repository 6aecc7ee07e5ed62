package report

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/audit"
	"github.com/okrmap/okrmap/engine/resolve"
)

// markdownWriter is the quarterly board pack: per P&L line and business
// objective, its objectives, key result progress and KPIs; then the
// scorecard, the findings and what changed. It reads well pasted into a
// wiki or rendered to PDF.
type markdownWriter struct{}

func (markdownWriter) Write(w io.Writer, r *Report) error {
	run := r.Run
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("# Alignment report\n\n")
	p("%s, scope %s, judged as of %s. %s.\n\n", r.Name(), run.Scope, run.Today, capitalise(r.Diff.Summary()))
	if !run.Complete {
		p("> **This run is incomplete**: a stage failed; the findings below are what completed.\n\n")
	}
	if dev := run.DevPlugins(); len(dev) > 0 {
		p("> **Development run**: %s ran unpinned; the next pinned run is not compared with this one.\n\n", md(strings.Join(dev, ", ")))
	}

	p("## Scorecard\n\n")
	teams := sortedTeams(run.Scorecard)
	p("| Area | Company |%s\n", join(teams, func(t string) string { return " " + md(t) + " |" }))
	p("|---|---|%s\n", strings.Repeat("---|", len(teams)))
	for i, area := range audit.Areas {
		cell := func(a engine.AreaScore) string { return strings.ReplaceAll(verdictCell(a), "*", `\*`) }
		p("| %s | %s |", title(area), cell(run.Scorecard.Company.Area(i)))
		for _, t := range teams {
			p(" %s |", cell(run.Scorecard.Teams[t].Area(i)))
		}
		p("\n")
	}
	p("| **Overall** | **%s** |", overall(run.Scorecard.Company))
	for _, t := range teams {
		p(" %s |", overall(run.Scorecard.Teams[t]))
	}
	p("\n\n\\*: judged on fewer than %d entities; –: not judged (nothing in scope to judge), left out of the overall.\n\n", engine.FewJudged)

	if d := run.Delivery; d != nil {
		p("## Delivery\n\n")
		rows := deliveryRows(d, func(l string) string { return "P&L line " + md(l) })
		rows[0][0] = ""
		for i, row := range rows {
			p("| %s |\n", strings.Join(row, " | "))
			if i == 0 {
				p("|---|---|---|---|---|---|---|\n")
			}
		}
		p("\n%s\n\n", deliveryNote)
	}

	if g := r.Graph; g != nil {
		flagged := r.flagged()
		p("## Objectives by P&L line\n\n")
		var lines []string
		for _, b := range g.BusinessObjectives {
			if !slices.Contains(lines, b.PnLLine) {
				lines = append(lines, b.PnLLine)
			}
		}
		for _, line := range lines {
			name := line
			if name == "" {
				name = "No P&L line"
			}
			p("### %s\n\n", md(name))
			for _, b := range g.BusinessObjectives {
				if b.PnLLine != line {
					continue
				}
				p("#### %s (%s)\n\n", md(b.Title), md(b.Key))
				rows := cascade(g.Objectives, b.Key)
				if len(rows) == 0 && len(b.KPIs) == 0 {
					p("No objectives or KPIs reach this business objective.\n\n")
					continue
				}
				if len(rows) > 0 {
					p("| Objective | Team | Key result | Baseline -> target | Progress | Expected by now | Findings |\n|---|---|---|---|---|---|---|\n")
					for _, row := range rows {
						o, title := row.o, md(row.o.Title)
						if row.depth > 0 {
							title = strings.Repeat("↳ ", min(row.depth, 8)) + title + " *(under " + parentName(o) + ")*"
						}
						for i, kr := range o.KeyResults {
							obj := ""
							if i == 0 {
								obj = title
							}
							span, progress, expected := "n/a", "n/a", "n/a"
							if kr.HasTarget {
								span, progress, expected = spanOf(kr), engine.Percent(kr.Progress), engine.Percent(kr.ExpectedProgress)
							}
							if kr.HasScore {
								progress = fmt.Sprintf("scored %.2f", kr.Score)
							}
							p("| %s | %s | %s | %s | %s | %s | %d |\n", obj, md(o.Team), md(kr.Title), span, progress, expected, len(flagged[kr.Key]))
						}
						if len(o.KeyResults) == 0 {
							p("| %s | %s | (none) | | | | %d |\n", title, md(o.Team), len(flagged[o.Key]))
						}
					}
					p("\n")
				}
				var kpis []*resolve.KPI
				for _, k := range g.KPIs {
					if slices.Contains(k.Reaches, b.Key) {
						kpis = append(kpis, k)
					}
				}
				if len(kpis) > 0 {
					p("| KPI | Kind | Latest | Findings |\n|---|---|---|---|\n")
					for _, k := range kpis {
						latest := "not measured"
						if k.HasMeasurement {
							latest = strings.TrimSpace(engine.Number(k.Latest, k.Unit) + " " + k.Unit + " on " + k.LatestAt.Format("2006-01-02"))
						}
						kind := k.Kind
						switch {
						case kind == "":
							kind = "undeclared"
						case !k.KindDeclared:
							kind += " (" + k.KindReason + ")"
						}
						p("| %s | %s | %s | %d |\n", md(k.Name), kind, md(latest), len(flagged[k.Key]))
					}
					p("\n")
				}
			}
		}
	}

	p("## Findings\n\n")
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
		p("### %s (%d)\n\n| Rule | Entity | Finding | Fix |\n|---|---|---|---|\n", capitalise(sev)+"s", len(rows))
		for _, f := range rows {
			p("| %s | %s | %s | %s |\n", md(f.Rule), md(f.Entity), md(f.Message), md(f.Fix))
		}
		p("\n")
	}
	if nj := notJudged(run); len(nj) > 0 {
		p("### Not judged (%d)\n\nTheir plugin failed, so these stand as the previous run found them.\n\n| Severity | Rule | Entity | Finding |\n|---|---|---|---|\n", len(nj))
		for _, f := range nj {
			p("| %s | %s | %s | %s |\n", f.Severity, md(f.Rule), md(f.Entity), md(f.Message))
		}
		p("\n")
	}
	if n := run.Counts["waived"]; n > 0 {
		p("### Waived (%d)\n\n| Rule | Entity | Until | Reason |\n|---|---|---|---|\n", n)
		for _, f := range run.Findings {
			if f.Waived() {
				p("| %s | %s | %s | %s |\n", md(f.Rule), md(f.Entity), f.Waiver.Until, md(f.Waiver.Reason))
			}
		}
		p("\n")
	}

	p("## What changed\n\n")
	if r.Diff.From == 0 {
		p("This is the first run of this scope.\n")
		return nil
	}
	p("Since run %d the overall score moved %+.1f points.\n\n", r.Diff.From, r.Diff.ScoreChange)
	for _, g := range []struct {
		name string
		fs   []engine.Finding
	}{{"New", r.Diff.New}, {"Resolved", r.Diff.Resolved}} {
		p("- %s: %d", g.name, len(g.fs))
		for i, f := range g.fs {
			if i == 0 {
				p(" (")
			} else {
				p(", ")
			}
			p("%s on %s", md(f.Rule), md(f.Entity))
			if i == len(g.fs)-1 {
				p(")")
			}
		}
		p("\n")
	}
	_, err := fmt.Fprintf(w, "- Persisting: %d\n", len(r.Diff.Persisting))
	return err
}

// cascaded is an objective in a cascade, depth levels below its root.
type cascaded struct {
	o     *resolve.Objective
	depth int
}

// cascade returns the objectives under business objective bo, each
// followed by those cascaded under it (under it or one of its key
// results), depth first.
func cascade(objs []*resolve.Objective, bo string) []cascaded {
	under := map[string][]*resolve.Objective{} // parent key -> children
	var roots []*resolve.Objective
	for _, o := range objs {
		if o.BusinessObjective != bo {
			continue
		}
		if o.ParentKind == string(engine.KindBusinessObjective) || o.Parent == "" {
			roots = append(roots, o)
			continue
		}
		under[o.Parent] = append(under[o.Parent], o)
	}
	var out []cascaded
	seen := map[*resolve.Objective]bool{}
	var walk func(o *resolve.Objective, depth int)
	walk = func(o *resolve.Objective, depth int) {
		if seen[o] {
			return
		}
		seen[o] = true
		out = append(out, cascaded{o, depth})
		for _, c := range under[o.Key] {
			walk(c, depth+1)
		}
		for _, kr := range o.KeyResults {
			for _, c := range under[kr.Key] {
				walk(c, depth+1)
			}
		}
	}
	for _, o := range roots {
		walk(o, 0)
	}
	for _, o := range objs { // under a parent outside this business objective's list
		if o.BusinessObjective == bo && !seen[o] {
			walk(o, 1)
		}
	}
	return out
}

// parentName says what an objective hangs under: "KR key" or "key".
func parentName(o *resolve.Objective) string {
	if o.ParentKind == string(engine.KindKeyResult) {
		return "KR " + md(o.Parent)
	}
	return md(o.Parent)
}

// spanOf is a key result's baseline -> target with its unit.
func spanOf(kr *resolve.KeyResult) string {
	b, t := "-", "-"
	if kr.HasBaseline {
		b = engine.Number(kr.Baseline, kr.Unit)
	}
	if kr.HasTarget {
		t = engine.Number(kr.Target, kr.Unit)
	}
	return strings.TrimSpace(b + " -> " + t + " " + md(kr.Unit))
}

// md escapes text for a Markdown table cell.
// Besides the table's own syntax it escapes what would make user text a
// link, an image or HTML, so a board pack cannot carry scripts, javascript:
// links or tracking images from a plan.
func md(s string) string { return mdEscaper.Replace(s) }

var mdEscaper = strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ", "*", `\*`, "_", `\_`, "`", "\\`",
	"[", `\[`, "]", `\]`, "!", `\!`, "<", `\<`, "\\", `\\`)

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func sortedTeams(sc engine.Scorecard) []string {
	teams := make([]string, 0, len(sc.Teams))
	for t := range sc.Teams {
		teams = append(teams, t)
	}
	slices.Sort(teams)
	return teams
}

func join(items []string, f func(string) string) string {
	var b strings.Builder
	for _, it := range items {
		b.WriteString(f(it))
	}
	return b.String()
}
