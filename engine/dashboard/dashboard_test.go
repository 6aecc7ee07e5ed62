package dashboard_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/tree"
)

// pages are the dashboard's pages on the saas-b2b example, with what each
// must show.
var pages = []struct {
	path  string
	wants []string
}{
	{"/", []string{"Northwind", "Alignment scorecard", "Vertical alignment", "KPIs whose links reach a business objective",
		"P&amp;L line: Revenue", "Grow ARR from $31M to $40M", "Marketing-sourced pipeline", "7,960,000 USD", "on track"}},
	{"/map", []string{"P&amp;L lines", "revenue", "Grow ARR from $31M to $40M", "KPIs that reach nothing", "Newsletter email open rate",
		"reaches no P&amp;L line"}},
	{"/teams/marketing", []string{"Marketing", "Make marketing the largest source of qualified pipeline", "Net new business pipeline created",
		"Alignment scorecard beside the company", "Findings about this team"}},
	{"/kpis/sourced-pipeline", []string{"Net new business pipeline created", "Measurements over time", "<svg", "Target",
		"Trace:", "grow-arr", "demand-gen@northwind.example"}},
	{"/key-results/mkt-sourced-pipeline", []string{"Marketing-sourced pipeline", "Check-ins against the expected pace", "Expected pace",
		"7,960,000 USD", "Confidence over time"}},
	{"/audits", []string{"Run 1", "Compare run"}},
	{"/audits/1", []string{"Audit run 1", "kr-behind-pace", "format=sarif", "format=junit"}},
	{"/rules", []string{"kpi-stale", "okrmap-default", "Fix:"}},
	{"/signin", []string{"API token", `type="password"`}},
}

func TestPagesShowTheirContent(t *testing.T) {
	s := newSite(t, true)
	b := s.browser()
	external := regexp.MustCompile(`(?i)(src|href|action)\s*=\s*"(https?:)?//`)
	for _, p := range pages {
		resp, body := b.get(p.path)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", p.path, resp.StatusCode)
			continue
		}
		contains(t, p.path, body, p.wants...)
		if m := external.FindString(body); m != "" {
			t.Errorf("%s loads %s from another site", p.path, m)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("%s: CSP %q", p.path, csp)
		}
	}
	resp, _ := b.get("/kpis/no-such-kpi")
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown KPI: %d", resp.StatusCode)
	}
	resp, _ = b.get("/kpis/mkt-sourced-pipeline") // a key result, not a KPI
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("a key result as a KPI: %d", resp.StatusCode)
	}
	resp, body := b.get("/?period=someday")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "someday") {
		t.Errorf("a bad period: %d", resp.StatusCode)
	}
}

func TestScopeFiltersPages(t *testing.T) {
	s := newSite(t, true)
	b := s.browser()
	_, body := b.get("/?team=finance")
	contains(t, "the finance overview", body, "no audit of this scope is stored", "finance's row")
	if strings.Contains(body, "Make marketing the largest source") {
		t.Error("the finance overview shows a marketing objective")
	}
	_, body = b.get("/map?team=finance")
	if strings.Contains(body, "Newsletter email open rate") {
		t.Error("the finance map shows a marketing KPI")
	}
}

func TestSignedOutVisitorsAreSentToSignIn(t *testing.T) {
	s := newSite(t, false)
	b := s.browser()
	resp, _ := b.get("/map?q=pipeline")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/signin?next="+url.QueryEscape("/map?q=pipeline") {
		t.Fatalf("signed out: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, page := b.get("/signin")
	resp, body := b.post("/signin", url.Values{"csrf": {b.csrf(page)}, "token": {"okm_wrong"}, "next": {"/map"}})
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "not valid") {
		t.Errorf("a wrong token: %d", resp.StatusCode)
	}
	// A sign-in link cannot send the browser to another site.
	resp, _ = b.post("/signin", url.Values{"csrf": {b.csrf(page)}, "token": {s.reader}, "next": {"//evil.example/"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Errorf("next=//evil.example: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body = b.get("/map")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Signed in as <strong>rita</strong>") {
		t.Errorf("after sign-in: %d", resp.StatusCode)
	}
	// Revoking the token ends the session.
	if err := s.svc.RevokeToken(t.Context(), "rita"); err != nil {
		t.Fatal(err)
	}
	resp, _ = b.get("/audits")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/signin") {
		t.Errorf("a session of a revoked token: %d", resp.StatusCode)
	}
}

func TestCheckInThroughTheForm(t *testing.T) {
	s := newSite(t, true)
	const kr = "sme-sqls"
	before := len(s.checkIns(kr))

	// Anonymous readers see no form and cannot post.
	anon := s.browser()
	_, page := anon.get("/key-results/" + kr)
	if strings.Contains(page, `name="value"`) || !strings.Contains(page, "needs a token with the write or admin role") {
		t.Error("an anonymous reader is offered the check-in form")
	}
	_, signin := anon.get("/signin") // a form with this browser's CSRF token
	resp, _ := anon.post("/key-results/"+kr+"/checkins", url.Values{"csrf": {anon.csrf(signin)}, "value": {"4000"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("an anonymous check-in: %d", resp.StatusCode)
	}

	// A read token cannot check in either.
	reader := s.browser()
	reader.signIn(s.reader)
	_, page = reader.get("/key-results/" + kr)
	resp, _ = reader.post("/key-results/"+kr+"/checkins", url.Values{"csrf": {reader.csrf(page)}, "value": {"4000"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a reader's check-in: %d", resp.StatusCode)
	}

	b := s.browser()
	b.signIn(s.writer)
	_, page = b.get("/key-results/" + kr)
	idem := regexp.MustCompile(`name="idempotency_key" value="([^"]+)"`).FindStringSubmatch(page)
	if idem == nil {
		t.Fatal("no check-in form for a writer")
	}
	form := url.Values{"csrf": {b.csrf(page)}, "idempotency_key": {idem[1]}, "value": {"4100"}, "confidence": {"70"}, "note": {"webinar week"}}

	// Without the CSRF token, or from another site, nothing is stored.
	bad := url.Values{"value": {"4100"}}
	if resp, _ := b.post("/key-results/"+kr+"/checkins", bad); resp.StatusCode != http.StatusForbidden {
		t.Errorf("no CSRF token: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("POST", s.url+"/key-results/"+kr+"/checkins", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	if resp, err := b.c.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("a post from another origin: %v %v", resp.StatusCode, err)
	}

	// A wrong value is refused, naming the field, and keeps what was typed.
	wrong := url.Values{"csrf": form["csrf"], "idempotency_key": form["idempotency_key"], "value": {"4,100 leads"}, "note": {"kept"}}
	resp, body := b.post("/key-results/"+kr+"/checkins", wrong)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a wrong value: %d", resp.StatusCode)
	}
	contains(t, "the refused form", body, "Value &#34;4,100 leads&#34; is not a number", `value="4,100 leads"`, ">kept</textarea>")
	if n := len(s.checkIns(kr)); n != before {
		t.Fatalf("a refused check-in stored something: %d check-ins, %d before", n, before)
	}

	for range 2 { // a double submit stores once
		resp, _ = b.post("/key-results/"+kr+"/checkins", form)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/key-results/"+kr+"?flash=checkin" {
			t.Fatalf("check-in: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	cs := s.checkIns(kr)
	if len(cs) != before+1 {
		t.Fatalf("%d check-ins after one check-in submitted twice, %d before", len(cs), before)
	}
	last := cs[len(cs)-1]
	if last.Value != 4100 || last.Confidence == nil || *last.Confidence != 0.7 || last.Note != "webinar week" || last.Author != "token:alice" {
		t.Errorf("stored %+v", last)
	}
	_, page = b.get("/key-results/" + kr + "?flash=checkin")
	contains(t, "the key result after the check-in", page, "Check-in saved.", "4,100 count", "webinar week", "70%")

	// After signing out, the form is gone and posting is refused.
	_, page = b.get("/")
	if resp, _ := b.post("/signout", url.Values{"csrf": {b.csrf(page)}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out: %d", resp.StatusCode)
	}
	_, page = b.get("/key-results/" + kr)
	if strings.Contains(page, `name="value"`) {
		t.Error("the check-in form is offered after sign-out")
	}
	_, page = b.get("/signin")
	resp, _ = b.post("/key-results/"+kr+"/checkins", url.Values{"csrf": {b.csrf(page)}, "value": {"5000"}})
	if resp.StatusCode != http.StatusForbidden || len(s.checkIns(kr)) != before+1 {
		t.Errorf("a check-in after sign-out: %d", resp.StatusCode)
	}
}

func TestOverviewShowsWhatChanged(t *testing.T) {
	s := newSite(t, true)
	b := s.browser()
	_, body := b.get("/")
	contains(t, "the overview with one run", body, "what changed appears after the next audit")
	// Check in a key result whose overdue check-in was found, so the
	// finding resolves.
	run, err := s.svc.Run(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}
	kr := ""
	for _, f := range run.Findings {
		if f.Rule == "kr-checkin-overdue" {
			kr = f.Entity
		}
	}
	if kr == "" {
		t.Fatal("run 1 found no overdue check-in")
	}
	if _, err := s.svc.Record(t.Context(), checkIn(kr, 1)); err != nil {
		t.Fatal(err)
	}
	s.audit()
	_, body = b.get("/")
	contains(t, "the overview with two runs", body, "resolved since run 1", "Everything that changed since run 1")
	_, body = b.get("/audits/diff")
	contains(t, "the diff", body, "What changed from run 1 to run 2", "Resolved (", "kr-checkin-overdue", kr)
}

var nodeID = regexp.MustCompile(`<li id="n-([a-z0-9.]+)"`)
var loadLink = regexp.MustCompile(`data-load="([^"]+)"`)

// TestLargeMapDropsNothing opens every lazy node of a 2,000-KPI, 15-team
// map, as a reader clicking through would, and finds every node of the
// tree exactly once.
func TestLargeMapDropsNothing(t *testing.T) {
	s := newLargeSite(t, 2000, 15)
	s.audit()
	b := s.browser()
	resp, page := b.get("/map")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("map: %d", resp.StatusCode)
	}
	if len(page) > 300<<10 {
		t.Errorf("the map's first page is %d KB", len(page)>>10)
	}
	seen := map[string]int{}
	queue := []string{page}
	fetches := 0
	for len(queue) > 0 {
		html := queue[0]
		queue = queue[1:]
		for _, m := range nodeID.FindAllStringSubmatch(html, -1) {
			seen[m[1]]++
		}
		for _, m := range loadLink.FindAllStringSubmatch(html, -1) {
			u := strings.ReplaceAll(m[1], "&amp;", "&")
			resp, frag := b.get(u)
			fetches++
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s: %d %s", u, resp.StatusCode, frag)
			}
			queue = append(queue, frag)
		}
	}
	tr, err := s.svc.Tree(t.Context(), engine.Scope{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, g := range []struct {
		id string
		ns []*tree.Node
	}{{"l", tr.Lines}, {"u", tr.Unparented}, {"a", tr.Unaligned}} {
		var walk func(ns []*tree.Node, prefix string)
		walk = func(ns []*tree.Node, prefix string) {
			for i, n := range ns {
				p := fmt.Sprintf("%s.%d", prefix, i)
				want++
				if seen[p] != 1 {
					t.Errorf("node %s (%s %s) shown %d times", p, n.Kind, n.Key, seen[p])
				}
				walk(n.Children, p)
			}
		}
		walk(g.ns, g.id)
	}
	if len(seen) != want {
		t.Errorf("%d nodes shown, the tree has %d", len(seen), want)
	}
	t.Logf("%d nodes in %d fragments", want, fetches)

	_, body := b.get("/")
	if len(body) > 300<<10 {
		t.Errorf("the overview is %d KB", len(body)>>10)
	}
	contains(t, "the large overview", body, "more objectives under this business objective")
	_, body = b.get("/teams/sales-3")
	contains(t, "a generated team", body, "Sales", "kr-")
}

func TestSearchOpensThePathToAMatch(t *testing.T) {
	s := newLargeSite(t, 2000, 15)
	b := s.browser()
	// A driver KPI sits deep: line, business objective, objective, key
	// result, outcome KPI, driver.
	tr, err := s.svc.Tree(t.Context(), engine.Scope{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var deep *tree.Node
	tr.Walk(func(n *tree.Node, depth int) {
		if deep == nil && n.Drives && depth >= 5 {
			deep = n
		}
	})
	if deep == nil {
		t.Fatal("the generated plan has no driver KPI five levels down")
	}
	_, body := b.get("/map?q=" + deep.Key)
	contains(t, "the search", body, "1 match for", `class="hit"`, deep.Title)
	// Every node on the path is rendered open down to the match.
	id := regexp.MustCompile(`href="#n-([a-z0-9.]+)"`).FindStringSubmatch(body)
	if id == nil {
		t.Fatal("no link to the match")
	}
	parts := strings.Split(id[1], ".")
	for i := 2; i < len(parts); i++ {
		anc := strings.Join(parts[:i], ".")
		if !regexp.MustCompile(`<li id="n-` + regexp.QuoteMeta(anc) + `" class="node open">`).MatchString(body) {
			t.Errorf("ancestor %s of the match is not open", anc)
		}
	}
	// A list opened by the search shows only the path, with a way to all
	// of it: the script's fragment, or without script the map with the
	// whole list. Here: the business objective's children.
	bo := tr.Lines[atoi(t, parts[1])].Children[atoi(t, parts[2])]
	prefix := strings.Join(parts[:3], ".")
	direct := regexp.MustCompile(`<li id="n-` + regexp.QuoteMeta(prefix) + `\.\d+"`)
	if n := len(direct.FindAllString(body, -1)); n != 1 || len(bo.Children) < 2 {
		t.Fatalf("the search shows %d of the business objective's %d children", n, len(bo.Children))
	}
	if !strings.Contains(body, `data-load="/map/children?path=`+prefix+`" data-all="true"`) {
		t.Error("no link to the whole list the search opened")
	}
	_, whole := b.get("/map?open=" + prefix + "&all=" + prefix)
	if n := len(direct.FindAllString(whole, -1)); n != len(bo.Children) {
		t.Errorf("the whole list of %s shows %d nodes, it has %d", prefix, n, len(bo.Children))
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func checkIn(kr string, v float64) engine.Batch {
	return engine.Batch{CheckIns: []engine.CheckIn{{KeyResult: kr, Value: v, At: now}}}
}
