package dashboard_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/gen"
	"github.com/okrmap/okrmap/engine/plan"
	"github.com/okrmap/okrmap/engine/server"
	"github.com/okrmap/okrmap/engine/service"
	"go.yaml.in/yaml/v3"
)

// now is the fixture's clock: halfway through 2026-Q4, after the
// example's last measurement.
var now = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// site is okrmap serve over a database holding a plan, as a browser sees
// it.
type site struct {
	t      testing.TB
	svc    *service.Service
	url    string
	writer string // a write token's secret
	reader string // a read token's secret
}

// newSite serves the shipped saas-b2b example with its measurements and two
// stored audits.
func newSite(t *testing.T, anonymousRead bool) *site {
	t.Helper()
	files, err := filepath.Glob("../../examples/saas-b2b/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no example plan: %v", err)
	}
	s := openSite(t, anonymousRead, service.ApplyRequest{Files: files})
	f, err := os.Open("../../examples/saas-b2b/measurements.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := s.svc.ImportMeasurements(t.Context(), "measurements.csv", f, "warehouse-sync"); err != nil {
		t.Fatal(err)
	}
	s.audit()
	return s
}

// newLargeSite serves a generated plan of kpis KPIs and teams teams.
func newLargeSite(t testing.TB, kpis, teams int) *site {
	p, err := gen.Plan(gen.Options{KPIs: kpis, Teams: teams, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	b, err := yaml.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return openSite(t, true, service.ApplyRequest{Documents: []plan.Document{{Name: "generated.yaml", Data: b}}})
}

func openSite(t testing.TB, anonymousRead bool, apply service.ApplyRequest) *site {
	ctx := context.Background()
	svc, err := service.Open(ctx, filepath.Join(t.TempDir(), "okrmap.db"), service.Options{
		Rules: service.Rules{Builtin: true}, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	if _, err := svc.Apply(ctx, apply); err != nil {
		t.Fatal(err)
	}
	cfg := server.Defaults()
	cfg.AnonymousRead, cfg.Company = anonymousRead, "Northwind"
	srv, err := server.New(svc, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	s := &site{t: t, svc: svc, url: hs.URL}
	s.writer, _, err = svc.CreateToken(ctx, "alice", service.RoleWrite, 0)
	if err != nil {
		t.Fatal(err)
	}
	s.reader, _, err = svc.CreateToken(ctx, "rita", service.RoleRead, 0)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// audit stores an audit run of the whole plan.
func (s *site) audit() {
	s.t.Helper()
	if _, err := s.svc.Audit(s.t.Context(), service.AuditRequest{Author: "test"}); err != nil {
		s.t.Fatal(err)
	}
}

// browser is an HTTP client with cookies that does not follow redirects.
type browser struct {
	t    testing.TB
	site *site
	c    *http.Client
}

func (s *site) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: s.t, site: s, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (b *browser) get(path string) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.c.Get(b.site.url + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequest("POST", b.site.url+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.site.url)
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf reads the CSRF token from a page's form.
func (b *browser) csrf(page string) string {
	b.t.Helper()
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		b.t.Fatal("the page has no form with a CSRF token")
	}
	return m[1]
}

// signIn signs in with secret through the sign-in form.
func (b *browser) signIn(secret string) {
	b.t.Helper()
	_, page := b.get("/signin")
	resp, body := b.post("/signin", url.Values{"csrf": {b.csrf(page)}, "token": {secret}, "next": {"/"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		b.t.Fatalf("sign in: %d %s\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
}

// checkIns returns the stored check-ins of a key result.
func (s *site) checkIns(key string) []engine.CheckIn {
	s.t.Helper()
	cs, err := s.svc.CheckIns(s.t.Context(), key)
	if err != nil {
		s.t.Fatal(err)
	}
	return cs
}

func contains(t testing.TB, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}
