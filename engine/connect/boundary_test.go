package connect

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/okrmap/okrmap/engine"
)

// recorder is a server that records every request's path and
// Authorization header.
type recorder struct {
	*httptest.Server
	mu   sync.Mutex
	hits []string
}

func newRecorder(t *testing.T, h http.HandlerFunc) *recorder {
	r := &recorder{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.hits = append(r.hits, req.URL.RawPath+req.URL.Path+" "+req.Header.Get("Authorization"))
		r.mu.Unlock()
		if h != nil {
			h(w, req)
			return
		}
		w.Write([]byte(`{"v": 1}`))
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *recorder) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.hits...)
}

// TestHTTPQueryStaysUnderURL: a plan's measure.query reaches only what is
// under its connector's url, however it is written, and the connector's
// secret header goes nowhere else, not even through a redirect.
func TestHTTPQueryStaysUnderURL(t *testing.T) {
	steal := newRecorder(t, nil)
	var api *recorder
	api = newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/api/away":
			http.Redirect(w, r, steal.URL+"/steal", http.StatusFound)
		case r.URL.Path == "/api/sideways":
			http.Redirect(w, r, api.URL+"/admin", http.StatusFound)
		case strings.HasPrefix(r.URL.Path, "/api/"):
			w.Write([]byte(`{"v": 1}`))
		default:
			http.Error(w, "outside the api", http.StatusForbidden)
		}
	})
	t.Setenv("OKRMAP_TEST_API_TOKEN", "Bearer s3cret-token")
	cfg := Config{Type: "http", URL: api.URL + "/api/", Headers: map[string]string{"Authorization": "OKRMAP_TEST_API_TOKEN"}}
	c := open(t, cfg)
	stealHost := strings.TrimPrefix(steal.URL, "http://")
	apiHost := strings.TrimPrefix(api.URL, "http://")
	for _, q := range []string{
		steal.URL + "/steal",
		"//" + stealHost + "/steal",
		"HTTP://" + stealHost + "/api/",
		"http://user@" + apiHost + "/api/x",
		api.URL + "/admin",
		api.URL + "/apix",
		api.URL + "/api/../admin",
		api.URL + "/api/%2e%2e/admin",
		api.URL + "/api/..%2fadmin",
		"../admin",
		"%2e%2e/admin",
		"..%2Fadmin",
		"x/../../admin",
		"./x",
		`..\admin`,
		"ftp://" + apiHost + "/api/x",
		"https://" + apiHost + "/api/x",
		"away",
		"sideways",
	} {
		if _, err := read(t, c, engine.Measure{Query: q, Value: "body.v"}); err == nil {
			t.Errorf("query %q was read", q)
		}
	}
	if hits := steal.seen(); len(hits) > 0 {
		t.Errorf("the other server was sent: %q", hits)
	}
	for _, h := range api.seen() {
		if !strings.HasPrefix(h, "/api/") {
			t.Errorf("a request left /api/: %q", h)
		}
	}
	// What is under the url is read, written as a path or a URL.
	for _, q := range []string{"pipeline", "/pipeline?q=1", api.URL + "/api/pipeline", "HTTP://" + apiHost + "/api/p"} {
		if got, err := read(t, c, engine.Measure{Query: q, Value: "body.v"}); err != nil || got[0].Value != 1 {
			t.Errorf("query %q: %v %v", q, got, err)
		}
	}
	// Validation refuses the same queries before any sync.
	if err := CheckMeasure("src", cfg, steal.URL+"/steal"); err == nil || !strings.Contains(err.Error(), "under the connector's url") {
		t.Errorf("CheckMeasure of another host: %v", err)
	}
	if err := CheckMeasure("src", cfg, "pipeline?q=1"); err != nil {
		t.Errorf("CheckMeasure of a path: %v", err)
	}
}

// TestFencedSources: the CSV and Prometheus connectors follow no redirect
// away from their url, so their headers stay there.
func TestFencedSources(t *testing.T) {
	steal := newRecorder(t, nil)
	away := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, steal.URL+"/steal", http.StatusFound)
	})
	t.Setenv("OKRMAP_TEST_API_TOKEN", "Bearer s3cret-token")
	headers := map[string]string{"Authorization": "OKRMAP_TEST_API_TOKEN"}
	for _, cfg := range []Config{
		{Type: "csv", URL: away.URL + "/export.csv", Headers: headers},
		{Type: "prometheus", URL: away.URL, Headers: headers},
	} {
		if _, err := read(t, open(t, cfg), engine.Measure{Query: "up"}); err == nil {
			t.Errorf("%s read through a redirect to another host", cfg.Type)
		}
	}
	if hits := steal.seen(); len(hits) > 0 {
		t.Errorf("the other server was sent: %q", hits)
	}
	if hits := away.seen(); len(hits) != 2 || !strings.HasSuffix(hits[0], "s3cret-token") {
		t.Errorf("the configured server saw %q", hits)
	}
}

// TestHTTPNeedsURL: an HTTP connector without a url would read any URL a
// plan names; it is a configuration error.
func TestHTTPNeedsURL(t *testing.T) {
	if err := Check("api", Config{Type: "http"}); err == nil || !strings.Contains(err.Error(), "connectors.api.url") {
		t.Errorf("an http connector without url: %v", err)
	}
}
