package cli

import (
	"context"
	"fmt"
	"net"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/server"
	"github.com/okrmap/okrmap/engine/service"
)

func (a *app) serveCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the web dashboard and the JSON API over HTTP",
		Long: `Serve answers the web dashboard at / and the JSON API under /api/v1
(described at /api/v1/openapi.json), over the same database and
configuration as the command line.

The dashboard shows the scorecard and its trend, the alignment map from P&L
lines down to driver KPIs, each team, KPI and key result with charts, the
stored audits with their diffs and reports, and the rules; users with a
write token check in from a key result's page. Sign in with an API token
(it is exchanged for a session cookie), or let server.anonymous_read open
read-only pages; server.company names the company on every page.

The API answers entities, the alignment tree, plan apply, check-ins and measurements, audits and their
reports, scorecards, rules, plugins, waivers and tokens. /healthz says the
process is up, /readyz that the database is reachable and current.

Callers send an API token (okrmap token create) as 'Authorization: Bearer
okm_...'. Roles: read (GET), write (check-ins, measurements, audits), admin
(plan apply, waivers, tokens). server.anonymous_read lets callers without a
token read; server.auth_proxy trusts a user header from an authenticating
proxy's addresses.

schedule entries in the config run audits on cron schedules, each stored
as 'okrmap audit' would store it, with its report written and webhooks
told, and syncs (task: sync) as 'okrmap sync' runs them; a tick that finds the previous audit of its scope still running is
skipped and logged, and ticks missed while the server was down are not
replayed. /metrics has Prometheus metrics (scrape with a read token).

SIGINT or SIGTERM stop the server gracefully: requests in flight and
running audits finish within server.shutdown_grace.`,
		Example: `  okrmap serve
  okrmap serve --listen :8080
  OKRMAP_SERVER_ANONYMOUS_READ=true okrmap serve`,
		Annotations: map[string]string{createsDB: "yes"},
		Args:        args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			a.progress.stop() // a server's work is in its log
			if len(a.cfg.Plugins.Dev) > 0 {
				a.log.Warn("plugins.dev is for audits on the command line; the server runs pinned plugins only", "dev", a.cfg.Plugins.Dev)
			}
			return a.withService(cmd, func(ctx context.Context, s *service.Service) error {
				srv, err := server.New(s, a.cfg.Server, a.log.With("logger", "server"))
				if err != nil {
					return usageError{err}
				}
				if err := srv.SetSchedules(a.cfg.Schedule); err != nil {
					return usageError{err}
				}
				l, err := net.Listen("tcp", a.cfg.Server.Listen)
				if err != nil {
					return usageError{fmt.Errorf("server.listen %s: %w", a.cfg.Server.Listen, err)}
				}
				fmt.Fprintf(a.stdout, "okrmap serving http://%s (the dashboard at /, the API under /api/v1; database %s)\n", l.Addr(), s.DB().Path())
				return srv.Serve(ctx, l)
			})
		},
	}
	cmd.Flags().String("listen", "", "address to listen on (env OKRMAP_SERVER_LISTEN; default "+server.Defaults().Listen+")")
	return cmd
}

func (a *app) tokenCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Create, list and revoke API tokens for okrmap serve",
		Args:  args(cobra.NoArgs),
	}
	var role, expires string
	create := &cobra.Command{
		Use:   "create --name NAME --role read|write|admin [--expires 90d]",
		Short: "Create an API token; its secret is shown once",
		Long: `Create stores a new API token and prints its secret once: only a hash is
stored, so a lost secret cannot be shown again (revoke it and create
another). --expires takes days (90d) or a duration (12h); without it the
token never expires.`,
		Example: `  okrmap token create --name ci --role write --expires 90d
  okrmap token create --name dashboard --role read`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			name, _ := cmd.Flags().GetString("name")
			ttl, err := server.ParseTTL(expires)
			if err != nil {
				return usageError{fmt.Errorf("--expires: %w", err)}
			}
			return a.withService(cmd, func(ctx context.Context, s *service.Service) error {
				secret, t, err := s.CreateToken(ctx, name, role, ttl)
				if err != nil {
					return err
				}
				until := "never expires"
				if !t.ExpiresAt.IsZero() {
					until = "expires " + t.ExpiresAt.Format(time.RFC3339)
				}
				fmt.Fprintf(a.stderr, "token %s (%s, %s) created; its secret is shown only now:\n", t.Name, t.Role, until)
				fmt.Fprintln(a.stdout, secret)
				return nil
			})
		},
	}
	create.Flags().String("name", "", "a name for the token, e.g. ci (required)")
	create.Flags().StringVar(&role, "role", service.RoleRead, "read, write or admin")
	create.Flags().StringVar(&expires, "expires", "", "lifetime: days (90d) or a duration (12h); default never")

	var listOutput string
	list := &cobra.Command{
		Use:     "list",
		Short:   "List API tokens, without their secrets",
		Example: "  okrmap token list\n  okrmap token list -o json",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(listOutput, "text", "json"); err != nil {
				return err
			}
			return a.withService(cmd, func(ctx context.Context, s *service.Service) error {
				ts, err := s.Tokens(ctx)
				if err != nil {
					return err
				}
				if ts == nil {
					ts = []engine.Token{}
				}
				if listOutput == "json" {
					return writeJSON(a.stdout, ts)
				}
				tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tROLE\tCREATED\tEXPIRES\tREVOKED\tLAST USED")
				for _, t := range ts {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.Name, t.Role, stamp(t.CreatedAt), stamp(t.ExpiresAt), stamp(t.RevokedAt), stamp(t.LastUsed))
				}
				return tw.Flush()
			})
		},
	}
	textOrJSON(list, &listOutput)
	revoke := &cobra.Command{
		Use:     "revoke NAME",
		Short:   "Revoke an API token; it stops working at once",
		Example: "  okrmap token revoke ci",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, names []string) error {
			return a.withService(cmd, func(ctx context.Context, s *service.Service) error {
				if err := s.RevokeToken(ctx, names[0]); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "revoked token %s\n", names[0])
				return nil
			})
		},
	}
	cmd.AddCommand(create, list, revoke)
	return cmd
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return strings.Replace(t.UTC().Format(time.RFC3339), "T", " ", 1)
}
