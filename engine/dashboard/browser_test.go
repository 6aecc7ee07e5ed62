package dashboard_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/okrmap/okrmap/engine/testenv"
)

// chrome starts headless chromium for the test and returns a browser
// context with the errors its pages log.
func chrome(t *testing.T) (context.Context, *consoleLog) {
	t.Helper()
	path := testenv.Chromium(t, "run the dashboard in a browser")
	// The profile is removed after the browser exits; chromium may still
	// be writing to it as the process winds down, so errors are ignored.
	profile, err := os.MkdirTemp("", "okrmap-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(profile) })
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(profile), chromedp.WindowSize(1280, 900),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	ctx, cancel = context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(cancel)
	log := &consoleLog{}
	chromedp.ListenTarget(ctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.APITypeError || e.Type == runtime.APITypeWarning {
				var args []string
				for _, a := range e.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				log.add(string(e.Type) + ": " + strings.Join(args, " "))
			}
		case *runtime.EventExceptionThrown:
			log.add("exception: " + e.ExceptionDetails.Error())
		}
	})
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	return ctx, log
}

// consoleLog collects what pages write to the console as errors.
type consoleLog struct {
	mu   sync.Mutex
	msgs []string
}

func (l *consoleLog) add(m string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msgs = append(l.msgs, m)
}

// take returns the messages logged since the last take.
func (l *consoleLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := l.msgs
	l.msgs = nil
	return m
}

// screenshots is where page screenshots go: OKRMAP_SCREENSHOTS, or a
// directory under the system's temporary directory. They are not
// committed.
func screenshots(t *testing.T) string {
	dir := os.Getenv("OKRMAP_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "okrmap-dashboard-screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// axeSource is axe-core's script (npm install axe-core; .ci/run does),
// found through OKRMAP_TEST_AXE.
func axeSource(t *testing.T) string {
	p := os.Getenv("OKRMAP_TEST_AXE")
	if p == "" {
		testenv.SkipOutsideCI(t, "OKRMAP_TEST_AXE is not set: npm install axe-core and point it at axe.min.js (.ci/run does)")
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
	} `json:"nodes"`
}

// checkPage loads path, checks it logged no error and shows wants, runs
// axe-core over it and saves a screenshot named name.
func checkPage(t *testing.T, ctx context.Context, log *consoleLog, axe, base, path, name string, wants ...string) {
	t.Helper()
	var text string
	var shot []byte
	err := chromedp.Run(ctx,
		chromedp.Navigate(base+path),
		chromedp.WaitReady("body"),
		chromedp.Text("body", &text, chromedp.ByQuery),
		chromedp.FullScreenshot(&shot, 100),
	)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s does not show %q", path, w)
		}
	}
	if err := os.WriteFile(filepath.Join(screenshots(t), name+".png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}
	var raw string
	err = chromedp.Run(ctx,
		chromedp.Evaluate(axe, nil),
		chromedp.Evaluate(`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}}).then(r => JSON.stringify(r.violations))`,
			&raw, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }),
	)
	if err != nil {
		t.Fatalf("axe on %s: %v", path, err)
	}
	var vs []axeViolation
	if err := json.Unmarshal([]byte(raw), &vs); err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		if v.Impact == "serious" || v.Impact == "critical" {
			first := ""
			if len(v.Nodes) > 0 {
				first = v.Nodes[0].HTML
			}
			t.Errorf("%s: axe %s (%s): %s, %d nodes, e.g. %s", path, v.ID, v.Impact, v.Help, len(v.Nodes), first)
		}
	}
	for _, m := range log.take() {
		t.Errorf("%s logged %s", path, m)
	}
}

// TestPagesInABrowser drives chromium through every page on the shipped
// example: each loads without a console error, shows its content and has
// no serious accessibility violation; a check-in through the form shows in
// the chart; the map expands lazily and to a searched KPI; a finding links
// to its KPI; a signed-out browser cannot post.
func TestPagesInABrowser(t *testing.T) {
	ctx, log := chrome(t)
	axe := axeSource(t)
	s := newSite(t, true)
	// A second run, so the overview has a trend and a diff.
	if _, err := s.svc.Record(t.Context(), checkIn("sme-sqls", 3900)); err != nil {
		t.Fatal(err)
	}
	s.audit()

	// Signed out: read-only pages, no form, and a post is refused.
	checkPage(t, ctx, log, axe, s.url, "/key-results/sme-sqls", "signed-out-key-result", "needs a token with the write or admin role")
	var status float64
	err := chromedp.Run(ctx, chromedp.Evaluate(`fetch("/key-results/sme-sqls/checkins", {method: "POST",
		headers: {"Content-Type": "application/x-www-form-urlencoded"}, body: "value=1"}).then(r => r.status)`, &status,
		func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
	if err != nil || status != 403 {
		t.Errorf("a signed-out post: %v %v", status, err)
	}
	log.take() // the refused fetch logs its 403

	// Sign in through the form.
	err = chromedp.Run(ctx,
		chromedp.Navigate(s.url+"/signin?next=/"),
		chromedp.SendKeys("#token", s.writer, chromedp.ByQuery),
		chromedp.Submit("#token", chromedp.ByQuery),
		chromedp.WaitVisible(`//h2[text()="Alignment scorecard"]`),
	)
	if err != nil {
		t.Fatalf("signing in: %v", err)
	}

	for _, p := range []struct{ path, name string }{
		{"/", "overview"}, {"/map", "map"}, {"/teams/marketing", "team"}, {"/kpis/sourced-pipeline", "kpi"},
		{"/key-results/mkt-sourced-pipeline", "key-result"}, {"/audits", "audits"}, {"/audits/2", "audit"},
		{"/audits/diff", "diff"}, {"/rules", "rules"},
	} {
		var wants []string
		for _, pg := range pages {
			if pg.path == p.path {
				for _, w := range pg.wants {
					wants = append(wants, strings.ReplaceAll(w, "&amp;", "&"))
				}
			}
		}
		for i, w := range wants { // markup is not text
			if strings.HasPrefix(w, "<") {
				wants[i] = ""
			}
		}
		checkPage(t, ctx, log, axe, s.url, p.path, p.name, wants...)
	}

	// A check-in through the form appears in the key result's chart.
	var table string
	err = chromedp.Run(ctx,
		chromedp.Navigate(s.url+"/key-results/sme-sqls"),
		chromedp.SendKeys("#value", "4321", chromedp.ByQuery),
		chromedp.SendKeys("#confidence", "65", chromedp.ByQuery),
		chromedp.SendKeys("#note", "checked in from the browser", chromedp.ByQuery),
		chromedp.Submit("#value", chromedp.ByQuery),
		chromedp.WaitVisible(`.flash`, chromedp.ByQuery),
		chromedp.TextContent(`figure.chart + details.data table`, &table, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("checking in: %v", err)
	}
	var points int
	if err := chromedp.Run(ctx, chromedp.Evaluate(`document.querySelectorAll("figure.chart svg circle.s-value").length`, &points)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table, "4,321") || points == 0 {
		t.Errorf("the chart after the check-in: %d points, table %q", points, table)
	}

	// The map loads a business objective's children when it is opened, and
	// arrow keys move into them.
	openFirstObjective(t, ctx, s.url)
	var focused string
	err = chromedp.Run(ctx,
		chromedp.Focus(`#n-l\.0\.0 > a.toggle`, chromedp.ByQuery),
		chromedp.KeyEvent(kb.ArrowDown),
		chromedp.Evaluate(`document.activeElement.closest("li").id`, &focused),
	)
	if err != nil || focused != "n-l.0.0.0" {
		t.Errorf("arrow down from the business objective focused %q: %v", focused, err)
	}

	// A search opens the path to a KPI deep in the tree.
	var visible bool
	err = chromedp.Run(ctx,
		chromedp.Navigate(s.url+"/map"),
		chromedp.SendKeys("#q", "sourced-pipeline", chromedp.ByQuery),
		chromedp.Submit("#q", chromedp.ByQuery),
		chromedp.WaitReady(`#matches-h`, chromedp.ByQuery),
		chromedp.Evaluate(`[...document.querySelectorAll("a.hit")].some(a => a.offsetParent !== null)`, &visible),
	)
	if err != nil || !visible {
		t.Errorf("the searched KPI is not visible: %v", err)
	}

	// A finding links to its KPI.
	var h1 string
	err = chromedp.Run(ctx,
		chromedp.Navigate(s.url+"/audits/2"),
		chromedp.Click(`table.findings a[href^="/kpis/"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`//h2[text()="Measurements over time"]`),
		chromedp.Text("h1", &h1, chromedp.ByQuery),
	)
	if err != nil || !strings.Contains(h1, "KPI") {
		t.Errorf("following a finding to its KPI: %q %v", h1, err)
	}
	for _, m := range log.take() {
		t.Errorf("logged %s", m)
	}
	t.Logf("screenshots in %s", screenshots(t))
}

// TestLargePlanInABrowser checks every page on a generated 2,000-KPI plan
// with 15 teams: no console error, no serious accessibility violation.
func TestLargePlanInABrowser(t *testing.T) {
	ctx, log := chrome(t)
	axe := axeSource(t)
	s := newLargeSite(t, 2000, 15)
	s.audit()
	s.audit()
	for _, p := range []struct{ path, name string }{
		{"/", "large-overview"}, {"/map", "large-map"}, {"/teams/marketing-2", "large-team"},
		{"/kpis/kpi-000001", "large-kpi"}, {"/key-results/kr-00001-0", "large-key-result"},
		{"/audits/2", "large-audit"}, {"/audits/diff", "large-diff"}, {"/map?q=kpi-00199", "large-search"},
	} {
		checkPage(t, ctx, log, axe, s.url, p.path, p.name)
	}
	openFirstObjective(t, ctx, s.url)
}

// openFirstObjective opens the map's first business objective by its
// toggle, which loads its children.
func openFirstObjective(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	var kids int
	err := chromedp.Run(ctx,
		chromedp.Navigate(base+"/map"),
		chromedp.Click(`#n-l\.0\.0 > a.toggle`, chromedp.ByQuery),
		chromedp.WaitVisible(`#n-l\.0\.0\.0`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll("#n-l\\.0\\.0 > ul > li").length`, &kids),
	)
	if err != nil || kids == 0 {
		t.Fatalf("opening a business objective: %d children, %v", kids, err)
	}
}
