package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/service"
	"github.com/okrmap/okrmap/engine/tree"
)

func (a *app) treeCommand() *cobra.Command {
	var sf scopeFlags
	var output string
	var depth int
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
  okrmap tree --period 2026-Q4 --team marketing
  okrmap tree --depth 3 -o json`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			scope, err := sf.scope()
			if err != nil {
				return err
			}
			if err := checkFormat(output, "text", "json", "yaml"); err != nil {
				return err
			}
			return a.withService(cmd, func(ctx context.Context, s *service.Service) error {
				t, err := s.Tree(ctx, scope, depth)
				if err != nil {
					return err
				}
				switch output {
				case "json":
					return writeJSON(a.stdout, t)
				case "yaml":
					return writeYAML(a.stdout, t)
				}
				return writeOutput(a.stdout, "", func(w io.Writer) error {
					writeTree(w, t)
					return nil
				})
			})
		},
	}
	sf.register(a, cmd)
	cmd.Flags().StringVarP(&output, "output", "o", "text", "text, json or yaml (the model /api/v1/tree serves)")
	cmd.Flags().IntVar(&depth, "depth", 0, "levels to show from the P&L lines down; 0 shows all")
	return cmd
}

// node is a line of the text tree.
type node struct {
	label    string
	children []*node
}

// writeTree renders the alignment tree as text with box-drawing branches.
func writeTree(w io.Writer, t *tree.Tree) {
	if t.Empty {
		fmt.Fprintln(w, "Nothing to show: the database holds no objectives or KPIs yet. Apply a plan first: okrmap apply FILE...")
		return
	}
	if t.ScopeEmpty {
		fmt.Fprintf(w, "Nothing in scope %s: no objective or KPI matches it. okrmap get objectives lists periods and teams.\n", t.Scope)
		return
	}
	for _, line := range t.Lines {
		title := "P&L line: " + line.Title
		if line.Title == "" {
			title = "No P&L line (set pnl_line on these business objectives)"
		}
		render(w, &node{label: title, children: textNodes(line.Children)})
		fmt.Fprintln(w)
	}
	if len(t.Unparented) > 0 {
		render(w, &node{label: "Objectives that reach no business objective", children: textNodes(t.Unparented)})
		fmt.Fprintln(w)
	}
	if len(t.Unaligned) > 0 {
		orphans := make([]*node, len(t.Unaligned))
		for i, k := range t.Unaligned {
			why := "linked to nothing"
			if len(k.StopsAt) > 0 {
				why = "links stop at " + strings.Join(k.StopsAt, ", ")
			}
			orphans[i] = &node{label: kpiLabel(k) + " - " + why}
		}
		render(w, &node{label: fmt.Sprintf("KPIs that reach no business objective (%d)", len(orphans)), children: orphans})
	} else if t.KPIs > 0 {
		fmt.Fprintln(w, "Every KPI reaches a business objective.")
	}
}

func textNodes(ns []*tree.Node) []*node {
	out := make([]*node, len(ns))
	for i, n := range ns {
		l := label(n)
		if n.Below > 0 {
			l += fmt.Sprintf(" … %d more below", n.Below)
		}
		out[i] = &node{label: l, children: textNodes(n.Children)}
	}
	return out
}

func label(n *tree.Node) string {
	switch n.Kind {
	case string(engine.KindBusinessObjective):
		return fmt.Sprintf("%s · %s [%s]", n.Key, n.Title, join(n.Category, n.Period))
	case string(engine.KindObjective):
		s := fmt.Sprintf("%s · %s (%s)", n.Key, n.Title, join(n.Team, n.Period, n.Status))
		if n.SharedFrom != "" {
			s += " · shared: drawn in full under " + n.SharedFrom
		}
		return s
	case string(engine.KindKeyResult):
		return krLabel(n)
	}
	if n.Drives {
		return "KPI " + kpiLabel(n) + " · drives the KPI above"
	}
	return "KPI " + kpiLabel(n)
}

func krLabel(kr *tree.Node) string {
	s := fmt.Sprintf("KR %s · %s: %s → %s", kr.Key, kr.Title, orDash(numIn(kr.Baseline, kr.Unit)), orDash(numIn(kr.Target, kr.Unit)))
	if kr.Unit != "" {
		s += " " + kr.Unit
	}
	if kr.Current != nil {
		s += fmt.Sprintf(", now %s (%s)", numIn(kr.Current, kr.Unit), engine.Percent(*kr.Progress))
	}
	if !kr.Due.IsZero() {
		s += ", due " + kr.Due.String()
	}
	if kr.Score != nil {
		s += ", score " + num(kr.Score)
	}
	if f := kr.Forecast; f != nil {
		s += fmt.Sprintf(", forecast %s (%s to %s), %s likely to reach the target", numIn(&f.Value, kr.Unit), numIn(&f.Low, kr.Unit),
			numIn(&f.High, kr.Unit), engine.Percent(f.Likelihood))
	}
	return s
}

func kpiLabel(k *tree.Node) string {
	s := fmt.Sprintf("%s · %s", k.Key, k.Title)
	if attrs := join(k.KPIKind, k.Category, k.Team); attrs != "" {
		s += " [" + attrs + "]"
	}
	if k.Latest != nil {
		s += fmt.Sprintf(" latest %s on %s", strings.TrimSpace(numIn(k.Latest, k.Unit)+" "+k.Unit), k.LatestAt.Format("2006-01-02"))
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
