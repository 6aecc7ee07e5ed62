package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/notify"
	"github.com/okrmap/okrmap/engine/report"
	"github.com/okrmap/okrmap/engine/service"
)

// scopeFlags are --period and --team, shared by the audit commands.
type scopeFlags struct {
	period string
	teams  []string
}

func (f *scopeFlags) register(a *app, cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.period, "period", "", "only objectives of this period, e.g. 2026-Q4")
	cmd.Flags().StringArrayVar(&f.teams, "team", nil, "only this team (repeatable)")
	cmd.RegisterFlagCompletionFunc("period", a.completePeriods)
	cmd.RegisterFlagCompletionFunc("team", a.completeKeys(engine.KindTeam))
}

func (f *scopeFlags) scope() (engine.Scope, error) {
	s, err := engine.NewScope(f.period, f.teams)
	if err != nil {
		return s, usageError{err}
	}
	return s, nil
}

func (a *app) auditCommand() *cobra.Command {
	var sf scopeFlags
	var extra, devPlugins []string
	var out outputFlags
	var failOn, today, notifyURL string
	var failOnNew, noStore bool
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Judge the stored plan, store the run, and report what changed",
		Long: `Audit reads the database in one consistent snapshot, evaluates the rule packs,
scores alignment per team and for the company, stores the run with its
findings, compares it with the previous run of the same scope, and reports.

Pinned plugins (okrmap plugins lock) run beside the rule packs.

Exit codes:
  0  nothing at or above --fail-on (or, with --fail-on-new, nothing new)
  1  findings at or above --fail-on
  2  usage, configuration or input error; nothing was stored
  3  internal failure, or a plugin failed: the run is stored, marked incomplete

Put it in cron or CI: see examples/ and the README.`,
		Example: `  okrmap audit
  okrmap audit --period 2026-Q4 --team marketing --fail-on warning
  okrmap audit -o json --out-file audit.json --fail-on never
  okrmap audit --fail-on-new          # fail only on findings new since the last run
  okrmap audit --notify https://hooks.example.com/okrmap -o html --out-file /srv/reports/okrmap.html`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			scope, err := sf.scope()
			if err != nil {
				return err
			}
			if err := out.resolve(a, cmd); err != nil {
				return err
			}
			format, output := out.format, out.file
			threshold, err := failThreshold(failOn)
			if err != nil {
				return err
			}
			day, err := judgeDay(today)
			if err != nil {
				return err
			}
			req := service.AuditRequest{Scope: scope, Packs: extra, Today: day, Author: a.cfg.Author,
				Format: format, Output: output, Color: output == "" && a.terminal(), NoStore: noStore,
				DevPlugins: a.devPlugins(devPlugins)}
			if noStore && notifyURL != "" {
				return usageError{fmt.Errorf("--notify tells webhooks about stored runs; drop it or --no-store")}
			}
			if notifyURL != "" {
				t := notify.Target{URL: notifyURL}
				if err := t.Check(); err != nil {
					return usageError{fmt.Errorf("--notify: %w", err)}
				}
				req.Notify = []notify.Target{t}
				// One short try: a slow webhook does not hold up a cron
				// job; what fails is sent by the next run.
				req.NotifyOnce = true
			}
			return a.withService(cmd, func(ctx context.Context, s *service.Service) error {
				bw := bufio.NewWriter(a.stdout)
				req.Writer = bw
				res, err := s.Audit(ctx, req)
				if err != nil {
					return err
				}
				if err := bw.Flush(); err != nil {
					return err
				}
				for _, err := range res.NotifyErrors {
					fmt.Fprintf(a.stderr, "okrmap: warning: %v; audit run %d is stored\n", err, res.Run.ID)
				}
				if !res.Run.Complete && noStore {
					return fmt.Errorf("the audit is incomplete: a plugin failed, or a rule was stopped by a limit (see their findings); nothing was stored")
				}
				if !res.Run.Complete {
					return fmt.Errorf("audit run %d is stored but incomplete: a plugin failed, or a rule was stopped by a limit (see their findings)", res.Run.ID)
				}
				what := fmt.Sprintf("audit run %d has", res.Run.ID)
				if noStore {
					what = "the audit (not stored) has"
				}
				judged := res.Run.Findings
				if failOnNew {
					judged = res.Diff.New
				}
				if failing(judged, threshold) {
					return findingsError{fmt.Sprintf("%s findings at or above --fail-on %s", what, failOn)}
				}
				return nil
			})
		},
	}
	sf.register(a, cmd)
	cmd.Flags().StringArrayVar(&extra, "rules", nil, "a rule pack file to load besides the configured ones (repeatable)")
	cmd.Flags().StringArrayVar(&devPlugins, "plugin-dev", nil, devPluginHelp+"; the run is marked dev")
	out.register(cmd, "text", report.Formats(), true)
	cmd.Flags().StringVar(&failOn, "fail-on", "error", "exit 1 on findings at or above: error, warning, info or never")
	cmd.Flags().BoolVar(&failOnNew, "fail-on-new", false, "count only findings new since the previous run of the scope")
	cmd.Flags().StringVar(&today, "today", "", "judge as of this date, YYYY-MM-DD (default today)")
	cmd.Flags().StringVar(&notifyURL, "notify", "", "post a JSON summary to this webhook when something changed since the last run")
	cmd.Flags().BoolVar(&noStore, "no-store", false, "judge and report without storing the run (the diff is against the latest stored run)")
	cmd.AddCommand(a.auditHistoryCommand(), a.auditShowCommand(), a.auditDiffCommand(), a.auditPruneCommand())
	return cmd
}

func (a *app) waiveCommand() *cobra.Command {
	var w engine.Waiver
	var until string
	cmd := &cobra.Command{
		Use:         "waive RULE ENTITY --reason R --until DATE",
		Annotations: map[string]string{takesArgs: "rule and entity"},
		Short:       "Silence one rule for matching entities until a date",
		Long: `Waive stores a waiver in the database: RULE's findings on ENTITY (a key or a
glob such as legacy-*) are still reported, as waived, and do not count
toward --fail-on; once the waiver expires the finding counts again and the
report says the waiver lapsed. A waiver for the same rule and entity
replaces the one before. 'okrmap waive list' and 'okrmap waive remove ID'
show and drop waivers.`,
		Example: `  okrmap waive kpi-unlinked email-open-rate --reason "Retired at the end of Q4" --until 2026-12-31
  okrmap waive kpi-stale 'legacy-*' --reason "Feed migrates in January" --until 2027-01-31 --owner ops@example.com
  okrmap waive list
  okrmap waive remove 3`,
		Args: args(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := engine.ParseDate(until)
			if err != nil {
				return usageError{fmt.Errorf("--until: %w", err)}
			}
			w.Rule, w.Entity, w.Until = args[0], args[1], d
			return a.withService(cmd, func(ctx context.Context, s *service.Service) error {
				stored, matches, err := s.Waive(ctx, w, a.cfg.Author)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "waiver %d: %s for %s until %s\n", stored.ID, stored.Rule, stored.Entity, stored.Until)
				if matches == 0 {
					fmt.Fprintf(a.stdout, "note: %s matches no entity now; it waives the rule for matching entities applied later\n", stored.Entity)
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&w.Reason, "reason", "", "why the finding may stand (required)")
	cmd.Flags().StringVar(&until, "until", "", "the last day the waiver holds, YYYY-MM-DD (required)")
	cmd.Flags().StringVar(&w.Owner, "owner", "", "who answers for the waiver (default: author)")

	var output string
	list := &cobra.Command{
		Use:     "list",
		Short:   "List waivers, expired ones marked",
		Example: "  okrmap waive list\n  okrmap waive list -o json",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(output, "table", "json", "yaml"); err != nil {
				return err
			}
			return a.withService(cmd, func(ctx context.Context, s *service.Service) error {
				ws, err := s.Waivers(ctx)
				if err != nil {
					return err
				}
				l := &listing{header: []string{"ID", "RULE", "ENTITY", "UNTIL", "EXPIRED", "OWNER", "REASON"}}
				for _, w := range ws {
					id := strconv.FormatInt(w.ID, 10)
					l.add(id, w, id, w.Rule, w.Entity, w.Until.String(), strconv.FormatBool(w.Expired), w.Owner, w.Reason)
				}
				return l.print(a.stdout, output)
			})
		},
	}
	list.Flags().StringVarP(&output, "output", "o", "table", "table, json or yaml")
	remove := &cobra.Command{
		Use:     "remove ID",
		Short:   "Remove a waiver; its findings count again",
		Example: "  okrmap waive remove 3",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, ids []string) error {
			id, err := strconv.ParseInt(ids[0], 10, 64)
			if err != nil || id < 1 {
				return usageError{fmt.Errorf("%q is not a waiver number; run 'okrmap waive list' for the list", ids[0])}
			}
			return a.withService(cmd, func(ctx context.Context, s *service.Service) error {
				w, err := s.Unwaive(ctx, id)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "removed waiver %d: %s for %s\n", w.ID, w.Rule, w.Entity)
				return nil
			})
		},
	}
	cmd.AddCommand(list, remove)
	return cmd
}

func (a *app) auditHistoryCommand() *cobra.Command {
	var sf scopeFlags
	var all bool
	var output string
	cmd := &cobra.Command{
		Use:   "history",
		Short: "List stored audit runs with counts and scores",
		Example: `  okrmap audit history
  okrmap audit history --period 2026-Q4 --team marketing
  okrmap audit history --all -o json`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			scope, err := sf.scope()
			if err != nil {
				return err
			}
			if err := checkFormat(output, "table", "json", "yaml"); err != nil {
				return err
			}
			return a.withService(cmd, func(ctx context.Context, s *service.Service) error {
				runs, err := s.Runs(ctx, scope, all)
				if err != nil {
					return err
				}
				l := &listing{header: []string{"RUN", "STARTED", "SCOPE", "COMPLETE", "ERRORS", "WARNINGS", "INFO", "SCORE"}}
				for _, r := range runs {
					score := "–"
					if c := r.Scorecard.Company; c.Scored() {
						score = fmt.Sprintf("%.1f (%d)", c.Overall, c.Rating)
					}
					complete := strconv.FormatBool(r.Complete)
					if len(r.DevPlugins()) > 0 {
						complete += " (dev)"
					}
					l.add(strconv.FormatInt(r.ID, 10), r, strconv.FormatInt(r.ID, 10), r.StartedAt.Format(time.RFC3339), r.Scope,
						complete, strconv.Itoa(r.Counts["error"]), strconv.Itoa(r.Counts["warning"]),
						strconv.Itoa(r.Counts["info"]), score)
				}
				return l.print(a.stdout, output)
			})
		},
	}
	sf.register(a, cmd)
	cmd.Flags().BoolVar(&all, "all", false, "runs of every scope")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table, json or yaml")
	return cmd
}

func parseRunID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id < 1 {
		return 0, usageError{fmt.Errorf("%q is not a run number; run 'okrmap audit history' for the list", s)}
	}
	return id, nil
}

func (a *app) auditShowCommand() *cobra.Command {
	var out outputFlags
	cmd := &cobra.Command{
		Use:     "show RUN",
		Short:   "Report a stored audit run, with what changed since the run before it",
		Example: "  okrmap audit show 12 -o json\n  okrmap audit show 12 -o html --out-file run-12.html",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, ids []string) error {
			id, err := parseRunID(ids[0])
			if err != nil {
				return err
			}
			if err := out.resolve(a, cmd); err != nil {
				return err
			}
			format := out.format
			w, _ := report.Get(format)
			return a.withService(cmd, func(ctx context.Context, s *service.Service) error {
				run, err := s.Run(ctx, id)
				if err != nil {
					return err
				}
				rep, err := s.Report(ctx, run, format)
				if err != nil {
					return err
				}
				return writeOutput(a.stdout, out.file, func(w2 io.Writer) error { return w.Write(w2, rep) })
			})
		},
	}
	out.register(cmd, "text", report.Formats(), true)
	return cmd
}

// terminal reports whether standard output is a terminal that wants colour
// (NO_COLOR unset).
func (a *app) terminal() bool {
	f, ok := a.rawStdout.(*os.File)
	if !ok || os.Getenv("NO_COLOR") != "" {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func (a *app) reportCommand() *cobra.Command {
	var sf scopeFlags
	var out outputFlags
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Render the latest stored audit run of a scope, without evaluating again",
		Long: `Report renders the latest stored audit run of the scope given by --period and
--team (the whole plan by default) in any report format: the Markdown board
pack for the quarterly review, a self-contained HTML page with the alignment
tree, or the machine formats. The tree and objective tables show the plan as
stored now.`,
		Example: `  okrmap report > board-pack.md
  okrmap report --period 2026-Q4 -o html --out-file q4.html`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			scope, err := sf.scope()
			if err != nil {
				return err
			}
			if err := out.resolve(a, cmd); err != nil {
				return err
			}
			format, output := out.format, out.file
			w, _ := report.Get(format)
			return a.withService(cmd, func(ctx context.Context, s *service.Service) error {
				run, err := s.LatestRun(ctx, scope)
				if err != nil {
					return err
				}
				rep, err := s.Report(ctx, run, format)
				if err != nil {
					return err
				}
				return writeOutput(a.stdout, output, func(w2 io.Writer) error { return w.Write(w2, rep) })
			})
		},
	}
	sf.register(a, cmd)
	out.register(cmd, "markdown", report.Formats(), true)
	return cmd
}

func (a *app) auditDiffCommand() *cobra.Command {
	var sf scopeFlags
	var output string
	var all bool
	cmd := &cobra.Command{
		Use:   "diff [RUN_A RUN_B]",
		Short: "List findings new, resolved and persisting between two runs",
		Long: `Diff compares two stored runs by finding fingerprint (rule, scope and entity).
Without arguments it compares the last two runs of the scope given by
--period and --team (the whole plan by default). New and resolved findings
are listed one by one; persisting ones are counted by rule, or listed with
--all. JSON output has every finding.`,
		Example: `  okrmap audit diff
  okrmap audit diff --all
  okrmap audit diff 11 12 -o json`,
		Args: args(func(cmd *cobra.Command, args []string) error {
			if len(args) != 0 && len(args) != 2 {
				return fmt.Errorf("accepts no runs or two, received %d", len(args))
			}
			return nil
		}),
		RunE: func(cmd *cobra.Command, ids []string) error {
			if err := checkFormat(output, "text", "json"); err != nil {
				return err
			}
			scope, err := sf.scope()
			if err != nil {
				return err
			}
			var from, to int64
			if len(ids) == 2 {
				if from, err = parseRunID(ids[0]); err != nil {
					return err
				}
				if to, err = parseRunID(ids[1]); err != nil {
					return err
				}
			}
			return a.withService(cmd, func(ctx context.Context, s *service.Service) error {
				d, err := s.Diff(ctx, scope, from, to)
				if err != nil {
					return err
				}
				if output == "json" {
					return writeJSON(a.stdout, d)
				}
				fmt.Fprintf(a.stdout, "Run %d -> run %d: %s\n", d.From, d.To, d.Summary())
				for _, g := range []struct {
					name string
					fs   []engine.Finding
				}{{"NEW", d.New}, {"RESOLVED", d.Resolved}, {"PERSISTING", d.Persisting}} {
					if len(g.fs) == 0 {
						continue
					}
					fmt.Fprintf(a.stdout, "\n%s (%d)\n", g.name, len(g.fs))
					if g.name == "PERSISTING" && !all {
						printByRule(a.stdout, g.fs)
						continue
					}
					for _, f := range g.fs {
						fmt.Fprintf(a.stdout, "  %-8s %s %s\n", f.Severity, f.Rule, f.Entity)
					}
				}
				return nil
			})
		},
	}
	sf.register(a, cmd)
	cmd.Flags().StringVarP(&output, "output", "o", "text", "text or json")
	cmd.Flags().BoolVar(&all, "all", false, "list every persisting finding, not a count by rule")
	return cmd
}

// printByRule writes how many of fs each rule has, most first, with the
// rule's severity.
func printByRule(w io.Writer, fs []engine.Finding) {
	type count struct {
		rule, severity string
		n              int
	}
	at := map[string]int{}
	var counts []count
	for _, f := range fs {
		i, ok := at[f.Rule]
		if !ok {
			i = len(counts)
			at[f.Rule] = i
			counts = append(counts, count{rule: f.Rule, severity: f.Severity})
		}
		counts[i].n++
	}
	slices.SortStableFunc(counts, func(a, b count) int { return b.n - a.n })
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, c := range counts {
		fmt.Fprintf(tw, "  %s\t%s\t%d\n", c.severity, c.rule, c.n)
	}
	tw.Flush()
	fmt.Fprintln(w, "  (--all lists them)")
}

func (a *app) auditPruneCommand() *cobra.Command {
	var keep int
	var olderThan string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "prune --keep N --older-than AGE",
		Short: "Delete old audit runs, keeping the latest of every scope",
		Long: `Prune deletes stored audit runs older than --older-than (days, 180d, or a
duration), except the --keep newest runs of each scope, so diffs,
--fail-on-new and scorecard series keep working. Runs share the findings they
have in common: a run whose findings did not change adds a list of ids, a
run that found new things adds those. Pruning deletes the runs and every
finding no kept run has; later writes reuse the space.`,
		Example: `  okrmap audit prune --keep 30 --older-than 180d
  okrmap audit prune --keep 1 --older-than 0d --dry-run`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if keep < 1 {
				return usageError{fmt.Errorf("--keep %d: keep at least the latest run of each scope", keep)}
			}
			age, err := parseAge(olderThan)
			if err != nil {
				return usageError{fmt.Errorf("--older-than: %w", err)}
			}
			return a.withService(cmd, func(ctx context.Context, s *service.Service) error {
				ids, err := s.PruneRuns(ctx, keep, s.Now().Add(-age), dryRun)
				if err != nil {
					return err
				}
				verb := "deleted"
				if dryRun {
					verb = "would delete"
				}
				fmt.Fprintf(a.stdout, "%s %d audit run%s\n", verb, len(ids), plural(len(ids)))
				return nil
			})
		},
	}
	cmd.Flags().IntVar(&keep, "keep", 10, "runs of each scope to keep, newest first (at least 1)")
	cmd.Flags().StringVar(&olderThan, "older-than", "180d", "delete only runs started longer ago than this: days (180d) or a duration (12h)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "say what would be deleted and delete nothing")
	return cmd
}

// parseAge reads days (180d) or a Go duration (12h).
func parseAge(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(d); err == nil && n >= 0 {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not an age such as 180d or 12h", s)
	}
	return d, nil
}
