package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestDeleteResolvesAndArchives: a deleted KPI's findings resolve at the
// next audit, export leaves it out, and its measurements stay readable in
// the archive; delete refuses, listing them, while others depend on an
// entity.
func TestDeleteResolvesAndArchives(t *testing.T) {
	e := newEnv(t)
	e.ok(append([]string{"apply"}, exampleFiles(t)...)...)
	e.ok("import", "measurements", "../../../../examples/saas-b2b/measurements.csv")
	e.run("", "audit")
	mustContain(t, "refused", e.fails(ExitInput, "delete", "objective", "mkt-brand"),
		"objective mkt-brand cannot go alone", "kpi brand-recall (links to mkt-brand)", "--cascade --dry-run")
	mustContain(t, "wrong kind", e.fails(ExitInput, "delete", "kpi", "grow-arr"), `"grow-arr" is a business_objective, not a kpi`)
	mustContain(t, "deleted", e.ok("delete", "kpi", "social-followers"), "deleted kpi social-followers")
	e.run("", "audit")
	diff := e.ok("audit", "diff")
	resolved := diff[strings.Index(diff, "RESOLVED"):strings.Index(diff, "PERSISTING")]
	if strings.Count(resolved, "social-followers") != 3 {
		t.Errorf("the deleted KPI's findings did not resolve:\n%s", diff)
	}
	if strings.Contains(e.ok("export"), "social-followers") {
		t.Error("export still has the deleted KPI")
	}
	var archived []struct {
		Kind    string
		Key     string
		Entity  map[string]any
		History []map[string]any
	}
	if err := json.Unmarshal([]byte(e.ok("get", "archived", "-o", "json")), &archived); err != nil {
		t.Fatal(err)
	}
	if len(archived) != 1 || archived[0].Key != "social-followers" || archived[0].Entity["name"] == nil || len(archived[0].History) != 7 {
		t.Errorf("archive: %+v", archived)
	}
}

// TestImportCheckIns: import checkins stores a CSV's check-ins, comments
// too, all or nothing, and stores nothing twice.
func TestImportCheckIns(t *testing.T) {
	e := newEnv(t)
	e.ok(append([]string{"apply"}, exampleFiles(t)...)...)
	bad := e.write("bad.csv", "key_result,at,value,confidence\nsme-sqls,2026-11-10,3400,0.7\nsme-sqlz,2026-11-10,1,\n")
	mustContain(t, "a bad row", e.fails(ExitInput, "import", "checkins", bad), `bad.csv:3:1: no key result "sme-sqlz"`)
	mustContain(t, "nothing stored", e.fails(ExitInput, "get", "checkins", "sme-sqls"), `no checkin with key "sme-sqls"`)
	good := e.write("good.csv", "key_result,at,value,confidence,note\nsme-sqls,2026-11-10,3400,0.7,webinars\nsme-sqls,2026-11-17,,,no progress\n")
	mustContain(t, "import", e.ok("import", "checkins", good), "imported 2 check-ins")
	mustContain(t, "again", e.ok("import", "checkins", good), "imported 0 check-ins; 2 were already stored")
	mustContain(t, "history", e.ok("get", "checkins", "sme-sqls"), "3,400", "(comment)", "no progress")
}

// TestTreeShowsForecasts: a key result with three or more check-ins shows
// where it is forecast to land, in the text tree and in JSON.
func TestTreeShowsForecasts(t *testing.T) {
	e := newEnv(t)
	e.ok(append([]string{"apply"}, exampleFiles(t)...)...)
	e.ok("import", "measurements", "../../../../examples/saas-b2b/measurements.csv")
	mustContain(t, "text", e.ok("tree", "--team", "marketing"),
		"KR sme-sqls · SME sales-qualified leads: 3,000 → 5,000 count, now 3,620 (31%), due 2026-12-31, forecast 4,127 (", "0% likely to reach the target")
	var tree struct{ Lines []map[string]any }
	if err := json.Unmarshal([]byte(e.ok("tree", "-o", "json")), &tree); err != nil {
		t.Fatal(err)
	}
	found := false
	var walk func(n map[string]any)
	walk = func(n map[string]any) {
		if f, ok := n["forecast"].(map[string]any); ok && n["key"] == "sme-sqls" {
			found = f["method"] == "damped-linear-trend" && f["low"].(float64) < f["value"].(float64) && f["likelihood"].(float64) < 0.01
		}
		children, _ := n["children"].([]any)
		for _, c := range children {
			walk(c.(map[string]any))
		}
	}
	for _, l := range tree.Lines {
		walk(l)
	}
	if !found {
		t.Error("the JSON tree has no forecast for sme-sqls")
	}
}

// TestAuditJudgesDelivery: an audit stores where the key results are
// heading, shows it in text and JSON, and a stored run shows the same.
func TestAuditJudgesDelivery(t *testing.T) {
	e := newEnv(t)
	e.ok(append([]string{"apply"}, exampleFiles(t)...)...)
	e.ok("import", "measurements", "../../../../examples/saas-b2b/measurements.csv")
	mustContain(t, "text", e.ok("audit", "--today", "2026-11-20", "--fail-on", "never"), "DELIVERY", "P&L revenue", "over 5 forecasts")
	type run struct {
		Run struct {
			Delivery struct {
				Company struct {
					Score     *float64
					Forecasts int
				}
				PnLLines map[string]any `json:"pnl_lines"`
			}
		}
	}
	var fresh, stored run
	if err := json.Unmarshal([]byte(e.ok("audit", "--today", "2026-11-20", "--fail-on", "never", "-o", "json")), &fresh); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(e.ok("audit", "show", "2", "-o", "json")), &stored); err != nil {
		t.Fatal(err)
	}
	c := fresh.Run.Delivery.Company
	if c.Score == nil || c.Forecasts != 8 || len(fresh.Run.Delivery.PnLLines) != 5 {
		t.Errorf("delivery %+v", fresh.Run.Delivery)
	}
	if s := stored.Run.Delivery.Company; s.Score == nil || *s.Score != *c.Score || s.Forecasts != c.Forecasts {
		t.Errorf("the stored run's delivery %+v differs from the audit's %+v", s, c)
	}
}

// TestStatus: status lists the key results in scope worst first, with
// where each stands and is heading, in text, JSON and markdown.
func TestStatus(t *testing.T) {
	e := newEnv(t)
	e.ok(append([]string{"apply"}, exampleFiles(t)...)...)
	e.ok("import", "measurements", "../../../../examples/saas-b2b/measurements.csv")
	out := e.ok("status", "--today", "2026-11-20")
	mustContain(t, "text", out, "Delivery, scope all, as of 2026-11-20: 14/100 · 2 on track, 0 at risk, 12 off track, 7 without data",
		"OFF TRACK (12)", "sme-sqls", "now 3,620, target 5,000 count, due 2026-12-31 · forecast 4,127 (", "ON TRACK (2)", "P&L revenue")
	if strings.Index(out, "OFF TRACK") > strings.Index(out, "ON TRACK (2)") {
		t.Errorf("on track before off track:\n%s", out)
	}
	var st struct {
		Today      string
		KeyResults []struct {
			Key, Status string
			Forecast    *struct{ Likelihood float64 }
		} `json:"key_results"`
	}
	if err := json.Unmarshal([]byte(e.ok("status", "--team", "marketing", "--today", "2026-11-20", "-o", "json")), &st); err != nil {
		t.Fatal(err)
	}
	if st.Today != "2026-11-20" || len(st.KeyResults) != 7 || st.KeyResults[0].Status != "off_track" || st.KeyResults[0].Forecast == nil ||
		st.KeyResults[len(st.KeyResults)-1].Status != "on_track" {
		t.Errorf("marketing's status: %+v", st)
	}
	mustContain(t, "markdown", e.ok("status", "-o", "markdown", "--today", "2026-11-20"), "| key result | team | heading | where |", "| sme-sqls | marketing | off track |")
	mustContain(t, "unknown team", e.fails(ExitInput, "status", "--team", "nope"), `no team "nope"`)
}

// TestDigest: a digest of a week lists what moved, what needs attention
// and what is due, links key results to the dashboard when its address is
// set, and previews as markdown and HTML.
func TestDigest(t *testing.T) {
	e := newEnv(t)
	e.ok(append([]string{"apply"}, exampleFiles(t)...)...)
	e.ok("import", "measurements", "../../../../examples/saas-b2b/measurements.csv")
	e.ok("checkin", "case-studies-kr", "--value", "3", "--at", "2026-11-18", "--note", "two <b>new</b> stories")
	e.run("", "audit", "--today", "2026-11-20")
	out := e.ok("digest", "--team", "marketing", "--today", "2026-11-20")
	mustContain(t, "text", out, "Digest of 2026-11-14 to 2026-11-20, scope teams=marketing",
		"Moved (5)", "sme-sqls marketing: 3,525 → 3,620 count (+5 points of the way to target), 1 check-in",
		"Needs attention (5)", "sme-sqls marketing, off track: now 3,620, target 5,000 count",
		"Check-in due (2)", "paid-cac-kr marketing: last checked in 20 days ago; the team's cadence is 7 days", "Audit run 1 of 2026-11-20, scope all")
	if strings.Contains(out, "case-studies-kr marketing: never") {
		t.Errorf("case-studies-kr was checked in, yet due:\n%s", out)
	}
	t.Setenv("OKRMAP_SERVER_PUBLIC_URL", "https://okrmap.example.com/")
	mustContain(t, "markdown", e.ok("digest", "--team", "marketing", "--today", "2026-11-20", "-o", "markdown"),
		"## Moved (5)", "- [sme-sqls](https://okrmap.example.com/key-results/sme-sqls) marketing")
	html := e.ok("digest", "--today", "2026-11-20", "-o", "html")
	mustContain(t, "html", html, `<a href="https://okrmap.example.com/key-results/sme-sqls"><code>sme-sqls</code></a>`, "<h2 style=")
	if strings.Contains(html, "<script") {
		t.Error("the HTML digest has a script")
	}
	mustContain(t, "days", e.fails(ExitInput, "digest", "--days", "0"), "--days 0: give 1 to 92 days")
}
