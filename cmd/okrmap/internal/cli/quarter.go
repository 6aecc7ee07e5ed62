package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/csvimport"
	"github.com/okrmap/okrmap/engine/service"
)

// recordFlags are the flags shared by commands that append history.
type recordFlags struct {
	value  float64
	note   string
	at     string
	output string
}

func (f *recordFlags) register(cmd *cobra.Command, valueHelp string) {
	textOrJSON(cmd, &f.output)
	cmd.Flags().Float64Var(&f.value, "value", 0, valueHelp)
	cmd.Flags().StringVar(&f.note, "note", "", "a note on the value")
	cmd.Flags().StringVar(&f.at, "at", "", "when, as a date or RFC 3339 time (default now)")
}

// when checks that --value was given (or, where comment allows, a note
// instead) and returns --at (zero for now).
func (f *recordFlags) when(cmd *cobra.Command, comment bool) (time.Time, error) {
	if err := checkFormat(f.output, "text", "json"); err != nil {
		return time.Time{}, err
	}
	if !cmd.Flags().Changed("value") && !(comment && strings.TrimSpace(f.note) != "") {
		if comment {
			return time.Time{}, usageError{fmt.Errorf("--value is required, or --note alone for a comment; usage: %s", cmd.UseLine())}
		}
		return time.Time{}, usageError{fmt.Errorf("--value is required; usage: %s", cmd.UseLine())}
	}
	if f.at == "" {
		return time.Time{}, nil
	}
	t, err := csvimport.ParseTime(f.at)
	if err != nil {
		return time.Time{}, usageError{err}
	}
	return t, nil
}

func (a *app) checkinCommand() *cobra.Command {
	var f recordFlags
	var confidence float64
	cmd := &cobra.Command{
		Use:               "checkin KEY_RESULT --value V | --note TEXT",
		ValidArgsFunction: a.completeKeys(engine.KindKeyResult),
		Short:             "Record progress on a key result",
		Long: `Checkin appends a check-in to a key result's history and makes its value
(and confidence, when given) the key result's current ones. A check-in with
--note and no --value is a comment: it is kept in the history and counts as
checking in, and moves no progress. Check-ins on a closed objective's key
results are refused.`,
		Example: `  okrmap checkin sme-sqls --value 3400
  okrmap checkin sme-sqls --value 3650 --confidence 0.7 --note "webinar series landed"
  okrmap checkin sme-sqls --value 3100 --at 2026-10-15
  okrmap checkin sme-sqls --note "no progress this week: the campaign slipped to December"`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			when, err := f.when(cmd, true)
			if err != nil {
				return err
			}
			c := engine.CheckIn{KeyResult: args[0], At: when, Value: f.value, Note: f.note, Author: a.cfg.Author,
				Comment: !cmd.Flags().Changed("value")}
			if cmd.Flags().Changed("confidence") {
				c.Confidence = &confidence
			}
			return a.withService(cmd, func(ctx context.Context, s *service.Service) error {
				rec, err := s.Record(ctx, engine.Batch{CheckIns: []engine.CheckIn{c}})
				if err != nil {
					return err
				}
				what := num(&c.Value)
				if c.Comment {
					what = "a comment"
				}
				return a.answer(f.output, rec, func() {
					if rec.Duplicates > 0 {
						fmt.Fprintf(a.stdout, "%s already has this check-in (%s at that time); nothing was stored\n", c.KeyResult, what)
						return
					}
					fmt.Fprintf(a.stdout, "checked in %s: %s\n", c.KeyResult, what)
				})
			})
		},
	}
	f.register(cmd, "the key result's current value (required, unless --note alone makes a comment)")
	cmd.Flags().Float64Var(&confidence, "confidence", 0, "confidence of reaching the target, 0 to 1")
	return cmd
}

func (a *app) measureCommand() *cobra.Command {
	var f recordFlags
	cmd := &cobra.Command{
		Use:               "measure KPI --value V",
		ValidArgsFunction: a.completeKeys(engine.KindKPI),
		Short:             "Record a KPI measurement",
		Long:              `Measure appends one value to a KPI's measurement history.`,
		Example: `  okrmap measure sourced-pipeline --value 1250000
  okrmap measure cac --value 412 --at 2026-11-01`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			when, err := f.when(cmd, false)
			if err != nil {
				return err
			}
			m := engine.Measurement{KPI: args[0], At: when, Value: f.value, Note: f.note, Author: a.cfg.Author}
			return a.withService(cmd, func(ctx context.Context, s *service.Service) error {
				rec, err := s.Record(ctx, engine.Batch{Measurements: []engine.Measurement{m}})
				if err != nil {
					return err
				}
				return a.answer(f.output, rec, func() {
					if rec.Duplicates > 0 {
						fmt.Fprintf(a.stdout, "%s already has this measurement (%s at that time); nothing was stored\n", m.KPI, num(&m.Value))
						return
					}
					fmt.Fprintf(a.stdout, "measured %s: %s\n", m.KPI, num(&m.Value))
				})
			})
		},
	}
	f.register(cmd, "the measured value (required)")
	return cmd
}

func (a *app) importCommand() *cobra.Command {
	imp := &cobra.Command{
		Use:   "import",
		Short: "Import history from files",
		Args:  args(cobra.NoArgs),
	}
	imp.AddCommand(a.importFileCommand(&cobra.Command{
		Use:   "measurements FILE.csv",
		Short: "Import KPI measurements from CSV, all or nothing",
		Long: `Import measurements reads a CSV file whose header names the columns kpi, at
and value (author and note are optional), checks every row, and records all
of them in one transaction, or none when any row is wrong. Problems are
listed by line and column. at is a date (2026-11-20) or an RFC 3339 time.
Use - to read standard input.`,
		Example: `  okrmap import measurements examples/saas-b2b/measurements.csv
  export-from-warehouse | okrmap import measurements -`,
	}, "measurement", (*service.Service).ImportMeasurements))
	imp.AddCommand(a.importFileCommand(&cobra.Command{
		Use:   "checkins FILE.csv",
		Short: "Import key result check-ins from CSV, all or nothing",
		Long: `Import checkins reads a CSV file whose header names the columns key_result, at
and value (confidence, author and note are optional), checks every row, and
records all of them in one transaction, or none when any row is wrong, as
okrmap checkin does one by one. A row with a note and no value is a comment.
Problems are listed by line and column. at is a date or an RFC 3339 time.
Use - to read standard input.`,
		Example: `  okrmap import checkins checkins.csv
  printf 'key_result,at,value,confidence\nsme-sqls,2026-11-10,3400,0.7\n' | okrmap import checkins -`,
	}, "check-in", (*service.Service).ImportCheckIns))
	return imp
}

// importFileCommand completes cmd into a command that imports the CSV file
// it names (- for standard input) with imp, and says how many noun rows
// were stored.
func (a *app) importFileCommand(cmd *cobra.Command, noun string,
	imp func(s *service.Service, ctx context.Context, name string, r io.Reader, author string) (engine.Recorded, error)) *cobra.Command {
	var output string
	cmd.Args = args(cobra.ExactArgs(1))
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := checkFormat(output, "text", "json"); err != nil {
			return err
		}
		name := args[0]
		in := a.stdin
		if name != "-" {
			// Only regular files: opening a FIFO would wait for a writer.
			if st, err := os.Stat(name); err == nil && !st.Mode().IsRegular() {
				return engine.Errorf(engine.EINVALID, "%s is not a regular file; give a CSV file, or - for standard input", name)
			}
			f, err := os.Open(name)
			if err != nil {
				return engine.Errorf(engine.EINVALID, "cannot read %ss: %v", noun, err)
			}
			defer f.Close()
			in = f
		}
		return a.withService(cmd, func(ctx context.Context, s *service.Service) error {
			rec, err := imp(s, ctx, name, in, a.cfg.Author)
			if err != nil {
				return err
			}
			return a.answer(output, rec, func() {
				fmt.Fprintf(a.stdout, "imported %d %s%s", rec.Stored, noun, plural(rec.Stored))
				if rec.Duplicates > 0 {
					fmt.Fprintf(a.stdout, "; %d were already stored and were not stored again", rec.Duplicates)
				}
				fmt.Fprintln(a.stdout)
			})
		})
	}
	textOrJSON(cmd, &output)
	return cmd
}

func (a *app) quarterCommand() *cobra.Command {
	q := &cobra.Command{
		Use:   "quarter",
		Short: "Close a period and roll unfinished work forward",
		Args:  args(cobra.NoArgs),
	}
	var next, closeOutput string
	var dryRun, force bool
	var rename map[string]string
	closeCmd := &cobra.Command{
		Use:               "close PERIOD",
		ValidArgsFunction: a.completePeriods,
		Short:             "Score every key result of a period and close its objectives",
		Long: `Close scores every key result of the period's objectives from 0.0 to 1.0 and
closes the objectives, in one transaction.

Scores are linear from baseline to target, respecting direction, clamped to
0-1: increase (current-baseline)/(target-baseline); decrease
(baseline-current)/(baseline-target); maintain 1.0 within 5% of the target,
falling to 0.0 at 25% away.

With --roll-forward NEXT, each objective with unfinished key results (score
below 1) is copied into NEXT with those key results, their current value as
the new baseline and due at the end of NEXT. KPIs linked to the originals
are linked to the copies. Closing again re-scores and creates no duplicates.

A copy's key names the next period: a key with the closed period (or its
quarter or half) as a dash-separated part gets the next one there
(q4-net-revenue becomes q1-net-revenue, growth-2026-q4 growth-2027-q1);
any other key gets the next period appended (win-sme becomes win-sme-2027-q1).
--rename OLD=NEW chooses a copy's key yourself; repeat it for more.

A period that has not ended yet is refused, since closing it stops its
check-ins, unless --force. --dry-run shows the scores, the objectives it would
close and what would roll forward, and writes nothing. 'okrmap quarter reopen'
undoes a close that nothing has been built on since.`,
		Example: `  okrmap quarter close 2026-Q4 --dry-run
  okrmap quarter close 2026-Q4
  okrmap quarter close 2026-Q4 --roll-forward 2027-Q1
  okrmap quarter close 2026-Q4 --roll-forward 2027-Q1 --rename win-sme=win-sme-again --dry-run`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(closeOutput, "text", "json"); err != nil {
				return err
			}
			return a.withService(cmd, func(ctx context.Context, s *service.Service) error {
				if len(rename) > 0 && next == "" {
					return usageError{fmt.Errorf("--rename names the keys of copies, and only --roll-forward makes copies")}
				}
				res, err := s.CloseQuarter(ctx, engine.CloseRequest{Period: args[0], Next: next, DryRun: dryRun, Force: force,
					Author: a.cfg.Author, Rename: rename})
				if engine.ErrorCode(err) == engine.ECONFLICT && !force {
					return fmt.Errorf("%w; add --force to close it anyway, or --dry-run to preview", err)
				}
				if err != nil {
					return err
				}
				return a.answer(closeOutput, map[string]any{"dry_run": dryRun, "close": res}, func() {
					if dryRun {
						fmt.Fprintln(a.stdout, "Dry run: nothing was written.")
					}
					a.printClose(res)
					if per, err := engine.ParsePeriod(args[0]); dryRun && !force && err == nil && !s.Today(engine.Date{}).After(per.End) {
						fmt.Fprintf(a.stdout, "%s has not ended (it ends %s): the close itself will be refused unless --force.\n", per.Name, per.End)
					}
				})
			})
		},
	}
	closeCmd.Flags().StringVar(&next, "roll-forward", "", "copy unfinished objectives and key results into this period")
	closeCmd.Flags().BoolVar(&dryRun, "dry-run", false, "show the scores and what would roll forward, and write nothing")
	closeCmd.Flags().BoolVar(&force, "force", false, "close a period that has not ended yet")
	closeCmd.Flags().StringToStringVar(&rename, "rename", nil, "OLD=NEW: the key of OLD's copy (repeat for more)")
	textOrJSON(closeCmd, &closeOutput)
	reopen := &cobra.Command{
		Use:   "reopen PERIOD",
		Short: "Undo the latest close of a period",
		Long: `Reopen undoes the latest close of PERIOD in one transaction: its objectives get
their status back, its key results their score, and the objectives, key
results and links the roll-forward created are removed. It is refused when
something was built on the close since: a later close, check-ins on a
rolled-forward key result, or an objective under one.`,
		Example: `  okrmap quarter reopen 2026-Q4`,
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withService(cmd, func(ctx context.Context, s *service.Service) error {
				res, err := s.ReopenQuarter(ctx, args[0])
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "Reopened %s: %d objective%s active again", res.Period, len(res.Reopened), plural(len(res.Reopened)))
				if len(res.Removed) > 0 {
					fmt.Fprintf(a.stdout, "; removed the roll-forward: %s", strings.Join(res.Removed, ", "))
				}
				fmt.Fprintln(a.stdout, ".")
				return nil
			})
		},
	}
	q.AddCommand(closeCmd, reopen)
	return q
}

func (a *app) printClose(res *engine.CloseResult) {
	fmt.Fprintf(a.stdout, "Closed %s: %d objective%s, %d key result%s scored.\n",
		res.Period, len(res.Closed), plural(len(res.Closed)), len(res.Scores), plural(len(res.Scores)))
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "OBJECTIVE\tKEY RESULT\tSCORE")
	for _, s := range res.Scores {
		fmt.Fprintf(tw, "%s\t%s\t%.2f\n", s.Objective, s.KeyResult, s.Score)
	}
	tw.Flush()
	if res.Next == "" {
		return
	}
	fmt.Fprintf(a.stdout, "Rolled forward into %s: %d entities, %d KPI links.\n", res.Next, len(res.Rolled), len(res.Links))
	for _, r := range res.Rolled {
		fmt.Fprintf(a.stdout, "  %s %s -> %s\n", r.Kind, r.From, r.To)
	}
}
