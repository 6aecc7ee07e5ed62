package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/plan"
	"github.com/okrmap/okrmap/engine/service"
)

// listing is a kind's entities ready to print as a table, JSON or YAML.
type listing struct {
	header []string
	rows   [][]string
	items  []any
	keys   []string // the entity key of each row, for filtering by KEY
}

func (l *listing) add(key string, item any, row ...string) {
	l.keys = append(l.keys, key)
	l.items = append(l.items, item)
	l.rows = append(l.rows, row)
}

// kindLister builds the listing of one kind from the database.
type kindLister struct {
	names []string // first is canonical
	build func(ctx context.Context, db engine.Store, key string, s engine.Scope) (*listing, error)
}

// keyResultItem is a key result with its objective, for JSON and YAML.
type keyResultItem struct {
	Objective        string `json:"objective" yaml:"objective"`
	engine.KeyResult `yaml:",inline"`
}

// linkItem is one KPI link, for JSON and YAML.
type linkItem struct {
	KPI         string `json:"kpi" yaml:"kpi"`
	engine.Link `yaml:",inline"`
}

func fromPlan(build func(p *engine.Plan, l *listing)) func(context.Context, engine.Store, string, engine.Scope) (*listing, error) {
	return func(ctx context.Context, db engine.Store, _ string, s engine.Scope) (*listing, error) {
		p, err := db.Plan(ctx)
		if err != nil {
			return nil, err
		}
		for _, t := range s.Teams {
			if !slices.ContainsFunc(p.Teams, func(x engine.Team) bool { return x.Key == t }) {
				return nil, engine.NotFound(string(engine.KindTeam), "no team %q", t)
			}
		}
		l := &listing{}
		build(scoped(p, s), l)
		return l, nil
	}
}

// scoped keeps what a scope names: teams, objectives (with their key
// results) and investments of its teams and period, the teams' KPIs and
// their links, and business objectives of a period that covers the
// scope's. Assumptions are kept whole.
func scoped(p *engine.Plan, s engine.Scope) *engine.Plan {
	if s.Period == "" && len(s.Teams) == 0 {
		return p
	}
	out := *p
	out.Teams, out.Objectives, out.KPIs, out.Investments, out.BusinessObjectives = nil, nil, nil, nil, nil
	for _, t := range p.Teams {
		if s.HasTeam(t.Key) {
			out.Teams = append(out.Teams, t)
		}
	}
	teamOf := map[string]string{}
	for _, o := range p.Objectives {
		teamOf[o.Key] = o.Team
		if s.Objective(o.Team, o.Period) {
			out.Objectives = append(out.Objectives, o)
		}
	}
	for _, k := range p.KPIs {
		if s.HasTeam(k.Team) {
			out.KPIs = append(out.KPIs, k)
		}
	}
	for _, in := range p.Investments {
		if s.Objective(teamOf[in.Objective], in.Period) {
			out.Investments = append(out.Investments, in)
		}
	}
	inScope, _ := engine.ParsePeriod(s.Period)
	for _, b := range p.BusinessObjectives {
		per, err := engine.ParsePeriod(b.Period)
		if s.Period == "" || b.Period == "" || err == nil && per.Covers(inScope) {
			out.BusinessObjectives = append(out.BusinessObjectives, b)
		}
	}
	return &out
}

var listers = []kindLister{
	{[]string{"teams", "team"}, fromPlan(func(p *engine.Plan, l *listing) {
		l.header = []string{"KEY", "NAME", "FUNCTION", "CADENCE"}
		for _, t := range p.Teams {
			l.add(t.Key, t, t.Key, t.Name, t.Function, t.Cadence)
		}
	})},
	{[]string{"business-objectives", "business-objective", "business_objectives", "bo"}, fromPlan(func(p *engine.Plan, l *listing) {
		l.header = []string{"KEY", "TITLE", "CATEGORY", "P&L LINE", "PERIOD", "OWNER", "REVIEWED"}
		for _, b := range p.BusinessObjectives {
			l.add(b.Key, b, b.Key, b.Title, b.Category, b.PnLLine, b.Period, b.Owner, b.ReviewedAt.String())
		}
	})},
	{[]string{"objectives", "objective", "obj"}, fromPlan(func(p *engine.Plan, l *listing) {
		l.header = []string{"KEY", "TITLE", "TEAM", "PERIOD", "PARENT", "ALIGNS TO", "STATUS", "KRS"}
		for _, o := range p.Objectives {
			l.add(o.Key, o, o.Key, o.Title, o.Team, o.Period, o.Parent, strings.Join(o.AlignsTo, ","), o.Status, strconv.Itoa(len(o.KeyResults)))
		}
	})},
	{[]string{"key-results", "key-result", "key_results", "kr", "krs"}, fromPlan(func(p *engine.Plan, l *listing) {
		l.header = []string{"KEY", "OBJECTIVE", "TITLE", "BASELINE", "TARGET", "CURRENT", "UNIT", "DUE", "PROGRESS", "SCORE"}
		for _, o := range p.Objectives {
			for _, kr := range o.KeyResults {
				l.add(kr.Key, keyResultItem{o.Key, kr}, kr.Key, o.Key, kr.Title, numIn(kr.Baseline, kr.Unit), numIn(kr.Target, kr.Unit),
					numIn(kr.Current, kr.Unit), kr.Unit, kr.Due.String(), engine.Percent(kr.Progress()), num(kr.Score))
			}
		}
	})},
	{[]string{"kpis", "kpi"}, fromPlan(func(p *engine.Plan, l *listing) {
		l.header = []string{"KEY", "NAME", "KIND", "CATEGORY", "UNIT", "TEAM", "FREQUENCY", "LINKS"}
		for _, k := range p.KPIs {
			l.add(k.Key, k, k.Key, k.Name, k.Kind, k.Category, k.Unit, k.Team, k.Frequency, strconv.Itoa(len(k.Links)))
		}
	})},
	{[]string{"links", "link"}, fromPlan(func(p *engine.Plan, l *listing) {
		l.header = []string{"KPI", "TO", "WEIGHT", "ASSUMPTIONS", "RATIONALE"}
		for _, k := range p.KPIs {
			for _, ln := range k.Links {
				l.add(k.Key, linkItem{k.Key, ln}, k.Key, ln.To, num(ln.Weight), strings.Join(ln.Assumptions, ","), ln.Rationale)
			}
		}
	})},
	{[]string{"assumptions", "assumption"}, fromPlan(func(p *engine.Plan, l *listing) {
		l.header = []string{"KEY", "STATUS", "OWNER", "REVIEW BY", "STATEMENT"}
		for _, as := range p.Assumptions {
			l.add(as.Key, as, as.Key, as.Status, as.Owner, as.ReviewBy.String(), as.Statement)
		}
	})},
	{[]string{"investments", "investment"}, fromPlan(func(p *engine.Plan, l *listing) {
		l.header = []string{"KEY", "NAME", "AMOUNT", "CURRENCY", "OBJECTIVE", "RETURN KPI", "RETURN"}
		for _, in := range p.Investments {
			kpi, ret := "", ""
			if in.ExpectedReturn != nil {
				kpi, ret = in.ExpectedReturn.KPI, num(&in.ExpectedReturn.Value)
			}
			l.add(in.Key, in, in.Key, in.Name, num(&in.Amount), in.Currency, in.Objective, kpi, ret)
		}
	})},
	{[]string{"checkins", "checkin", "check-ins"}, func(ctx context.Context, db engine.Store, key string, _ engine.Scope) (*listing, error) {
		cs, err := db.CheckIns(ctx, key)
		if err != nil {
			return nil, err
		}
		l := &listing{header: []string{"KEY RESULT", "AT", "VALUE", "CONFIDENCE", "AUTHOR", "NOTE"}}
		for _, c := range cs {
			value := num(&c.Value)
			if c.Comment {
				value = "(comment)"
			}
			l.add(c.KeyResult, c, c.KeyResult, c.At.Format(time.RFC3339), value, num(c.Confidence), c.Author, c.Note)
		}
		return l, nil
	}},
	{[]string{"measurements", "measurement"}, func(ctx context.Context, db engine.Store, key string, _ engine.Scope) (*listing, error) {
		ms, err := db.Measurements(ctx, key)
		if err != nil {
			return nil, err
		}
		l := &listing{header: []string{"KPI", "AT", "VALUE", "AUTHOR", "NOTE"}}
		for _, m := range ms {
			l.add(m.KPI, m, m.KPI, m.At.Format(time.RFC3339), num(&m.Value), m.Author, m.Note)
		}
		return l, nil
	}},
	{[]string{"archived"}, func(ctx context.Context, db engine.Store, key string, _ engine.Scope) (*listing, error) {
		as, err := db.Archived(ctx, key)
		if err != nil {
			return nil, err
		}
		l := &listing{header: []string{"KIND", "KEY", "DELETED", "BY", "HISTORY"}}
		for _, a := range as {
			item := archivedItem{Kind: a.Kind, Key: a.Key, DeletedAt: a.DeletedAt, Author: a.Author}
			if err := errors.Join(json.Unmarshal([]byte(a.Entity), &item.Entity), json.Unmarshal([]byte(a.History), &item.History)); err != nil {
				return nil, fmt.Errorf("archived %s: %w", a.Key, err)
			}
			history := item.History
			l.add(a.Key, item, string(a.Kind), a.Key, a.DeletedAt.Format(time.RFC3339), a.Author, strconv.Itoa(len(history)))
		}
		return l, nil
	}},
}

// archivedItem is a deleted entity with its definition and history as
// objects, for JSON and YAML.
type archivedItem struct {
	Kind      engine.Kind    `json:"kind" yaml:"kind"`
	Key       string         `json:"key" yaml:"key"`
	DeletedAt time.Time      `json:"deleted_at" yaml:"deleted_at"`
	Author    string         `json:"author,omitempty" yaml:"author,omitempty"`
	Entity    map[string]any `json:"entity" yaml:"entity"`
	History   []any          `json:"history" yaml:"history"`
}

func kindNames() []string {
	var names []string
	for _, k := range listers {
		names = append(names, k.names[0])
	}
	return names
}

func (a *app) getCommand() *cobra.Command {
	var output string
	var sf scopeFlags
	cmd := &cobra.Command{
		Use:   "get KIND [KEY]",
		Short: "List entities of one kind, or show one by key",
		Long: `Get lists the entities of one kind from the database, or only those with KEY.
For checkins and measurements KEY names the key result or KPI; archived lists
deleted entities with their last definition and history.

Kinds: ` + strings.Join(kindNames(), ", ") + `.
Singular names and the short forms bo, obj and kr work too.`,
		Example: `  okrmap get kpis
  okrmap get objectives --team marketing --period 2026-Q4
  okrmap get kr sme-sqls -o json
  okrmap get measurements sourced-pipeline -o yaml`,
		Args: args(cobra.RangeArgs(1, 2)),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return kindNames(), cobra.ShellCompDirectiveNoFileComp
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			i := slices.IndexFunc(listers, func(k kindLister) bool { return slices.Contains(k.names, strings.ToLower(args[0])) })
			if i < 0 {
				return usageError{fmt.Errorf("unknown kind %q; use one of: %s", args[0], strings.Join(kindNames(), ", "))}
			}
			if err := checkFormat(output, "table", "json", "yaml"); err != nil {
				return err
			}
			key := ""
			if len(args) == 2 {
				key = args[1]
			}
			return a.withService(cmd, func(ctx context.Context, s *service.Service) error {
				sc, err := sf.scope()
				if err != nil {
					return err
				}
				l, err := listers[i].build(ctx, s.DB(), key, sc)
				if err != nil {
					return err
				}
				if key != "" {
					l = l.only(key)
					if len(l.items) == 0 {
						return engine.Errorf(engine.ENOTFOUND, "no %s with key %q; run 'okrmap get %s' for the list", strings.TrimSuffix(listers[i].names[0], "s"), key, listers[i].names[0])
					}
					// One entity by its key is one object, not a list of
					// one; a key result's check-ins stay a list.
					if kind := listers[i].names[0]; kind != "checkins" && kind != "measurements" && len(l.items) == 1 {
						switch output {
						case "json":
							return writeJSON(a.stdout, l.items[0])
						case "yaml":
							return writeYAML(a.stdout, l.items[0])
						}
					}
				}
				return l.print(a.stdout, output)
			})
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table, json or yaml")
	cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"table", "json", "yaml"}, cobra.ShellCompDirectiveNoFileComp))
	sf.register(a, cmd)
	return cmd
}

func (l *listing) only(key string) *listing {
	out := &listing{header: l.header}
	for i, k := range l.keys {
		if k == key {
			out.add(k, l.items[i], l.rows[i]...)
		}
	}
	return out
}

func (l *listing) print(w io.Writer, format string) error {
	switch format {
	case "json":
		return writeJSON(w, l.items)
	case "yaml":
		return writeYAML(w, l.items)
	}
	if len(l.rows) == 0 {
		_, err := fmt.Fprintln(w, "(none)")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(l.header, "\t"))
	for _, r := range l.rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

func writeJSON(w io.Writer, v any) error {
	if items, ok := v.([]any); ok && items == nil {
		v = []any{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func writeYAML(w io.Writer, v any) error { return plan.EncodeYAML(w, v) }

func checkFormat(format string, allowed ...string) error {
	if !slices.Contains(allowed, format) {
		return usageError{fmt.Errorf("unknown output format %q; use one of: %s", format, strings.Join(allowed, ", "))}
	}
	return nil
}

// num formats an optional number compactly; nil is "".
// num formats a number for people (see engine.Number); "" for none.
func num(p *float64) string { return numIn(p, "") }

// numIn formats a number in unit for people.
func numIn(p *float64, unit string) string {
	if p == nil {
		return ""
	}
	return engine.Number(*p, unit)
}
