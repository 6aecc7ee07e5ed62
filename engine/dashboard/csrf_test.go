package dashboard_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/plan"
	"github.com/okrmap/okrmap/engine/service"
)

// TestSignInRedirectStaysHere: the sign-in form's answer to a hostile
// next is a redirect to this site's root.
func TestSignInRedirectStaysHere(t *testing.T) {
	s := newSite(t, false)
	b := s.browser()
	_, page := b.get("/signin")
	resp, _ := b.post("/signin", url.Values{"csrf": {b.csrf(page)}, "token": {s.reader}, "next": {"/\t/evil.example/phish"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Errorf("next=/<TAB>/evil.example: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// TestCSRFTokenIsBoundToTheSession: an attacker's own CSRF cookie and
// token, planted in a signed-in victim's browser, are refused; so is a
// post from Origin null.
func TestCSRFTokenIsBoundToTheSession(t *testing.T) {
	s := newSite(t, false)
	kr := "mkt-sourced-pipeline"
	before := len(s.checkIns(kr))
	attacker := s.browser()
	attacker.signIn(s.writer)
	_, page := attacker.get("/key-results/" + kr)
	token := attacker.csrf(page)
	site, _ := url.Parse(s.url)
	var cookie *http.Cookie
	for _, c := range attacker.c.Jar.Cookies(site) {
		if c.Name == "okrmap_csrf" {
			cookie = c
		}
	}
	if cookie == nil {
		t.Fatal("no CSRF cookie")
	}
	victim := s.browser()
	victim.signIn(s.writer)
	victim.c.Jar.SetCookies(site, []*http.Cookie{{Name: "okrmap_csrf", Value: cookie.Value, Path: "/"}})
	resp, _ := victim.post("/key-results/"+kr+"/checkins", url.Values{"csrf": {token}, "value": {"1"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("the attacker's cookie and token in the victim's session: %d", resp.StatusCode)
	}
	// The victim's own token works; from Origin null it does not.
	_, page = victim.get("/key-results/" + kr)
	form := url.Values{"csrf": {victim.csrf(page)}, "value": {"2"}}
	req, _ := http.NewRequest("POST", s.url+"/key-results/"+kr+"/checkins", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "null")
	if resp, err := victim.c.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("a post from Origin null: %v %v", resp.StatusCode, err)
	}
	if n := len(s.checkIns(kr)); n != before {
		t.Errorf("refused posts stored %d check-ins", n-before)
	}
	if resp, _ := victim.post("/key-results/"+kr+"/checkins", form); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the victim's own form: %d", resp.StatusCode)
	}
}

// TestClosedKeyResult: after close, a key result's page shows its final
// score and no form, its row no pace, and a check-in post answers 409,
// not 500.
func TestClosedKeyResult(t *testing.T) {
	s := newSite(t, false)
	kr := "mkt-sourced-pipeline"
	if _, err := s.svc.CloseQuarter(t.Context(), engine.CloseRequest{Period: "2026-Q4", Force: true}); err != nil {
		t.Fatal(err)
	}
	b := s.browser()
	b.signIn(s.writer)
	resp, page := b.get("/key-results/" + kr)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "closed, scored") || strings.Contains(page, `action="/key-results/`+kr+`/checkins"`) ||
		strings.Contains(page, "of the time gone") {
		t.Errorf("a closed key result's page: %d\n%s", resp.StatusCode, page)
	}
	resp, _ = b.post("/key-results/"+kr+"/checkins", url.Values{"csrf": {b.csrf(page)}, "value": {"1"}})
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("a check-in on a closed key result: %d, want 409", resp.StatusCode)
	}
	_, team := b.get("/teams/marketing")
	if !strings.Contains(team, "closed, scored") || strings.Contains(team, "expected · ") {
		t.Errorf("the team page shows pace for closed key results")
	}
}

// TestKeyResultDescription: a key result's description, applied from a
// plan, is on its page.
func TestKeyResultDescription(t *testing.T) {
	s := newSite(t, true)
	doc := plan.Document{Name: "d.yaml", Data: []byte("version: 1\nobjectives: [{key: d-o, title: D, period: 2026-Q4, key_results: [{key: d-kr, title: D KR, description: \"=> no progress on this KR, carrying over\"}]}]\n")}
	if _, err := s.svc.Apply(t.Context(), service.ApplyRequest{Documents: []plan.Document{doc}}); err != nil {
		t.Fatal(err)
	}
	_, page := s.browser().get("/key-results/d-kr")
	if !strings.Contains(page, "no progress on this KR, carrying over") {
		t.Errorf("the description is not on the page:\n%s", page)
	}
}

// TestRunFindingsBySeverity: a run's page lists errors, then warnings,
// then info.
func TestRunFindingsBySeverity(t *testing.T) {
	s := newSite(t, true)
	_, page := s.browser().get("/audits/1")
	table := page[strings.Index(page, `<table class="findings">`):]
	first := func(sev string) int { return strings.Index(table, `<td><span class="sev `+sev+`">`) }
	e, w, i := first("error"), first("warning"), first("info")
	if e < 0 || w < 0 || !(e < w) || i >= 0 && i < w {
		t.Errorf("severities at %d (error), %d (warning), %d (info)", e, w, i)
	}
}

// TestOverviewOpensOnTheCurrentPeriod: the overview's picker starts on the
// period running today; period= (All periods) still shows everything.
func TestOverviewOpensOnTheCurrentPeriod(t *testing.T) {
	s := newSite(t, true)
	b := s.browser()
	_, page := b.get("/")
	if !strings.Contains(page, `<option value="2026-Q4" selected>`) {
		t.Errorf("the overview does not open on 2026-Q4")
	}
	_, all := b.get("/?period=")
	if strings.Contains(all, `<option value="2026-Q4" selected>`) || !strings.Contains(all, "all periods") {
		t.Errorf("All periods is not what period= shows")
	}
}

// TestTeamPageShowsTheChain: a team page says what each objective is
// under, up to the key result it serves and the business objective.
func TestTeamPageShowsTheChain(t *testing.T) {
	s := newSite(t, true)
	_, page := s.browser().get("/teams/sales")
	if !strings.Contains(page, "under <a") || !strings.Contains(page, "<code>close-fy-on-plan</code></a> › <a") {
		t.Errorf("the sales page does not show the chain above its objectives:\n%s", page)
	}
}

// TestMapSearchListsOnce: a KPI the map shows under several key results
// of one period is one match, its trail naming the period.
func TestMapSearchListsOnce(t *testing.T) {
	s := newSite(t, true)
	_, page := s.browser().get("/map?q=mqls")
	i := strings.Index(page, `<ol class="matches">`)
	if i < 0 {
		t.Fatalf("no matches:\n%s", page)
	}
	list := page[i : i+strings.Index(page[i:], "</ol>")]
	if n := strings.Count(list, "KPI: Marketing qualified leads"); n != 1 || !strings.Contains(list, "· 2026-Q4") {
		t.Errorf("%d matches of the KPI, want 1 with the period in its trail:\n%s", n, list)
	}
}

// TestTeamPageReflectsItsTeam: a team page's picker shows its team and
// the period running today, picking another team opens that team's page,
// and its KPI table shows inferred kinds and owners that are team leads.
func TestTeamPageReflectsItsTeam(t *testing.T) {
	defer func(m time.Month) { engine.FiscalYearStart = m }(engine.FiscalYearStart)
	engine.FiscalYearStart = time.February
	s := openSite(t, true, service.ApplyRequest{Files: []string{"../../examples/fiscal-year/plan.yaml"}})
	b := s.browser()
	_, page := b.get("/teams/ops")
	for _, want := range []string{`<option value="ops" selected>`, `<option value="FY2027-Q4" selected>`, `action="/teams"`,
		`<h2 id="team-delivery-h">Delivery</h2>`, "– · 0 on track, 0 at risk, 0 off track, 2 without data",
		`outcome <span class="muted">(inferred)</span>`, `ops@larkspur.example <span class="muted">(team lead)</span>`} {
		if !strings.Contains(page, want) {
			t.Errorf("the ops page lacks %s", want)
		}
	}
	resp, _ := b.get("/teams?team=crm&period=FY2027-Q4")
	if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || got != "/teams/crm?period=FY2027-Q4" {
		t.Errorf("picking crm on a team page: %d to %q", resp.StatusCode, got)
	}
}

// TestOverviewShowsDelivery: the overview shows where the key results are
// heading beside the alignment scorecard, and key result rows show their
// forecasts and judge by them.
func TestOverviewShowsDelivery(t *testing.T) {
	s := newSite(t, true)
	_, page := s.browser().get("/?period=2026-Q4")
	for _, want := range []string{`<h2 id="delivery-h">Delivery</h2>`, "/100 delivery ·", "<th scope=\"row\">CAC</th>",
		"off track, by its forecast", "by its due date, 0% likely to reach the target"} {
		if !strings.Contains(page, want) {
			t.Errorf("the overview lacks %q", want)
		}
	}
}

// TestKeyResultPageForecasts: a key result with a forecast says where it
// will land and draws the forecast, with its interval, to its due date.
func TestKeyResultPageForecasts(t *testing.T) {
	s := newSite(t, true)
	_, page := s.browser().get("/key-results/sme-sqls")
	for _, want := range []string{"Forecast by its due date: <strong>4,127", `<polygon class="cone"`, "Forecast, with its 80% interval",
		"off track, by its forecast", "<td>Forecast</td><td>2026-12-31 00:00</td>"} {
		if !strings.Contains(page, want) {
			t.Errorf("the sme-sqls page lacks %q", want)
		}
	}
}
