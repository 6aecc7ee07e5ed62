package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/service"
)

func (a *app) remindCommand() *cobra.Command {
	var dryRun bool
	var today, output string
	cmd := &cobra.Command{
		Use:   "remind",
		Short: "E-mail owners whose key results or KPIs are due for a check-in or a measurement",
		Long: `Remind sends each owner one e-mail listing their key results not checked in
within their team's cadence and their KPIs (measured by hand) not measured
within their frequency, with a link to each on the dashboard when
server.public_url is set. An item is reminded once per window of its cadence
or frequency, whoever runs remind and however often: cron or a schedule may
run it daily. Owners in remind.opt_out get nothing; owners that are no
e-mail address are listed, for someone to tell them.

E-mail goes through the SMTP server in mail (host, port, tls, username,
password_env, from). --dry-run lists who would get what and sends nothing.`,
		Example: `  okrmap remind --dry-run
  okrmap remind
  okrmap remind --today 2026-11-20 -o json`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(output, "text", "json"); err != nil {
				return err
			}
			day, err := judgeDay(today)
			if err != nil {
				return err
			}
			if !dryRun {
				if err := a.cfg.Mail.Check(); err != nil {
					return usageError{fmt.Errorf("%w (or run with --dry-run to see who would be reminded)", err)}
				}
			}
			return a.withService(cmd, func(ctx context.Context, s *service.Service) error {
				res, err := s.Remind(ctx, day, dryRun)
				if err != nil {
					return err
				}
				err = a.answer(output, map[string]any{"dry_run": dryRun, "reminders": nonNil(res.Reminders), "sent": len(res.Sent),
					"no_address": nonNil(res.NoAddress)}, func() {
					verb, listed := "reminded", res.Sent
					if dryRun {
						fmt.Fprintln(a.stdout, "Dry run: nothing was sent.")
						verb, listed = "would remind", res.Reminders
					}
					for _, r := range listed {
						fmt.Fprintf(a.stdout, "%s %s of %d item%s: %s\n", verb, r.Owner, len(r.Items), plural(len(r.Items)), itemKeys(r))
					}
					for _, r := range res.NoAddress {
						fmt.Fprintf(a.stdout, "no e-mail address for %s, who has %d item%s due: %s\n", r.Owner, len(r.Items), plural(len(r.Items)), itemKeys(r))
					}
					if len(res.Reminders)+len(res.NoAddress) == 0 {
						fmt.Fprintln(a.stdout, "Nothing is due that was not reminded already in its window.")
					}
				})
				if res.Failed != nil {
					return engine.Errorf(engine.EINTERNAL, "%d of %d reminders were not sent, and will be tried again on the next run: %v",
						len(res.Reminders)-len(res.Sent), len(res.Reminders), res.Failed)
				}
				return err
			})
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "list who would be reminded of what, and send nothing")
	cmd.Flags().StringVar(&today, "today", "", "remind as of this date, YYYY-MM-DD (default today)")
	textOrJSON(cmd, &output)
	return cmd
}

func nonNil(rs []service.Reminder) []service.Reminder {
	if rs == nil {
		return []service.Reminder{}
	}
	return rs
}

func itemKeys(r service.Reminder) string {
	keys := make([]string, len(r.Items))
	for i, it := range r.Items {
		keys[i] = it.Key
	}
	return strings.Join(keys, ", ")
}
