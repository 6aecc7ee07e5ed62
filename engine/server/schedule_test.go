package server

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/connect"
	"github.com/okrmap/okrmap/engine/notify"
	"github.com/okrmap/okrmap/engine/service"
	"github.com/okrmap/okrmap/engine/testenv"
)

// TestScheduledAudits: a schedule stores runs as okrmap audit would, with
// the schedule as author, and writes the report.
func TestScheduledAudits(t *testing.T) {
	a := newAPI(t, Defaults(), service.Options{})
	a.want(200, "POST", "/api/v1/plans", a.token("admin"), examplePlan(t), nil)
	out := filepath.Join(t.TempDir(), "reports", "marketing.html")
	if err := a.srv.SetSchedules([]Schedule{{Name: "nightly", Cron: "@every 1s", Period: "2026-Q4", Teams: []string{"marketing"}, Format: "html", Output: out}}); err != nil {
		t.Fatal(err)
	}
	_, stop := a.serve(t)
	sc, _ := engine.NewScope("2026-Q4", []string{"marketing"})
	var runs []*engine.AuditRun
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && len(runs) < 2; time.Sleep(100 * time.Millisecond) {
		runs, _ = a.svc.Runs(context.Background(), sc, false)
	}
	if err := stop(); err != nil {
		t.Errorf("shutdown: %v", err)
	}
	if len(runs) < 2 {
		t.Fatalf("%d scheduled runs in 20 s of @every 1s", len(runs))
	}
	if runs[0].Author != "schedule:nightly" || runs[0].Scope != "period=2026-Q4 teams=marketing" {
		t.Errorf("scheduled run: %+v", runs[0])
	}
	if st, err := os.Stat(out); err != nil || st.Size() < 1000 {
		t.Errorf("report: %v", err)
	}
	// What the schedule stored is what an audit of the scope stores.
	scheduled, err := a.svc.Run(context.Background(), runs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	direct, err := a.svc.Audit(context.Background(), service.AuditRequest{Scope: sc})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(fingerprints(scheduled), fingerprints(direct.Run)) || scheduled.Scorecard.Company.Overall != direct.Run.Scorecard.Company.Overall {
		t.Errorf("a scheduled run differs from okrmap audit's: %d vs %d findings", len(scheduled.Findings), len(direct.Run.Findings))
	}
}

// TestScheduledSync: a sync schedule reads the due KPIs from their
// connectors, with the schedule as author.
func TestScheduledSync(t *testing.T) {
	sheet := filepath.Join(t.TempDir(), "sheet.csv")
	os.WriteFile(sheet, []byte("kpi,at,value\nsqls,2026-11-19,4100\n"), 0o644)
	a := newAPI(t, Defaults(), service.Options{Connectors: map[string]connect.Config{"sheet": {Type: "csv", Path: sheet}}})
	plan := examplePlan(t)
	for i, d := range plan.Documents {
		if d.Name == "marketing.yaml" {
			plan.Documents[i].Content = strings.Replace(d.Content, "    source: Salesforce\n", "    source: Salesforce\n    measure: {from: sheet}\n", 1)
		}
	}
	a.want(200, "POST", "/api/v1/plans", a.token("admin"), plan, nil)
	if err := a.srv.SetSchedules([]Schedule{{Name: "feeds", Cron: "@every 1s", Task: "sync"}}); err != nil {
		t.Fatal(err)
	}
	_, stop := a.serve(t)
	var ms []engine.Measurement
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && len(ms) == 0; time.Sleep(100 * time.Millisecond) {
		ms, _ = a.svc.Measurements(context.Background(), "sqls")
	}
	if err := stop(); err != nil {
		t.Errorf("shutdown: %v", err)
	}
	if len(ms) != 1 || ms[0].Value != 4100 || ms[0].Author != "schedule:feeds" {
		t.Fatalf("synced: %+v", ms)
	}
}

// TestScheduledRemind: a remind schedule e-mails owners their items due,
// once in a window however often it ticks.
func TestScheduledRemind(t *testing.T) {
	box := testenv.StartMailbox(t)
	port, _ := strconv.Atoi(box.Port)
	a := newAPI(t, Defaults(), service.Options{Mail: notify.Mail{Host: box.Host, Port: port, TLS: "none", From: "okrmap@northwind.example"}})
	a.want(200, "POST", "/api/v1/plans", a.token("admin"), examplePlan(t), nil)
	if err := a.srv.SetSchedules([]Schedule{{Name: "nudges", Cron: "@every 1s", Task: "remind"}}); err != nil {
		t.Fatal(err)
	}
	_, stop := a.serve(t)
	var first []testenv.Mail
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && len(first) == 0; time.Sleep(100 * time.Millisecond) {
		first = box.All()
	}
	time.Sleep(2500 * time.Millisecond) // two more ticks
	if err := stop(); err != nil {
		t.Errorf("shutdown: %v", err)
	}
	owners := map[string]int{}
	for _, m := range box.All() {
		owners[m.To[0]]++
	}
	if len(first) == 0 || owners["brand@northwind.example"] != 1 {
		t.Fatalf("reminders sent: %v", owners)
	}
	for o, n := range owners {
		if n != 1 {
			t.Errorf("%s was reminded %d times", o, n)
		}
	}
}

func fingerprints(r *engine.AuditRun) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.Fingerprint)
	}
	slices.Sort(out)
	return out
}

// TestScopeGuard: a scope runs once at a time; others are not held up.
func TestScopeGuard(t *testing.T) {
	var g guard
	release, ok := g.try("all")
	if !ok {
		t.Fatal("the first claim failed")
	}
	if _, ok := g.try("all"); ok {
		t.Error("a second audit of a running scope was let through")
	}
	if r, ok := g.try("period=2026-Q4"); !ok {
		t.Error("another scope was held up")
	} else {
		r()
	}
	release()
	if _, ok := g.try("all"); !ok {
		t.Error("a released scope stayed taken")
	}
}

func TestCheckSchedules(t *testing.T) {
	for _, bad := range [][]Schedule{
		{{Name: "a", Cron: "every day"}},
		{{Name: "a", Cron: "@daily"}, {Name: "a", Cron: "@hourly"}},
		{{Name: "a", Cron: "@daily", Period: "Q9"}},
		{{Name: "a", Cron: "@daily", Format: "pdf", Output: "x"}},
		{{Name: "a", Cron: "@daily", Task: "backup"}},
		{{Name: "a", Cron: "@daily", Task: "sync", Period: "2026-Q4"}},
		{{Name: "a", Cron: "@daily", Connectors: []string{"db"}}},
		{{Name: "a", Cron: "@daily", Task: "remind", Teams: []string{"sales"}}},
		{{Name: "a", Cron: "@daily", Task: "remind", Connectors: []string{"db"}}},
	} {
		if err := CheckSchedules(bad); err == nil {
			t.Errorf("schedules %+v accepted", bad)
		}
	}
	if err := CheckSchedules([]Schedule{{Name: "a", Cron: "CRON_TZ=Europe/London 0 6 * * 1-5"}, {Name: "b", Cron: "@hourly", Task: "sync", Connectors: []string{"db"}}}); err != nil {
		t.Error(err)
	}
}

// TestSlot: servers agree on the tick a schedule fires for, even when a
// tick fires a moment early or late.
func TestSlot(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct{ cron, now, want string }{
		{"0 6 * * *", "2026-11-26T06:00:00.3Z", "2026-11-26T06:00:00Z"},
		{"0 6 * * *", "2026-11-26T05:59:59.6Z", "2026-11-26T06:00:00Z"},
		{"0 6 * * *", "2026-11-26T06:00:40Z", "2026-11-26T06:00:00Z"},
		{"*/5 * * * *", "2026-11-26T10:07:00Z", "2026-11-26T10:05:00Z"},
		{"@every 30m", "2026-11-26T10:47:12Z", "2026-11-26T10:30:00Z"},
		{"@yearly", "2026-03-03T12:00:00Z", "2026-01-01T00:00:00Z"},
	} {
		sched, err := cronParser.Parse("CRON_TZ=UTC " + tc.cron)
		if strings.HasPrefix(tc.cron, "@every") {
			sched, err = cronParser.Parse(tc.cron)
		}
		if err != nil {
			t.Fatal(err)
		}
		if got := slot(sched, at(tc.now)); !got.Equal(at(tc.want)) {
			t.Errorf("%s at %s: slot %s, want %s", tc.cron, tc.now, got, tc.want)
		}
	}
}
