package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/resolve"
	"github.com/okrmap/okrmap/engine/sqlite"
)

func (a *app) treeCommand() *cobra.Command {
	var period, team string
	cmd := &cobra.Command{
		Use:   "tree",
		Short: "Print the alignment tree from P&L lines down to KPIs",
		Long: `Tree prints the alignment tree: each P&L line, the business objectives on it,
the objectives under them (following parents), their key results, and the
KPIs linked to each level, with the KPIs that drive them nested below. Then it
lists objectives and KPIs whose trace reaches no business objective.

--period and --team keep the objectives of that period or team, with the
objectives above them for context.`,
		Example: `  okrmap tree
  okrmap tree --period 2026-Q4 --team marketing`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if period != "" {
				p, err := engine.ParsePeriod(period)
				if err != nil {
					return usageError{err}
				}
				period = p.Name
			}
			return a.withDB(cmd, func(ctx context.Context, db *sqlite.DB) error {
				p, err := db.Plan(ctx)
				if err != nil {
					return err
				}
				latest, err := db.LatestMeasurements(ctx)
				if err != nil {
					return err
				}
				t := &treeView{g: engine.NewGraph(p), latest: latest, period: period, team: team, reaches: map[string]bool{}}
				// Where a KPI's links lead is resolve's trace, as in audits.
				for _, k := range resolve.Resolve(resolve.Input{Plan: p, Latest: latest, Today: engine.DateOf(a.now())}).KPIs {
					t.reaches[k.Key] = len(k.Reaches) > 0
				}
				if team != "" && t.g.Teams[team] == nil {
					return engine.Errorf(engine.ENOTFOUND, "no team %q; run 'okrmap get teams' for the list", team)
				}
				t.write(a.stdout)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&period, "period", "", "only objectives of this period, e.g. 2026-Q4")
	cmd.Flags().StringVar(&team, "team", "", "only objectives of this team (key)")
	return cmd
}

type treeView struct {
	g       *engine.Graph
	latest  map[string]engine.Measurement
	period  string
	team    string
	reaches map[string]bool // KPI key -> its trace reaches a business objective
	shown   map[string]bool // objective key -> shown
}

type node struct {
	label    string
	children []*node
}

// matches reports whether objective o passes the filters.
func (t *treeView) matches(o *engine.Objective) bool {
	if t.team != "" && o.Team != t.team {
		return false
	}
	if t.period != "" {
		p, err := engine.ParsePeriod(o.Period)
		return err == nil && p.Name == t.period
	}
	return true
}

// markShown marks objectives that match or have a matching descendant.
func (t *treeView) markShown(key string, seen map[string]bool) bool {
	if seen[key] {
		return t.shown[key]
	}
	seen[key] = true
	show := t.g.Objectives[key] != nil && t.matches(t.g.Objectives[key])
	for _, c := range t.g.Children[key] {
		if t.markShown(c, seen) {
			show = true
		}
	}
	t.shown[key] = show
	return show
}

func (t *treeView) write(w io.Writer) {
	g := t.g
	if len(g.Plan.BusinessObjectives)+len(g.Plan.Objectives)+len(g.Plan.KPIs) == 0 {
		fmt.Fprintln(w, "Nothing to show: the database holds no objectives or KPIs yet. Apply a plan first: okrmap apply FILE...")
		return
	}
	t.shown = map[string]bool{}
	seen := map[string]bool{}
	for _, o := range g.Plan.Objectives {
		t.markShown(o.Key, seen)
	}

	var lines []string // P&L lines in first-seen order
	byLine := map[string][]*engine.BusinessObjective{}
	for i := range g.Plan.BusinessObjectives {
		b := &g.Plan.BusinessObjectives[i]
		if t.team != "" && !t.anyChildShown(b.Key) {
			continue
		}
		if _, ok := byLine[b.PnLLine]; !ok {
			lines = append(lines, b.PnLLine)
		}
		byLine[b.PnLLine] = append(byLine[b.PnLLine], b)
	}
	for _, line := range lines {
		title := "P&L line: " + line
		if line == "" {
			title = "No P&L line (set pnl_line on these business objectives)"
		}
		root := &node{label: title}
		for _, b := range byLine[line] {
			root.children = append(root.children, t.businessObjective(b))
		}
		render(w, root)
		fmt.Fprintln(w)
	}

	var loose []*node
	for i := range g.Plan.Objectives {
		o := &g.Plan.Objectives[i]
		if t.shown[o.Key] && (o.Parent == "" || g.Objectives[o.Parent] == nil && g.BusinessObjectives[o.Parent] == nil) {
			loose = append(loose, t.objective(o, map[string]bool{}))
		}
	}
	if len(loose) > 0 {
		render(w, &node{label: "Objectives that reach no business objective", children: loose})
		fmt.Fprintln(w)
	}

	var orphans []*node
	for i := range g.Plan.KPIs {
		k := &g.Plan.KPIs[i]
		if t.team != "" && k.Team != t.team || t.reaches[k.Key] {
			continue
		}
		why := "linked to nothing"
		if len(k.Links) > 0 {
			targets := make([]string, len(k.Links))
			for j, l := range k.Links {
				targets[j] = l.To
			}
			why = "links stop at " + strings.Join(targets, ", ")
		}
		orphans = append(orphans, &node{label: t.kpiLabel(k) + " - " + why})
	}
	if len(orphans) > 0 {
		render(w, &node{label: fmt.Sprintf("KPIs that reach no business objective (%d)", len(orphans)), children: orphans})
	} else if len(g.Plan.KPIs) > 0 {
		fmt.Fprintln(w, "Every KPI reaches a business objective.")
	}
}

func (t *treeView) anyChildShown(key string) bool {
	for _, c := range t.g.Children[key] {
		if t.shown[c] {
			return true
		}
	}
	return false
}

func (t *treeView) businessObjective(b *engine.BusinessObjective) *node {
	n := &node{label: fmt.Sprintf("%s · %s [%s]", b.Key, b.Title, join(b.Category, b.Period))}
	for _, c := range t.g.Children[b.Key] {
		if t.shown[c] {
			n.children = append(n.children, t.objective(t.g.Objectives[c], map[string]bool{}))
		}
	}
	n.children = append(n.children, t.kpisLinkedTo(b.Key, map[string]bool{})...)
	return n
}

func (t *treeView) objective(o *engine.Objective, seen map[string]bool) *node {
	seen[o.Key] = true
	n := &node{label: fmt.Sprintf("%s · %s (%s)", o.Key, o.Title, join(o.Team, o.Period, o.Status))}
	for _, kr := range o.KeyResults {
		krNode := &node{label: krLabel(kr)}
		krNode.children = t.kpisLinkedTo(kr.Key, map[string]bool{})
		n.children = append(n.children, krNode)
	}
	n.children = append(n.children, t.kpisLinkedTo(o.Key, map[string]bool{})...)
	for _, c := range t.g.Children[o.Key] {
		if t.shown[c] && !seen[c] {
			n.children = append(n.children, t.objective(t.g.Objectives[c], seen))
		}
	}
	return n
}

func krLabel(kr engine.KeyResult) string {
	s := fmt.Sprintf("KR %s · %s: %s → %s", kr.Key, kr.Title, orDash(num(kr.Baseline)), orDash(num(kr.Target)))
	if kr.Unit != "" {
		s += " " + kr.Unit
	}
	if kr.Current != nil {
		s += fmt.Sprintf(", now %s (%s)", num(kr.Current), percent(kr.Progress()))
	}
	if !kr.Due.IsZero() {
		s += ", due " + kr.Due.String()
	}
	if kr.Score != nil {
		s += ", score " + num(kr.Score)
	}
	return s
}

// kpisLinkedTo returns nodes for the KPIs linking to key, each with the
// KPIs that drive it nested below.
func (t *treeView) kpisLinkedTo(key string, seen map[string]bool) []*node {
	var out []*node
	for _, k := range t.g.LinkedFrom[key] {
		if seen[k] {
			continue
		}
		seen[k] = true
		kpi := t.g.KPIs[k]
		prefix := "KPI "
		if t.g.KPIs[key] != nil {
			prefix = "drives ↑ KPI "
		}
		n := &node{label: prefix + t.kpiLabel(kpi)}
		n.children = t.kpisLinkedTo(k, seen)
		out = append(out, n)
	}
	return out
}

func (t *treeView) kpiLabel(k *engine.KPI) string {
	s := fmt.Sprintf("%s · %s", k.Key, k.Name)
	if attrs := join(k.Kind, k.Category, k.Team); attrs != "" {
		s += " [" + attrs + "]"
	}
	if m, ok := t.latest[k.Key]; ok {
		s += fmt.Sprintf(" latest %s on %s", strings.TrimSpace(num(&m.Value)+" "+k.Unit), m.At.Format("2006-01-02"))
	}
	return s
}

// render writes n and its children with box-drawing branches.
func render(w io.Writer, n *node) {
	fmt.Fprintln(w, n.label)
	renderChildren(w, n.children, "")
}

func renderChildren(w io.Writer, children []*node, indent string) {
	for i, c := range children {
		branch, next := "├── ", "│   "
		if i == len(children)-1 {
			branch, next = "└── ", "    "
		}
		fmt.Fprintln(w, indent+branch+c.label)
		renderChildren(w, c.children, indent+next)
	}
}

// join joins the non-empty parts with ", ".
func join(parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, ", ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
