package dashboard

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/okrmap/okrmap/engine/service"
)

const (
	sessionCookie = "okrmap_session"
	csrfCookie    = "okrmap_csrf"
	// sessionTTL bounds a session; a token's own expiry or revocation ends
	// it sooner.
	sessionTTL = 12 * time.Hour
)

// identify returns who r comes from: a session's token, else what the
// server says (bearer token, proxy user, anonymous). A session whose
// token no longer authenticates is ended.
func (d *Dashboard) identify(w http.ResponseWriter, r *http.Request) Identity {
	if c, err := r.Cookie(sessionCookie); err == nil {
		t, err := d.svc.SessionToken(r.Context(), c.Value)
		if err == nil {
			return Identity{Name: "token:" + t.Name, Role: t.Role, Session: true}
		}
		if !errors.Is(err, service.ErrBadToken) {
			d.log.Error("reading a session", "err", err)
		}
		d.setCookie(w, r, sessionCookie, "", -1)
		dropCookie(r, sessionCookie) // this page's forms are signed without it
	}
	return d.cfg.Identify(r)
}

// dropCookie removes the cookie name from r.
func dropCookie(r *http.Request, name string) {
	cs := r.Cookies()
	r.Header.Del("Cookie")
	for _, c := range cs {
		if c.Name != name {
			r.AddCookie(c)
		}
	}
}

// setCookie sets an HttpOnly, SameSite=Strict cookie, Secure under TLS;
// maxAge < 0 deletes it, 0 makes it last the browser session.
func (d *Dashboard) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
}

// csrfToken returns the token forms carry: an HMAC, under a key only the
// servers know, of the browser's CSRF cookie (set here when it has none)
// and its session, so a cookie and token an attacker got for themselves
// do not work with a victim's session.
func (d *Dashboard) csrfToken(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(csrfCookie)
	value := ""
	if err == nil && len(c.Value) >= 32 {
		value = c.Value
	} else {
		value = randomString()
		d.setCookie(w, r, csrfCookie, value, 0)
		// Later reads of the same request see the new cookie.
		r.AddCookie(&http.Cookie{Name: csrfCookie, Value: value})
	}
	return d.sign(value, session(r))
}

// session is r's session cookie, "" without one.
func session(r *http.Request) string {
	if c, err := r.Cookie(sessionCookie); err == nil {
		return c.Value
	}
	return ""
}

func (d *Dashboard) sign(value, session string) string {
	m := hmac.New(sha256.New, d.csrfKey)
	m.Write([]byte(value))
	m.Write([]byte{0})
	m.Write([]byte(session))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkForm parses a posted form and refuses it unless it carries the
// CSRF token of this browser and comes from this site.
func (d *Dashboard) checkForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return formError{http.StatusBadRequest, "the form could not be read: " + err.Error()}
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return formError{http.StatusForbidden, "forms are accepted from this site's pages only"}
	}
	if o := r.Header.Get("Origin"); o != "" {
		// "null" is a sandboxed frame, a data: URL or a redirect across
		// sites: never this site's own page.
		if u, err := url.Parse(o); o == "null" || err != nil || u.Host != r.Host {
			return formError{http.StatusForbidden, "forms are accepted from this site's pages only"}
		}
	}
	c, err := r.Cookie(csrfCookie)
	if err != nil || !hmac.Equal([]byte(d.sign(c.Value, session(r))), []byte(r.PostForm.Get("csrf"))) {
		return formError{http.StatusForbidden, "the form has expired (or did not come from this site): reload the page and send it again"}
	}
	return nil
}

func (d *Dashboard) signInPage(w http.ResponseWriter, r *http.Request) {
	v := d.newView(w, r)
	d.render(w, r, content{template: "signin", title: "Sign in", data: signInData{Next: localPath(r.URL.Query().Get("next"))}}, v)
}

type signInData struct {
	Next  string
	Error string
}

func (d *Dashboard) signIn(w http.ResponseWriter, r *http.Request) {
	v := d.newView(w, r)
	if err := d.checkForm(w, r); err != nil {
		d.fail(w, r, v, err)
		return
	}
	next := localPath(r.PostForm.Get("next"))
	secret := strings.TrimSpace(r.PostForm.Get("token"))
	id, t, expires, err := d.svc.StartSession(r.Context(), secret, sessionTTL)
	if err != nil {
		msg := "That token is not valid: it may be mistyped, expired or revoked. Ask an admin for one (okrmap token create)."
		if !errors.Is(err, service.ErrBadToken) {
			d.log.Error("signing in", "err", err)
			msg = "Signing in failed; the server log has the details."
		}
		d.render(w, r, content{template: "signin", title: "Sign in", status: http.StatusUnauthorized,
			data: signInData{Next: next, Error: msg}}, v)
		return
	}
	if old, err := r.Cookie(sessionCookie); err == nil {
		d.endSession(r, old.Value)
	}
	d.setCookie(w, r, sessionCookie, id, int(expires.Sub(d.svc.Now()).Seconds()))
	d.log.Info("signed in", "token", t.Name, "role", t.Role)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (d *Dashboard) signOut(w http.ResponseWriter, r *http.Request) {
	if err := d.checkForm(w, r); err != nil {
		d.fail(w, r, d.newView(w, r), err)
		return
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		d.endSession(r, c.Value)
	}
	d.setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/signin?flash=signedout", http.StatusSeeOther)
}

// endSession ends the session with id; a failure is logged, as the cookie
// is deleted anyway.
func (d *Dashboard) endSession(r *http.Request, id string) {
	if err := d.svc.EndSession(r.Context(), id); err != nil {
		d.log.Error("ending a session", "err", err)
	}
}

// localPath returns p when it is a path on this site, else "/": a
// sign-in link cannot send the browser elsewhere. p is read as a browser
// would read it (tabs and newlines dropped, a backslash taken for a
// slash), so what is checked is where the browser would go.
func localPath(p string) string {
	clean := strings.Map(func(r rune) rune {
		switch r {
		case '\t', '\r', '\n':
			return -1
		case '\\':
			return '/'
		}
		return r
	}, p)
	u, err := url.Parse(clean)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		!strings.HasPrefix(clean, "/") || strings.HasPrefix(clean, "//") ||
		strings.ContainsFunc(clean, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return "/"
	}
	return clean
}

func randomString() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
