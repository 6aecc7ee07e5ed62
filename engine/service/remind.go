package service

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/okrmap/okrmap/engine"
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
// window, and owners in optOut, are left out. Owners that are no e-mail
// address are returned apart, with their items, to be told by other means.
func (s *Service) Reminders(ctx context.Context, today engine.Date, optOut []string) (rs, noAddress []Reminder, err error) {
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
