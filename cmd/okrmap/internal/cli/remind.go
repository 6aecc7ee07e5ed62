package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/url"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/notify"
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
			m := a.cfg.Mail
			if !dryRun {
				if err := m.Check(); err != nil {
					return usageError{fmt.Errorf("%w (or run with --dry-run to see who would be reminded)", err)}
				}
			}
			return a.withService(cmd, func(ctx context.Context, s *service.Service) error {
				rs, noAddress, err := s.Reminders(ctx, day, a.cfg.Remind.OptOut)
				if err != nil {
					return err
				}
				var sent []service.Reminder
				var failed error
				if !dryRun {
					password := ""
					if m.PasswordEnv != "" {
						password = os.Getenv(m.PasswordEnv)
					}
					for _, r := range rs {
						// One message and one record at a time: a failure or a
						// crash leaves those sent recorded, and no one reminded
						// twice.
						msg, err := reminderMessage(r, strings.TrimRight(a.cfg.Server.PublicURL, "/"))
						if err == nil {
							err = m.Send(ctx, password, msg)
						}
						if err == nil {
							err = s.RecordReminded(ctx, r)
						}
						if err != nil {
							failed = errors.Join(failed, fmt.Errorf("%s: %w", r.Owner, err))
							continue
						}
						sent = append(sent, r)
					}
				}
				err = a.answer(output, map[string]any{"dry_run": dryRun, "reminders": nonNil(rs), "sent": len(sent), "no_address": nonNil(noAddress)}, func() {
					verb := "reminded"
					if dryRun {
						fmt.Fprintln(a.stdout, "Dry run: nothing was sent.")
						verb, sent = "would remind", rs
					}
					for _, r := range sent {
						fmt.Fprintf(a.stdout, "%s %s of %d item%s: %s\n", verb, r.Owner, len(r.Items), plural(len(r.Items)), itemKeys(r))
					}
					for _, r := range noAddress {
						fmt.Fprintf(a.stdout, "no e-mail address for %s, who has %d item%s due: %s\n", r.Owner, len(r.Items), plural(len(r.Items)), itemKeys(r))
					}
					if len(rs)+len(noAddress) == 0 {
						fmt.Fprintln(a.stdout, "Nothing is due that was not reminded already in its window.")
					}
				})
				if failed != nil {
					return engine.Errorf(engine.EINTERNAL, "%d of %d reminders were not sent, and will be tried again on the next run: %v", len(rs)-len(sent), len(rs), failed)
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

// reminderMessage is r as an e-mail, its items linked under base when set.
func reminderMessage(r service.Reminder, base string) (notify.Message, error) {
	link := func(it service.ReminderItem) string {
		if base == "" {
			return ""
		}
		path := "/key-results/"
		if it.Kind == engine.KindKPI {
			path = "/kpis/"
		}
		return base + path + url.PathEscape(it.Key)
	}
	subject := fmt.Sprintf("okrmap: %d check-in%s or measurement%s due", len(r.Items), plural(len(r.Items)), plural(len(r.Items)))
	var text strings.Builder
	fmt.Fprintf(&text, "These are due:\n\n")
	for _, it := range r.Items {
		fmt.Fprintf(&text, "- %s (%s): %s", it.Title, it.Key, it.Why)
		if l := link(it); l != "" {
			fmt.Fprintf(&text, "\n  %s", l)
		}
		text.WriteString("\n")
	}
	text.WriteString("\nCheck in with okrmap checkin KEY --value V, or on the dashboard.\n")
	var html bytes.Buffer
	err := reminderHTML.Execute(&html, map[string]any{"Items": r.Items, "Link": link})
	return notify.Message{To: r.Owner, Subject: subject, Text: text.String(), HTML: html.String()}, err
}

var reminderHTML = template.Must(template.New("reminder").Parse(`<!DOCTYPE html>
<html lang="en"><body style="font-family: system-ui, sans-serif; color: #1c2230">
<p>These are due:</p>
<ul>{{range .Items}}<li>{{with call $.Link .}}<a href="{{.}}">{{end}}{{.Title}}{{if call $.Link .}}</a>{{end}} <code>{{.Key}}</code>: {{.Why}}</li>{{end}}</ul>
<p>Check in with <code>okrmap checkin KEY --value V</code>, or on the dashboard.</p>
</body></html>
`))
