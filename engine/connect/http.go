package connect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"sync"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// maxBody bounds a response read from a source.
const maxBody = 16 << 20

// httpConn reads values from JSON over HTTP: measure.query is the URL (or
// a path under the connector's url), measure.value an expr expression over
// the decoded response (body) that gives the value, and measure.at one that
// gives its time.
type httpConn struct {
	name    string
	base    *url.URL
	headers http.Header
	client  *http.Client
	secrets redactor

	mu       sync.Mutex
	programs map[string]*vm.Program
}

func openHTTP(name string, c Config) (*httpConn, error) {
	base, err := baseURL(name, c)
	if err != nil {
		return nil, err
	}
	h := &httpConn{name: name, base: base, programs: map[string]*vm.Program{}}
	if h.headers, h.secrets, err = secretHeaders(name, c); err != nil {
		return nil, err
	}
	h.client = fenced(base, nil)
	return h, nil
}

// baseURL is c's url, which every request of the connector stays under.
func baseURL(name string, c Config) (*url.URL, error) {
	base, err := url.Parse(c.URL) // checked by Check
	if err != nil || c.URL == "" {
		return nil, fmt.Errorf("connectors.%s.url: name the source's base URL; a plan reads only under it", name)
	}
	return base, nil
}

// secretHeaders reads c's headers, each from the environment variable
// that holds it, and a redactor of their values.
func secretHeaders(name string, c Config) (http.Header, redactor, error) {
	hs, secrets := http.Header{}, redactor{}
	names := make([]string, 0, len(c.Headers))
	for k := range c.Headers {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v, err := secret(fmt.Sprintf("connectors.%s.headers.%s", name, k), c.Headers[k], "")
		if err != nil {
			return nil, nil, err
		}
		secrets.add(v)
		hs.Set(k, v)
	}
	return hs, secrets, nil
}

func (h *httpConn) Close() error {
	h.client.CloseIdleConnections()
	return nil
}

// target is the URL measure.query q names: a path under the connector's
// url, or an absolute URL under it.
func (h *httpConn) target(q string) (string, error) {
	u, err := resolveUnder(h.base, q)
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

func (h *httpConn) Read(ctx context.Context, req Request) ([]Reading, error) {
	m := req.Measure
	if m.Value == "" {
		return nil, errors.New("measure.value is empty; write the expression that picks the value from body, e.g. body.data.total")
	}
	target, err := h.target(m.Query)
	if err != nil {
		return nil, err
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, err
	}
	hreq.Header = h.headers.Clone()
	hreq.Header.Set("Accept", "application/json")
	resp, err := h.client.Do(hreq)
	if err != nil {
		return nil, h.secrets.err(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, h.secrets.err(err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("%s answered %s", hreq.URL.Redacted(), resp.Status)
	}
	if len(body) > maxBody {
		return nil, fmt.Errorf("%s answered more than %d MiB", hreq.URL.Redacted(), maxBody>>20)
	}
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("%s did not answer JSON: %w", hreq.URL.Redacted(), err)
	}
	env := map[string]any{"body": doc, "period_start": req.Start, "period_end": req.End, "now": req.Now}
	v, err := h.eval(m.Value, env)
	if err != nil {
		return nil, fmt.Errorf("measure.value: %w", err)
	}
	r := Reading{}
	if r.Value, err = number(v); err != nil {
		return nil, fmt.Errorf("measure.value: %w", err)
	}
	if m.At != "" {
		t, err := h.eval(m.At, env)
		if err != nil {
			return nil, fmt.Errorf("measure.at: %w", err)
		}
		if r.At, err = when(t); err != nil {
			return nil, fmt.Errorf("measure.at: %w", err)
		}
	}
	return []Reading{r}, nil
}

// eval runs an expression, compiled once per connector.
func (h *httpConn) eval(src string, env map[string]any) (any, error) {
	h.mu.Lock()
	p, ok := h.programs[src]
	h.mu.Unlock()
	if !ok {
		var err error
		if p, err = expr.Compile(src, expr.Env(env), expr.AllowUndefinedVariables()); err != nil {
			return nil, err
		}
		h.mu.Lock()
		h.programs[src] = p
		h.mu.Unlock()
	}
	return expr.Run(p, env)
}
