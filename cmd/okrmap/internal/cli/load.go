package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/gen"
	"github.com/okrmap/okrmap/engine/server"
	"github.com/okrmap/okrmap/engine/server/load"
	"github.com/okrmap/okrmap/engine/service"
)

func (a *app) loadCommand() *cobra.Command {
	var o load.Options
	var kpis int
	var auditEvery time.Duration
	var cpuProfile string
	cmd := &cobra.Command{
		Use:   "load",
		Short: "Load-test okrmap serve on this machine and report latency per route",
		Long: `Load serves the database in-process on a random local port and sends it the
requests of a company at work from --clients clients for --duration: reads
(a KPI with its trace, one team's tree for the period, the latest audit
summary) and, --write-share of the time, writes (a measurement or a
check-in), while a scheduled audit of the whole plan runs every
--audit-every. A database without KPIs first gets a generated plan of
--kpis KPIs. It prints p50 and p99 per route, throughput, errors and
"database is locked" answers, then checks that every acknowledged write is
stored.

Use a scratch database: the run adds measurements, check-ins, audit runs
and a token.`,
		Example: `  okrmap --db /tmp/load.db dev load --kpis 100000 --clients 64 --duration 30s`,
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var locked atomic.Int64
			log := slog.New(&lockCounter{Handler: a.log.Handler(), n: &locked})
			opts := a.options()
			opts.Log = log
			ctx := cmd.Context()
			svc, err := service.Open(ctx, a.cfg.DB, opts)
			if err != nil {
				return err
			}
			defer svc.Close()
			g, _, err := svc.Graph(ctx, engine.Date{})
			if err != nil {
				return err
			}
			if len(g.KPIs) == 0 {
				fmt.Fprintf(a.stdout, "applying a generated plan of %d KPIs ...\n", kpis)
				p, err := gen.Plan(gen.Options{KPIs: kpis, Seed: 1})
				if err != nil {
					return err
				}
				if _, err := svc.DB().Apply(ctx, p, false); err != nil {
					return err
				}
				if g, _, err = svc.Graph(ctx, engine.Date{}); err != nil {
					return err
				}
			}
			for _, k := range g.KPIs {
				o.KPIs = append(o.KPIs, k.Key)
			}
			for _, kr := range g.KeyResults {
				if kr.ObjectiveStatus != "closed" {
					o.KeyResults = append(o.KeyResults, kr.Key)
				}
			}
			for _, t := range g.Teams {
				o.Teams = append(o.Teams, t.Key)
			}
			if len(g.Objectives) > 0 {
				o.Period = g.Objectives[0].Period
			}
			o.Tag = "load-" + strings.ToLower(a.now().UTC().Format("20060102t150405"))
			secret, _, err := svc.CreateToken(ctx, o.Tag, service.RoleWrite, time.Hour)
			if err != nil {
				return err
			}
			o.Token = secret

			srv, err := server.New(svc, a.cfg.Server, log.With("logger", "server"))
			if err != nil {
				return usageError{err}
			}
			if err := srv.SetSchedules([]server.Schedule{{Name: "load", Cron: fmt.Sprintf("@every %s", auditEvery)}}); err != nil {
				return usageError{err}
			}
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return err
			}
			o.URL = "http://" + l.Addr().String()
			stopProfile := func() {}
			if cpuProfile != "" { // this flag, not the global one: the load alone, not the set-up
				if stopProfile, err = startCPUProfile(cpuProfile); err != nil {
					return usageError{err}
				}
			}
			sctx, stop := context.WithCancel(context.WithoutCancel(ctx))
			defer stop()
			served := make(chan error, 1)
			go func() { served <- srv.Serve(sctx, l) }()
			fmt.Fprintf(a.stdout, "%d KPIs, %d clients for %s, %.0f%% writes, an audit every %s ...\n",
				len(o.KPIs), o.Clients, o.Duration, o.WriteShare*100, auditEvery)
			runsBefore, _ := svc.Runs(ctx, engine.Scope{}, true)
			res, err := load.Run(ctx, o)
			stopProfile()
			stop()
			if serr := <-served; serr != nil {
				fmt.Fprintf(a.stderr, "okrmap: warning: %v\n", serr)
			}
			if err != nil {
				return err
			}
			runsAfter, _ := svc.Runs(ctx, engine.Scope{}, true)

			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, "ROUTE\tREQUESTS\tERRORS\tP50\tP99\tMAX\tAVG BYTES\t")
			for _, r := range res.Routes {
				fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%d\t\n", r.Route, r.Count, r.Errors, ms(r.P50), ms(r.P99), ms(r.Max), r.Bytes/int64(r.Count))
			}
			tw.Flush()
			m, c, err := svc.DB().CountNoted(ctx, o.Tag)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "\n%d requests in %s: %.0f requests/s; %d errors; %d \"database is locked\"; %d audits stored during the run\n",
				res.Requests, res.Elapsed.Round(time.Millisecond), res.PerSecond(), res.Errors, locked.Load(), len(runsAfter)-len(runsBefore))
			fmt.Fprintf(a.stdout, "acknowledged writes stored: %d of %d measurements, %d of %d check-ins\n", m, res.Measurements, c, res.CheckIns)
			for _, e := range res.FirstErrors {
				fmt.Fprintf(a.stdout, "first error on %s\n", e)
			}
			// A write cut off by the end of the run may be stored unacknowledged.
			if m < res.Measurements || c < res.CheckIns {
				return fmt.Errorf("acknowledged writes are missing")
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&kpis, "kpis", 100000, "KPIs of the generated plan, when the database has none")
	cmd.Flags().IntVar(&o.Clients, "clients", 64, "concurrent clients")
	cmd.Flags().DurationVar(&o.Duration, "duration", 30*time.Second, "how long to send requests")
	cmd.Flags().Float64Var(&o.WriteShare, "write-share", 0.1, "share of requests that write")
	cmd.Flags().DurationVar(&auditEvery, "audit-every", 15*time.Second, "run a scheduled audit of the whole plan this often")
	cmd.Flags().Uint64Var(&o.Seed, "seed", 1, "random seed")
	cmd.Flags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the run to this file (go tool pprof)")
	return cmd
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }

// lockCounter counts log records that mention a locked database.
type lockCounter struct {
	slog.Handler
	n *atomic.Int64
}

func (h *lockCounter) Handle(ctx context.Context, r slog.Record) error {
	text := r.Message
	r.Attrs(func(a slog.Attr) bool {
		text += " " + a.Value.String()
		return true
	})
	if strings.Contains(text, "database is locked") || strings.Contains(text, "SQLITE_BUSY") {
		h.n.Add(1)
	}
	if !h.Handler.Enabled(ctx, r.Level) {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

// Enabled is true for errors and warnings, which may report a lock, and
// whatever the wrapped handler wants.
func (h *lockCounter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn || h.Handler.Enabled(ctx, l)
}

func (h *lockCounter) WithAttrs(as []slog.Attr) slog.Handler {
	return &lockCounter{Handler: h.Handler.WithAttrs(as), n: h.n}
}

func (h *lockCounter) WithGroup(name string) slog.Handler {
	return &lockCounter{Handler: h.Handler.WithGroup(name), n: h.n}
}
