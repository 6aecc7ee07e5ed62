package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/report"
	"github.com/okrmap/okrmap/engine/rules"
	"github.com/okrmap/okrmap/engine/service"
)

func (a *app) rulesCommand() *cobra.Command {
	var extra []string
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List, show, check and test alignment rules",
		Long: `Rules work with rule packs: YAML files of expr rules (schemas/rulepack.schema.json).
The built-in pack okrmap-default is always loaded unless rules.builtin is
false; rules.packs in the config and --rules add more.`,
		Args: args(cobra.NoArgs),
	}
	cmd.PersistentFlags().StringArrayVar(&extra, "rules", nil, "a rule pack file to load besides the configured ones (repeatable)")

	var pack, output string
	var dev []string
	list := &cobra.Command{
		Use:   "list",
		Short: "List the rules that lint and audits evaluate",
		Example: `  okrmap rules list
  okrmap rules list --pack okrmap-default -o json
  okrmap rules list --rules saas.yaml
  okrmap rules list --plugin-dev ./okrmap-plugin-winrate --pack winrate`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(output, "table", "json", "yaml"); err != nil {
				return err
			}
			rs, err := a.offline().Rules(cmd.Context(), extra, pack, a.devPlugins(dev)...)
			if err != nil {
				return err
			}
			l := &listing{header: []string{"ID", "SEVERITY", "SCOPE", "TAGS", "PACK", "NAME"}}
			for _, r := range rs {
				l.add(r.ID, r, r.ID, r.Severity, r.Scope, strings.Join(r.Tags, ","), r.Pack, r.Name)
			}
			return l.print(a.stdout, output)
		},
	}
	list.Flags().StringVar(&pack, "pack", "", "only rules defined by this pack or plugin")
	list.Flags().StringArrayVar(&dev, "plugin-dev", nil, devPluginHelp)
	list.Flags().StringVarP(&output, "output", "o", "table", "table, json or yaml")

	var showOutput string
	show := &cobra.Command{
		Use:     "show ID",
		Short:   "Show a rule's expressions, doc and fix",
		Example: "  okrmap rules show kpi-unlinked\n  okrmap rules show kpi-unlinked -o json\n  okrmap rules show winrate-low --plugin-dev ./okrmap-plugin-winrate",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, ids []string) error {
			if err := checkFormat(showOutput, "text", "json", "yaml"); err != nil {
				return err
			}
			r, err := a.offline().Rule(cmd.Context(), extra, ids[0], a.devPlugins(dev)...)
			if err != nil {
				return err
			}
			switch showOutput {
			case "json":
				return writeJSON(a.stdout, r)
			case "yaml":
				return writeYAML(a.stdout, r)
			}
			w := a.stdout
			fmt.Fprintf(w, "%s: %s\n\n", r.ID, r.Name)
			fmt.Fprintf(w, "  severity  %s\n  scope     %s\n  tags      %s\n  pack      %s\n", r.Severity, r.Scope, strings.Join(r.Tags, ", "), r.Pack)
			if r.When != "" {
				fmt.Fprintf(w, "  when      %s\n", strings.TrimSpace(r.When))
			}
			if r.Assert != "" { // a plugin's rules are code
				fmt.Fprintf(w, "  assert    %s\n  message   %s\n", strings.TrimSpace(r.Assert), r.Message)
			}
			fmt.Fprintf(w, "\n%s\n\nFix: %s\n", r.Doc, r.Fix)
			return nil
		},
	}

	show.Flags().StringVarP(&showOutput, "output", "o", "text", "text, json or yaml")
	show.Flags().StringArrayVar(&dev, "plugin-dev", nil, devPluginHelp)
	show.ValidArgsFunction = func(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if a.configure(cmd) != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		set, err := a.offline().RuleSet(extra)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var ids []cobra.Completion
		for _, r := range set.Rules {
			if strings.HasPrefix(r.ID, toComplete) {
				ids = append(ids, r.ID)
			}
		}
		return ids, cobra.ShellCompDirectiveNoFileComp
	}

	check := &cobra.Command{
		Use:   "check PACK...",
		Short: "Compile rule packs and report every problem, without evaluating",
		Long: `Check loads each pack with the packs it extends and compiles every expression
against its scope's typed environment. Problems name the file, line, rule id
and column, with the expression and a caret. A rule named like a pinned
plugin's rules is a problem too, and so are plugins.settings that the pinned
plugins do not accept (an unknown plugin or key, a value of the wrong type).`,
		Example: `  okrmap rules check saas.yaml`,
		Args:    args(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, files []string) error {
			var packs []*rules.Pack
			for _, f := range files {
				p, err := rules.LoadPack(f)
				if err != nil {
					return err
				}
				packs = append(packs, p)
			}
			set, err := rules.Compile(packs...)
			if err != nil {
				return err
			}
			if err := a.offline().CheckRuleNames(set); err != nil {
				return err
			}
			if err := a.offline().CheckPluginSettings(cmd.Context()); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "ok: %d rules from %d packs compile\n", len(set.Rules), len(set.Packs))
			return nil
		},
	}

	var cases []string
	test := &cobra.Command{
		Use:   "test [PACK...] --cases DIR|FILE",
		Short: "Run rule pack unit tests",
		Long: `Test runs rule cases against the packs (the configured ones when none are
named). A case file holds cases, each a small plan with optional check-ins
and measurements, a rule id, and the entities the rule must flag (fires) and
must not flag (quiet). Exit code 1 when a case fails.`,
		Example: `  okrmap rules test --cases engine/rules/testdata/default
  okrmap rules test saas.yaml --cases saas-cases/`,
		Args: args(cobra.ArbitraryArgs),
		RunE: func(cmd *cobra.Command, files []string) error {
			set, err := a.offline().RuleSet(append(slices.Clone(extra), files...))
			if err != nil {
				return err
			}
			paths, err := caseFiles(cases)
			if err != nil {
				return err
			}
			results, err := set.RunCases(cmd.Context(), paths...)
			if err != nil {
				return err
			}
			failed := 0
			for _, r := range results {
				if r.Passed() {
					continue
				}
				failed++
				for _, f := range r.Failures {
					fmt.Fprintf(a.stdout, "FAIL %s: %s: %s\n", r.File, r.Name, f)
				}
			}
			fmt.Fprintf(a.stdout, "%d passed, %d failed\n", len(results)-failed, failed)
			if failed > 0 {
				return findingsError{fmt.Sprintf("%d rule case%s failed", failed, plural(failed))}
			}
			return nil
		},
	}
	test.Flags().StringArrayVar(&cases, "cases", nil, "a case file, or a directory of *.yaml case files (repeatable)")
	cmd.AddCommand(list, show, check, test)
	return cmd
}

func caseFiles(args []string) ([]string, error) {
	if len(args) == 0 {
		return nil, usageError{fmt.Errorf("name case files or directories with --cases")}
	}
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, engine.Errorf(engine.EINVALID, "cannot read rule cases: %v", err)
		}
		if !st.IsDir() {
			out = append(out, a)
			continue
		}
		files, _ := filepath.Glob(filepath.Join(a, "*.yaml"))
		out = append(out, files...)
	}
	return out, nil
}

func (a *app) lintCommand() *cobra.Command {
	var extra []string
	var failOn, output, today string
	var plugins bool
	var devPlugins []string
	cmd := &cobra.Command{
		Use:   "lint FILE...",
		Short: "Run the alignment rules over plan files, without a database",
		Long: `Lint validates plan files, builds the alignment graph from them alone (no
check-ins or measurements), and evaluates the rule packs, so a team can check
a draft before applying it. Findings are listed by severity. With --plugins,
the pinned plugins check the plan files too, as in an audit.

Exit code 1 when a finding is at or above --fail-on (default error); 3 when a
plugin failed (its plugin-failure finding says why) or a rule hit a limit.`,
		Example: `  okrmap lint examples/saas-b2b/*.yaml
  okrmap lint marketing.yaml company.yaml --fail-on warning
  okrmap lint plan.yaml --rules saas.yaml -o json
  okrmap lint --plugins plan.yaml   # in CI, before anything is applied`,
		Args: args(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, files []string) error {
			if err := checkFormat(output, "text", "json", "yaml", "sarif"); err != nil {
				return err
			}
			threshold, err := failThreshold(failOn)
			if err != nil {
				return err
			}
			day, err := judgeDay(today)
			if err != nil {
				return err
			}
			res, err := a.offline().Lint(cmd.Context(), service.LintRequest{Files: files, Packs: extra, Today: day, Plugins: plugins,
				DevPlugins: a.devPlugins(devPlugins)})
			if err != nil {
				return err
			}
			if err := a.printFindings(res.Findings, res.Rules, output); err != nil {
				return err
			}
			if len(res.Skipped) > 0 && output == "text" {
				fmt.Fprintf(a.stdout, "Skipped %d rules that judge check-in and measurement history: %s\n", len(res.Skipped), strings.Join(res.Skipped, ", "))
			}
			if len(res.Stopped) > 0 {
				return fmt.Errorf("the lint is incomplete: %w", &rules.BudgetError{Rules: res.Stopped})
			}
			if len(res.Failed) > 0 {
				return fmt.Errorf("the lint is incomplete: plugin %s failed; its plugin-failure finding says why", strings.Join(res.Failed, ", "))
			}
			if failing(res.Findings, threshold) {
				return findingsError{"findings at or above --fail-on " + failOn}
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&extra, "rules", nil, "a rule pack file to load besides the configured ones (repeatable)")
	cmd.Flags().StringVar(&failOn, "fail-on", "error", "exit 1 on findings at or above: error, warning, info or never")
	cmd.Flags().StringVarP(&output, "output", "o", "text", "text, json, yaml or sarif (findings with the file and line of their entity)")
	cmd.Flags().StringVar(&today, "today", "", "judge as of this date, YYYY-MM-DD (default today)")
	cmd.Flags().BoolVar(&plugins, "plugins", false, "run the pinned plugins over the plan files too")
	cmd.Flags().StringArrayVar(&devPlugins, "plugin-dev", nil, devPluginHelp)
	return cmd
}

// judgeDay returns the day --today names; zero (today) when it is unset.
func judgeDay(today string) (engine.Date, error) {
	if today == "" {
		return engine.Date{}, nil
	}
	d, err := engine.ParseDate(today)
	if err != nil {
		return d, usageError{fmt.Errorf("--today: %w", err)}
	}
	return d, nil
}

// failing reports whether a judged, unwaived finding is at or above
// threshold.
func failing(fs []engine.Finding, threshold int) bool {
	for _, f := range fs {
		if !f.Waived() && !f.NotJudged && engine.SeverityRank(f.Severity) >= threshold {
			return true
		}
	}
	return false
}

func failThreshold(s string) (int, error) {
	if s == "never" {
		return 99, nil
	}
	if r := engine.SeverityRank(s); r > 0 {
		return r, nil
	}
	return 0, usageError{fmt.Errorf("--fail-on %q: use error, warning, info or never", s)}
}

// printFindings writes findings by severity, grouped by rule in pack order.
func (a *app) printFindings(fs []engine.Finding, rs *rules.Set, output string) error {
	switch output {
	case "json":
		if fs == nil {
			fs = []engine.Finding{}
		}
		return writeJSON(a.stdout, fs)
	case "yaml":
		return writeYAML(a.stdout, fs)
	case "sarif":
		w, _ := report.Get("sarif")
		return w.Write(a.stdout, &report.Report{Run: &engine.AuditRun{Scope: "lint", Complete: true, Findings: fs}})
	}
	if len(fs) == 0 {
		fmt.Fprintln(a.stdout, "No findings.")
		return nil
	}
	order := map[string]int{}
	for i, r := range rs.Rules {
		order[r.ID] = i
	}
	fs = slices.Clone(fs)
	slices.SortStableFunc(fs, func(x, y engine.Finding) int { return order[x.Rule] - order[y.Rule] })
	counts := map[string]int{}
	for _, sev := range engine.Severities {
		var rows []engine.Finding
		for _, f := range fs {
			if f.Severity == sev {
				rows = append(rows, f)
			}
		}
		counts[sev] = len(rows)
		if len(rows) == 0 {
			continue
		}
		fmt.Fprintf(a.stdout, "%s (%d)\n", strings.ToUpper(sev), len(rows))
		tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
		for _, f := range rows {
			if f.File != "" {
				fmt.Fprintf(tw, "  %s\t%s:%d\t%s\n", f.Rule, f.File, f.Line, f.Message)
			} else {
				fmt.Fprintf(tw, "  %s\t%s\n", f.Rule, f.Message)
			}
		}
		tw.Flush()
		fmt.Fprintln(a.stdout)
	}
	fmt.Fprintf(a.stdout, "%d findings: %d errors, %d warnings, %d info\n", len(fs), counts["error"], counts["warning"], counts["info"])
	return nil
}

// findingsError ends a command with exit code 1 after it printed its
// results: findings at or above --fail-on, or failing rule cases.
type findingsError struct{ msg string }

func (e findingsError) Error() string { return e.msg }
