// Package cli is the okrmap command line: flags, configuration and wiring
// around the engine. Each subcommand lives in its own file.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/okrmap/okrmap/cmd/okrmap/internal/config"
	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/service"
)

// Exit codes.
const (
	ExitOK       = 0 // success
	ExitFindings = 1 // findings at or above --fail-on, or failing rule cases
	ExitInput    = 2 // usage, configuration or input error; nothing was changed
	ExitInternal = 3 // internal or environment failure
)

const exitCodesHelp = `Exit codes:
  0  success
  1  findings at or above --fail-on (audit, lint), or failing rule cases
  2  usage, configuration or input error (invalid plan, unknown key ...);
     nothing was changed
  3  internal or environment failure (disk full, database locked too long ...);
     for audit, also a plugin failure (the run is stored, marked incomplete)`

// usageError marks errors in how okrmap was called.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// exitCode maps an error to the process exit code. This is the only place
// that does.
func exitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var u usageError
	if errors.As(err, &u) {
		return ExitInput
	}
	var f findingsError
	if errors.As(err, &f) {
		return ExitFindings
	}
	switch engine.ErrorCode(err) {
	case engine.EINVALID, engine.ENOTFOUND, engine.ECONFLICT:
		return ExitInput
	}
	return ExitInternal
}

// app is what every command shares.
type app struct {
	cfg        config.Config
	configFile string
	stdin      io.Reader
	stdout     io.Writer // escapes control characters (safeWriter)
	stderr     io.Writer
	rawStdout  io.Writer // the caller's, to tell whether it is a terminal
	log        *slog.Logger
	now        func() time.Time
	atExit     []func() // run when the command ends, last first
	cpuProfile string
	memProfile string
	quiet      bool
	progress   *progress // nil when not shown
}

// Main runs okrmap with args (without the program name) and returns the exit
// code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	safeOut, safeErr := &safeWriter{w: stdout}, &safeWriter{w: stderr}
	defer safeOut.Flush()
	defer safeErr.Flush()
	// A bug must not read as an input error (exit 2, Go's code for a panic).
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(safeErr, "okrmap: internal error: %v; this is a bug, please report it with what follows\n%s", p, debug.Stack())
			code = ExitInternal
		}
	}()
	a := &app{stdin: stdin, stdout: safeOut, stderr: safeErr, rawStdout: stdout, now: time.Now}
	a.progress = newProgress(stderr)
	safeOut.before, safeErr.before = a.progress.stop, a.progress.stop
	stdout, stderr = safeOut, safeErr
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	// The completion command takes its output when made: made here, it
	// writes where the rest does, and it refuses an unknown shell.
	root.InitDefaultCompletionCmd()
	unknownSubcommands(root)
	defer func() {
		for i := len(a.atExit) - 1; i >= 0; i-- {
			a.atExit[i]()
		}
	}()
	err := a.hint(root.ExecuteContext(ctx))
	a.progress.stop()
	if err != nil {
		var probs engine.Problems
		if errors.As(err, &probs) {
			for _, p := range probs {
				fmt.Fprintln(stderr, p)
			}
			fmt.Fprintf(stderr, "okrmap: %d problem%s found; nothing was changed\n", len(probs), plural(len(probs)))
		} else {
			fmt.Fprintf(stderr, "okrmap: %v\n", err)
		}
	}
	return exitCode(err)
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "okrmap",
		Short: "Map KPIs to the objectives they should move, and keep the mapping honest",
		Long: `okrmap keeps a company's business objectives, team objectives, key results and
KPIs in SQLite, links every KPI to the objective it should move, and shows
whether each KPI traces up to a business objective on a P&L line.

Configuration comes from defaults, a config file (--config, or config.yaml in
the user's config directory), OKRMAP_* environment variables and flags, each
overriding the one before.

` + exitCodesHelp,
		Example: `  okrmap apply examples/saas-b2b/*.yaml
  okrmap tree --period 2026-Q4
  okrmap audit --fail-on warning
  okrmap report -o markdown > board-pack.md
  okrmap checkin sme-sqls --value 3400 --confidence 0.7
  okrmap quarter close 2026-Q4 --roll-forward 2027-Q1`,
		Version:       version(),
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE:          func(cmd *cobra.Command, args []string) error { return cmd.Help() },
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			return a.configure(cmd)
		},
	}
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%w; see '%s --help'", err, cmd.CommandPath())}
	})
	pf := root.PersistentFlags()
	pf.String("db", "", "SQLite database file or postgres:// URL (env OKRMAP_DB; default "+filepath.Join(config.DataDir(), "okrmap.db")+")")
	pf.StringVar(&a.configFile, "config", os.Getenv("OKRMAP_CONFIG"), "config file (env OKRMAP_CONFIG)")
	pf.String("log-level", "", "diagnostics on stderr: debug, info, warn or error (env OKRMAP_LOG_LEVEL)")
	pf.String("author", "", "who is recorded on check-ins, measurements, applies and audits (env OKRMAP_AUTHOR; default the OS user)")
	pf.BoolVarP(&a.quiet, "quiet", "q", false, "show no progress on the terminal")
	pf.StringVar(&a.cpuProfile, "cpuprofile", "", "write a CPU profile of the command to this file (read it with 'go tool pprof')")
	pf.StringVar(&a.memProfile, "memprofile", "", "write a profile of the command's allocations to this file (read it with 'go tool pprof -sample_index=alloc_space')")

	root.AddGroup(&cobra.Group{ID: "plan", Title: "Plans:"}, &cobra.Group{ID: "rules", Title: "Alignment rules:"},
		&cobra.Group{ID: "quarter", Title: "Running a quarter:"}, &cobra.Group{ID: "data", Title: "Database:"},
		&cobra.Group{ID: "serve", Title: "Serving over HTTP:"})
	for _, c := range []*cobra.Command{a.validateCommand(), a.applyCommand(), a.getCommand(), a.deleteCommand(), a.treeCommand(), a.exportCommand()} {
		c.GroupID = "plan"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{a.auditCommand(), a.reportCommand(), a.waiveCommand(), a.lintCommand(), a.rulesCommand(), a.pluginsCommand()} {
		c.GroupID = "rules"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{a.checkinCommand(), a.measureCommand(), a.importCommand(), a.syncCommand(), a.kpiCommand(), a.statusCommand(), a.digestCommand(), a.remindCommand(), a.quarterCommand()} {
		c.GroupID = "quarter"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{a.initCommand(), a.backupCommand(), a.storeCommand()} {
		c.GroupID = "data"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{a.serveCommand(), a.tokenCommand()} {
		c.GroupID = "serve"
		root.AddCommand(c)
	}
	// --version has no -v: apply -v means verbose.
	root.Flags().Bool("version", false, "print okrmap's version")
	root.AddCommand(a.devCommand(), a.versionCommand())
	unknownSubcommands(root)
	return root
}

// unknownSubcommands makes every command with subcommands refuse an
// unknown one, with a suggestion, instead of printing help and succeeding;
// commands that take arguments of their own are marked takesArgs.
func unknownSubcommands(c *cobra.Command) {
	for _, sub := range c.Commands() {
		unknownSubcommands(sub)
	}
	if !c.HasSubCommands() || c.Annotations[takesArgs] != "" {
		return
	}
	c.SuggestionsMinimumDistance = 2
	c.Args = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return nil
		}
		name := strings.TrimPrefix(cmd.CommandPath()+" ", "okrmap ")
		s := cmd.SuggestionsFor(args[0])
		if best := engine.Closest(args[0], s); best != "" { // tre: tree, not store or tree
			s = []string{best}
		}
		if len(s) > 0 {
			return usageError{fmt.Errorf("unknown command %q; did you mean %s? Run 'okrmap %s--help' for the list", args[0], strings.Join(s, " or "), name)}
		}
		return usageError{fmt.Errorf("unknown command %q; run 'okrmap %s--help' for the list", args[0], name)}
	}
	if !c.Runnable() {
		c.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
	}
}

// takesArgs annotates a command with subcommands that also takes
// arguments of its own.
const takesArgs = "takes-args"

// configure loads the configuration and sets up logging.
func (a *app) configure(cmd *cobra.Command) error {
	cfg, err := config.Load(a.configFile, cmd.Flags(), map[string]string{"db": "db", "log-level": "log.level", "listen": "server.listen", "author": "author"})
	if err != nil {
		return usageError{err}
	}
	a.cfg = cfg
	if a.quiet || cfg.Log.Level == "debug" { // debug lines tell the phases
		a.progress.stop()
		a.progress = nil
	}
	engine.MaxDepth, engine.MaxText = cfg.Plan.MaxDepth, cfg.Plan.MaxText
	engine.FiscalYearStart = time.Month(max(cfg.Plan.FiscalYearStart, 1)) // the database's may follow (service.Open)
	engine.CompanyFunctions, engine.CompanyBusinessCategories, engine.CompanyKPICategories = cfg.Plan.Functions, cfg.Plan.BusinessCategories, cfg.Plan.KPICategories
	engine.CriticalPnLLines = cfg.Plan.CriticalPnLLines
	if a.atExit == nil { // once, though completions configure again
		a.atExit = append(a.atExit, watchMemory(cfg.MemoryLimit, os.Stderr))
		if a.cpuProfile != "" {
			stop, err := startCPUProfile(a.cpuProfile)
			if err != nil {
				return usageError{err}
			}
			a.atExit = append(a.atExit, stop)
		}
		if a.memProfile != "" {
			stop, err := startMemProfile(a.memProfile, a.stderr)
			if err != nil {
				return usageError{err}
			}
			a.atExit = append(a.atExit, stop)
		}
	}
	level := map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}[cfg.Log.Level]
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		a.log = slog.New(slog.NewJSONHandler(a.stderr, opts))
	} else {
		a.log = slog.New(slog.NewTextHandler(a.stderr, opts))
	}
	return nil
}

// options are the service's options from the configuration.
func (a *app) options() service.Options {
	return service.Options{Rules: a.cfg.Rules, Plugins: a.cfg.Plugins, WaiverFile: a.cfg.Audit.Waivers,
		DBPath: a.cfg.DB, Log: a.log, Now: a.now, Progress: a.progress.phase, MaxStale: a.cfg.Server.MaxStaleness,
		FutureTolerance: a.cfg.History.FutureTolerance, Connectors: a.cfg.Connectors, FiscalYearStart: a.cfg.Plan.FiscalYearStart,
		Mail: a.cfg.Mail, RemindOptOut: a.cfg.Remind.OptOut, PublicURL: a.cfg.Server.PublicURL}
}

// offline is the service without a database, for lint, rules and plugins.
func (a *app) offline() *service.Service { return service.Offline(a.options()) }

// createsDB marks the commands that create a missing database: init,
// apply and serve. Every other command refuses one, so that a mistyped
// --db is an error and not an empty, perfectly scored database.
const createsDB = "creates-db"

// withService opens the configured database (migrating it if needed, and
// creating it for the commands marked createsDB), runs fn with the
// service over it and closes it after.
func (a *app) withService(cmd *cobra.Command, fn func(ctx context.Context, s *service.Service) error) error {
	ctx := cmd.Context()
	start := time.Now()
	if !service.Exists(a.cfg.DB) && cmd.Annotations[createsDB] == "" {
		return usageError{fmt.Errorf("no database at %s: run okrmap init, or okrmap apply PLAN, to create one (or check --db, OKRMAP_DB and db in the config)", a.cfg.DB)}
	}
	s, err := service.Open(ctx, a.cfg.DB, a.options())
	if err != nil {
		return err
	}
	defer s.Close()
	a.log.Debug("opened database", "path", s.DB().Path(), "took", time.Since(start))
	return fn(ctx, s)
}

// args wraps a cobra argument check so that its errors are usage errors.
func args(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return usageError{fmt.Errorf("%w; usage: %s", err, cmd.UseLine())}
		}
		return nil
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// hints say what to run next after a not-found error, by subject.
var hints = map[string]string{
	string(engine.KindKeyResult): "list them with 'okrmap get key-results'",
	string(engine.KindKPI):       "list them with 'okrmap get kpis'",
	string(engine.KindTeam):      "run 'okrmap get teams' for the list",
	"period":                     "list periods with 'okrmap get objectives'",
	"audit_run":                  "run 'okrmap audit' to store one, 'okrmap audit history' to list them",
	"waiver":                     "run 'okrmap waive list' for the list",
	"token":                      "run 'okrmap token list' for the list",
	"rule":                       "run 'okrmap rules list' for the list",
	"plugin":                     "set plugins.dirs or OKRMAP_PLUGINS_DIRS; 'okrmap plugins lock' without names pins every plugin there",
}

// hint adds the command line's advice to an engine error that has a
// subject; other errors pass unchanged.
func (a *app) hint(err error) error {
	if err == nil {
		return nil
	}
	if h, ok := hints[engine.ErrorSubject(err)]; ok {
		return fmt.Errorf("%w; %s", err, h)
	}
	return err
}
