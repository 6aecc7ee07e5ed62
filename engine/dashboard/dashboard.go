// Package dashboard is okrmap's web dashboard: server-rendered pages over
// the application service (overview, alignment map, team, KPI, key result,
// audits, rules), sign-in with an API token exchanged for a session
// cookie, and check-ins through a form. Pages work without JavaScript; a
// small embedded script adds lazy tree expansion and keyboard navigation.
// Everything it sends is embedded in the binary: no CDN, no fonts, no
// calls home.
package dashboard

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/service"
)

//go:embed templates static
var files embed.FS

// Identity is who a request comes from.
type Identity struct {
	Name string // token:<name>, a proxy user, or "" when anonymous
	Role string // read, write, admin, or "" when the request may not read
	// Session is true when the identity comes from a sign-in cookie.
	Session bool
}

// Config configures the dashboard.
type Config struct {
	// Company is the name the pages show; "" shows okrmap.
	Company string
	// Identify returns who a request without a session comes from: its
	// bearer token, an authenticating proxy's user, or anonymous.
	Identify func(*http.Request) Identity
	Log      *slog.Logger
}

// Route is one of the dashboard's URL patterns and its handler.
type Route struct {
	Pattern string
	Handler http.HandlerFunc
}

// Dashboard serves the pages.
type Dashboard struct {
	svc     *service.Service
	cfg     Config
	log     *slog.Logger
	pages   map[string]*template.Template
	static  map[string]asset
	csrfKey []byte // shared by every server on the database
	runs    *runCache
}

// New returns the dashboard over svc.
func New(svc *service.Service, cfg Config) (*Dashboard, error) {
	if cfg.Company == "" {
		cfg.Company = "okrmap"
	}
	if cfg.Identify == nil {
		cfg.Identify = func(*http.Request) Identity { return Identity{} }
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	d := &Dashboard{svc: svc, cfg: cfg, log: cfg.Log, runs: newRunCache(svc)}
	var err error
	if d.csrfKey, err = svc.Secret(context.Background(), "csrf"); err != nil {
		return nil, fmt.Errorf("dashboard: read the key that signs forms: %w", err)
	}
	if d.static, err = loadAssets(); err != nil {
		return nil, err
	}
	if d.pages, err = parsePages(d.funcs()); err != nil {
		return nil, err
	}
	return d, nil
}

// Routes lists the dashboard's patterns. The API's patterns are more
// specific, so the two share one mux.
func (d *Dashboard) Routes() []Route {
	return []Route{
		{"GET /{$}", d.page(d.overview)},
		{"GET /map", d.page(d.alignmentMap)},
		{"GET /map/children", d.children},
		{"GET /teams/{key}", d.page(d.team)},
		{"GET /teams", d.pickTeam},
		{"GET /kpis/{key}", d.page(d.kpi)},
		{"GET /key-results/{key}", d.page(d.keyResult)},
		{"POST /key-results/{key}/checkins", d.checkIn},
		{"GET /audits", d.page(d.audits)},
		{"GET /audits/diff", d.page(d.auditDiff)},
		{"GET /audits/{id}", d.page(d.audit)},
		{"GET /audits/{id}/report", d.report},
		{"GET /rules", d.page(d.rules)},
		{"GET /signin", d.signInPage},
		{"POST /signin", d.signIn},
		{"POST /signout", d.signOut},
		{"GET /static/{file}", d.asset},
	}
}

// parsePages parses each page template with the layout and partials.
func parsePages(funcs template.FuncMap) (map[string]*template.Template, error) {
	names, err := fs.Glob(files, "templates/page-*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/page-"), ".html")
		t, err := template.New(name).Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/partials.html", n)
		if err != nil {
			return nil, fmt.Errorf("dashboard template %s: %w", n, err)
		}
		out[name] = t
	}
	return out, nil
}

// view is what every page template gets.
type view struct {
	Title   string
	Company string
	Nav     string // the nav entry to mark current
	Scope   engine.Scope
	Periods []string
	Teams   []teamOption
	Who     Identity
	CSRF    string
	Path    string // the request's path and query, for sign-in's return
	Here    string // the request's path
	Flash   string
	Data    any
	// scopeErr says why the period or team parameters are wrong.
	scopeErr error
}

type teamOption struct{ Key, Name string }

// flashes are the messages a redirect may ask a page to show; a URL
// cannot make a page say anything else.
var flashes = map[string]string{
	"checkin":   "Check-in saved.",
	"signedout": "Signed out.",
}

// content is what a page handler returns: the template to render, the
// page title and nav entry, and its data.
type content struct {
	template string
	title    string
	nav      string
	status   int
	data     any
}

// page adapts a page builder to a handler: it checks the caller may read,
// fills the common view, and renders errors as pages.
func (d *Dashboard) page(build func(r *http.Request, v *view) (content, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v := d.newView(w, r)
		if v.Who.Role == "" {
			http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if v.scopeErr != nil {
			d.fail(w, r, v, v.scopeErr)
			return
		}
		c, err := build(r, v)
		if err != nil {
			d.fail(w, r, v, err)
			return
		}
		d.render(w, r, c, v)
	}
}

// pickTeam answers a team page's picker: the page of the team picked, in
// the period picked, or the overview for all teams.
func (d *Dashboard) pickTeam(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	to := "/"
	if t := q.Get("team"); t != "" {
		to = "/teams/" + url.PathEscape(t)
	}
	http.Redirect(w, r, to+"?"+url.Values{"period": {q.Get("period")}}.Encode(), http.StatusSeeOther)
}

// newView reads who is asking, the scope and the flash message.
func (d *Dashboard) newView(w http.ResponseWriter, r *http.Request) *view {
	v := &view{Company: d.cfg.Company, Who: d.identify(w, r), CSRF: d.csrfToken(w, r), Path: r.URL.RequestURI(), Here: r.URL.Path}
	v.Flash = flashes[r.URL.Query().Get("flash")]
	v.Scope, v.scopeErr = scopeOf(r)
	team := r.PathValue("key")
	if strings.HasPrefix(r.URL.Path, "/teams/") && v.scopeErr == nil {
		// A team page's picker shows its team, and picking another opens
		// that team's page (see pickTeam).
		v.Scope.Teams, v.Here = []string{team}, "/teams"
	}
	// The overview and team pages open on the period running today; "All
	// periods" in the picker (period=) shows everything.
	if (r.URL.Path == "/" || team != "") && !r.URL.Query().Has("period") && v.scopeErr == nil {
		if p := d.currentPeriod(r.Context()); p != "" {
			v.Scope, v.scopeErr = engine.NewScope(p, v.Scope.Teams)
		}
	}
	return v
}

// currentPeriod is the shortest period of the plan's objectives that holds
// today, or "" when none does.
func (d *Dashboard) currentPeriod(ctx context.Context) string {
	g, _, err := d.svc.Graph(ctx, engine.Date{})
	if err != nil {
		return ""
	}
	today := engine.DateOf(d.svc.Now())
	best, days := "", 0
	for _, o := range g.Objectives {
		per, err := engine.ParsePeriod(o.Period)
		if err != nil || !per.Contains(today) {
			continue
		}
		if n := int(per.End.Time().Sub(per.Start.Time()).Hours()); best == "" || n < days {
			best, days = per.Name, n
		}
	}
	return best
}

// filters fills the periods and teams the scope form offers.
func (d *Dashboard) filters(ctx context.Context, v *view) {
	g, _, err := d.svc.Graph(ctx, engine.Date{})
	if err != nil {
		return // the page says what failed; the form shows no choices
	}
	seen := map[string]bool{}
	for _, o := range g.Objectives {
		if o.Period != "" && !seen[o.Period] {
			seen[o.Period] = true
			v.Periods = append(v.Periods, o.Period)
		}
	}
	slices.Sort(v.Periods)
	for _, t := range g.Teams {
		v.Teams = append(v.Teams, teamOption{t.Key, t.Name})
	}
}

// scopeOf reads the period and team query parameters.
func scopeOf(r *http.Request) (engine.Scope, error) {
	q := r.URL.Query()
	var teams []string
	for _, t := range q["team"] {
		if t != "" {
			teams = append(teams, t)
		}
	}
	sc, err := engine.NewScope(q.Get("period"), teams)
	if err != nil {
		return engine.Scope{}, engine.Errorf(engine.EINVALID, "%v", err)
	}
	return sc, nil
}

func (d *Dashboard) render(w http.ResponseWriter, r *http.Request, c content, v *view) {
	v.Title, v.Nav, v.Data = c.title, c.nav, c.data
	if v.Who.Role != "" && v.Nav != "" {
		d.filters(r.Context(), v)
	}
	t := d.pages[c.template]
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		d.log.Error("rendering a dashboard page", "page", c.template, "err", err)
		http.Error(w, "internal error; the server log has the details", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", csp)
	status := c.status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// csp lets pages load only the dashboard's own styles and script.
const csp = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// fail renders err as an error page with the status it maps to.
func (d *Dashboard) fail(w http.ResponseWriter, r *http.Request, v *view, err error) {
	status := http.StatusInternalServerError
	msg := "Something went wrong; the server log has the details."
	switch engine.ErrorCode(err) {
	case engine.ENOTFOUND:
		status, msg = http.StatusNotFound, err.Error()
	case engine.EINVALID:
		status, msg = http.StatusBadRequest, err.Error()
	case engine.ECONFLICT:
		status, msg = http.StatusConflict, err.Error()
	}
	var fe formError
	if errors.As(err, &fe) {
		status, msg = fe.status, fe.msg
	}
	if status == http.StatusInternalServerError {
		d.log.Error("dashboard page failed", "path", r.URL.Path, "err", err)
	}
	d.render(w, r, content{template: "error", title: http.StatusText(status), status: status, data: msg}, v)
}

// formError is a refusal of a request, with its status and message.
type formError struct {
	status int
	msg    string
}

func (e formError) Error() string { return e.msg }
