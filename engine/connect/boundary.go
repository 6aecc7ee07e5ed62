package connect

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// A connector's url is the boundary of what a plan may reach through it:
// a plan's measure.query names a path under it (or an absolute URL under
// it), never another scheme, host, port or path. Plans are written by
// people with fewer rights than the operator who configured the
// connector's credentials, so a query that leaves the url is refused when
// the plan is validated and again before anything is sent, and a redirect
// that leaves it is not followed.

// resolveUnder returns the URL measure.query q names under base, or an
// error saying why q leaves it.
func resolveUnder(base *url.URL, q string) (*url.URL, error) {
	q = strings.TrimSpace(q)
	if strings.ContainsAny(q, "\\\t\r\n") {
		return nil, fmt.Errorf("measure.query %s contains a backslash or a control character", quote(q))
	}
	u, err := url.Parse(q)
	if err != nil {
		return nil, fmt.Errorf("measure.query %s is not a URL or path", quote(q))
	}
	if u.Scheme == "" && u.Host == "" && u.User == nil {
		// A path (and query) under base. JoinPath cleans . and .., which
		// could lead anywhere on the host, so they are refused first.
		if hasDotSegment(u.Path) {
			return nil, fmt.Errorf("measure.query %s has a . or .. segment; write the path under %s without them", quote(q), base.Redacted())
		}
		joined := base.JoinPath(u.EscapedPath())
		joined.RawQuery = u.RawQuery
		u = joined
	}
	if err := under(base, u); err != nil {
		return nil, fmt.Errorf("measure.query %s %w", quote(q), err)
	}
	u.Fragment = ""
	return u, nil
}

// under reports why u is not base or a URL under it: same scheme, host
// and port, no user, and a path that, decoded, has no . or .. segment and
// starts with base's path at a segment boundary.
func under(base, u *url.URL) error {
	at := "under the connector's url " + base.Redacted()
	switch {
	case u.User != nil:
		return errors.New("carries a user name; credentials come from the connector's configuration only")
	case !strings.EqualFold(u.Scheme, base.Scheme) || !strings.EqualFold(u.Hostname(), base.Hostname()) || port(u) != port(base):
		return fmt.Errorf("is not %s: a plan may read only there, so the connector's headers go nowhere else", at)
	case strings.Contains(u.Path, "\\") || hasDotSegment(u.Path):
		return fmt.Errorf("has a . or .. segment or a backslash; write the path %s without them", at)
	}
	p, bp := rooted(u.Path), rooted(base.Path)
	prefix := strings.TrimSuffix(bp, "/") + "/"
	if p != bp && !strings.HasPrefix(p, prefix) && p+"/" != prefix {
		return fmt.Errorf("is not %s", at)
	}
	// An encoded slash reaches a server as a segment boundary the path
	// checked here does not have.
	raw := strings.ToLower(u.EscapedPath())
	if strings.Contains(raw, "%2f") || strings.Contains(raw, "%5c") {
		return errors.New("has an encoded slash or backslash in its path; write the path plainly")
	}
	return nil
}

// rooted is p with a leading slash: how a request sends it.
func rooted(p string) string {
	if !strings.HasPrefix(p, "/") {
		return "/" + p
	}
	return p
}

// hasDotSegment reports whether a decoded path has a . or .. segment.
func hasDotSegment(p string) bool {
	for _, s := range strings.Split(p, "/") {
		if s == "." || s == ".." {
			return true
		}
	}
	return false
}

// port is u's port, or its scheme's default.
func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "https") {
		return "443"
	}
	return "80"
}

// fenced is an HTTP client that sends nothing outside base: a request or
// a redirect to a URL that is not under base fails before it is sent.
func fenced(base *url.URL, rt http.RoundTripper) *http.Client {
	if rt == nil {
		rt = http.DefaultTransport
	}
	return &http.Client{
		Transport: fence{base: base, rt: rt},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("more than 5 redirects")
			}
			if err := under(base, req.URL); err != nil {
				return fmt.Errorf("a redirect to %s is not followed: it %w", req.URL.Redacted(), err)
			}
			return nil
		},
	}
}

// fence is a RoundTripper that refuses requests outside base.
type fence struct {
	base *url.URL
	rt   http.RoundTripper
}

func (f fence) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := under(f.base, r.URL); err != nil {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, fmt.Errorf("%s %w", r.URL.Redacted(), err)
	}
	return f.rt.RoundTrip(r)
}

// CheckMeasure reports why a plan's measure cannot be read through the
// connector c named name: today, an HTTP query that leaves the
// connector's url. It contacts nothing.
func CheckMeasure(name string, c Config, query string) error {
	if c.Type != "http" || c.URL == "" {
		return nil
	}
	base, err := url.Parse(c.URL)
	if err != nil {
		return fmt.Errorf("connectors.%s.url: %w", name, err)
	}
	_, err = resolveUnder(base, query)
	return err
}

// quote is s quoted for an error: short and escaped.
func quote(s string) string {
	return fmt.Sprintf("%q", truncate(s))
}
