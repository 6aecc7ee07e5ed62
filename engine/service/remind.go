package service

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/notify"
)

// Reminder is what one owner is reminded of: the key results whose
// check-in and the KPIs whose measurement is due.
type Reminder struct {
	Owner string         `json:"owner"`
	Items []ReminderItem `json:"items"`
}

// ReminderItem is one item due.
type ReminderItem struct {
	Kind  engine.Kind `json:"kind"` // key_result or kpi
	Key   string      `json:"key"`
	Title string      `json:"title"`
	Team  string      `json:"team,omitempty"`
	Why   string      `json:"why"`
	// Window is the first day of the cadence window the reminder is for:
	// an item is reminded once per window.
	Window engine.Date `json:"window"`
}

// Reminders lists, by owner, the key results of objectives running today
// that are not checked in within their team's cadence, and the KPIs
// measured by hand (no formula, no connector) not measured within their
// frequency, as of today (the service's when zero). An owner is a key
// result's owner, else its objective's, else its team's lead; a KPI's
// owner, else its team's lead. Items reminded already in their current
// window, and owners in Options.RemindOptOut, are left out. Owners that are no e-mail
// address are returned apart, with their items, to be told by other means.
func (s *Service) Reminders(ctx context.Context, today engine.Date) (rs, noAddress []Reminder, err error) {
	optOut := s.opt.RemindOptOut
	g, _, err := s.Graph(ctx, today)
	if err != nil {
		return nil, nil, err
	}
	day := engine.DateOf(g.Today)
	byOwner := map[string][]ReminderItem{}
	var due []engine.Reminded
	add := func(owner string, item ReminderItem, cadence int) {
		owner = strings.TrimSpace(owner)
		if owner == "" || slices.Contains(optOut, owner) {
			return
		}
		item.Window = window(day, cadence)
		byOwner[owner] = append(byOwner[owner], item)
		due = append(due, engine.Reminded{Owner: owner, Item: item.Key, Window: item.Window})
	}
	for _, o := range g.Objectives {
		if o.Status != "active" || o.PeriodStart.After(g.Today) || g.Today.After(o.PeriodEnd.AddDate(0, 0, 1)) {
			continue
		}
		for _, kr := range o.KeyResults {
			if kr.DaysSinceCheckIn >= 0 && kr.DaysSinceCheckIn <= kr.CadenceDays {
				continue
			}
			why := "never checked in"
			if kr.DaysSinceCheckIn > 0 {
				why = fmt.Sprintf("last checked in %d days ago", kr.DaysSinceCheckIn)
			}
			why += fmt.Sprintf("; the team checks in every %d days", kr.CadenceDays)
			owner := cmp.Or(kr.Owner, o.Owner, o.TeamLead)
			add(owner, ReminderItem{Kind: engine.KindKeyResult, Key: kr.Key, Title: kr.Title, Team: kr.Team, Why: why}, kr.CadenceDays)
		}
	}
	for _, k := range g.KPIs {
		if k.Formula != "" || k.Connector != "" || k.Frequency == "" ||
			k.DaysSinceMeasurement >= 0 && k.DaysSinceMeasurement <= k.WindowDays {
			continue
		}
		why := "never measured"
		if k.DaysSinceMeasurement > 0 {
			why = fmt.Sprintf("last measured %d days ago", k.DaysSinceMeasurement)
		}
		why += "; it is " + k.Frequency
		add(k.OwnedBy, ReminderItem{Kind: engine.KindKPI, Key: k.Key, Title: k.Name, Team: k.Team, Why: why}, k.WindowDays)
	}
	sent, err := s.db.Reminded(ctx, due)
	if err != nil {
		return nil, nil, err
	}
	owners := make([]string, 0, len(byOwner))
	for o := range byOwner {
		owners = append(owners, o)
	}
	slices.Sort(owners)
	for _, owner := range owners {
		r := Reminder{Owner: owner}
		for _, it := range byOwner[owner] {
			if !sent[engine.Reminded{Owner: owner, Item: it.Key, Window: it.Window}] {
				r.Items = append(r.Items, it)
			}
		}
		switch {
		case len(r.Items) == 0:
		case strings.Contains(owner, "@"):
			rs = append(rs, r)
		default:
			noAddress = append(noAddress, r)
		}
	}
	return rs, noAddress, nil
}

// RecordReminded stores that r was sent.
func (s *Service) RecordReminded(ctx context.Context, r Reminder) error {
	rs := make([]engine.Reminded, len(r.Items))
	for i, it := range r.Items {
		rs[i] = engine.Reminded{Owner: r.Owner, Item: it.Key, Window: it.Window}
	}
	return s.db.RecordReminders(ctx, rs)
}

// window is the first day of the window of days days that holds day,
// counting windows from 1970-01-01.
func window(day engine.Date, days int) engine.Date {
	days = max(days, 1)
	n := int(day.Time().Sub(time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)).Hours()/24) / days * days
	return engine.DateOf(time.Date(1970, 1, 1+n, 0, 0, 0, 0, time.UTC))
}

// RemindResult is what Remind did.
type RemindResult struct {
	Reminders []Reminder `json:"reminders"`  // due, with an address
	NoAddress []Reminder `json:"no_address"` // due, to owners that are no e-mail address
	Sent      []Reminder `json:"-"`          // sent and recorded
	// Failed says which were not sent; they are tried again next time.
	Failed error `json:"-"`
}

// Remind sends each owner with items due one e-mail through
// Options.Mail, as of today (the service's when zero), and records each
// as soon as it is sent, so that a failure or a crash leaves no one
// reminded twice. The mail server's password is read from the
// environment variable Mail.PasswordEnv names. With dryRun it finds the
// reminders and sends nothing.
func (s *Service) Remind(ctx context.Context, today engine.Date, dryRun bool) (*RemindResult, error) {
	if !dryRun {
		if err := s.opt.Mail.Check(); err != nil {
			return nil, engine.Errorf(engine.EINVALID, "%v", err)
		}
	}
	rs, noAddress, err := s.Reminders(ctx, today)
	if err != nil {
		return nil, err
	}
	res := &RemindResult{Reminders: rs, NoAddress: noAddress}
	if dryRun {
		return res, nil
	}
	password := ""
	if env := s.opt.Mail.PasswordEnv; env != "" {
		password = os.Getenv(env)
	}
	for _, r := range rs {
		msg, err := reminderMessage(r, strings.TrimRight(s.opt.PublicURL, "/"))
		if err == nil {
			err = s.opt.Mail.Send(ctx, password, msg)
		}
		if err == nil {
			err = s.RecordReminded(ctx, r)
		}
		if err != nil {
			res.Failed = errors.Join(res.Failed, fmt.Errorf("%s: %w", r.Owner, err))
			continue
		}
		res.Sent = append(res.Sent, r)
	}
	return res, nil
}

// reminderMessage is r as an e-mail, its items linked under base when set.
func reminderMessage(r Reminder, base string) (notify.Message, error) {
	link := func(it ReminderItem) string {
		if base == "" {
			return ""
		}
		path := "/key-results/"
		if it.Kind == engine.KindKPI {
			path = "/kpis/"
		}
		return base + path + url.PathEscape(it.Key)
	}
	n := len(r.Items)
	s := "s"
	if n == 1 {
		s = ""
	}
	subject := fmt.Sprintf("okrmap: %d check-in%s or measurement%s due", n, s, s)
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
