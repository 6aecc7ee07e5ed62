package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/okrmap/okrmap/engine/service"
	"github.com/okrmap/okrmap/schemas"
)

// api is a running server and a client that validates every request and
// response against the OpenAPI document.
type api struct {
	t      *testing.T
	svc    *service.Service
	srv    *Server
	url    string
	router routers.Router
	mu     *sync.Mutex
	seen   map[string]bool // "METHOD /path/template" of validated operations
}

var (
	specOnce sync.Once
	spec     *openapi3.T
	specErr  error
)

func loadSpec(t testing.TB) *openapi3.T {
	specOnce.Do(func() {
		// Report formats that are text to check as strings.
		for _, ct := range []string{"text/markdown", "text/html", "application/xml"} {
			openapi3filter.RegisterBodyDecoder(ct, openapi3filter.RegisteredBodyDecoder("text/plain"))
		}
		openapi3filter.RegisterBodyDecoder("application/sarif+json", openapi3filter.JSONBodyDecoder)
		loader := openapi3.NewLoader()
		spec, specErr = loader.LoadFromData(schemas.OpenAPI)
		if specErr == nil {
			specErr = spec.Validate(loader.Context)
		}
	})
	if specErr != nil {
		t.Fatalf("schemas/openapi.json: %v", specErr)
	}
	return spec
}

func newAPI(t *testing.T, cfg Config, opts service.Options) *api {
	t.Helper()
	dir := t.TempDir()
	if opts.Rules.Packs == nil {
		opts.Rules = service.Rules{Builtin: true}
	}
	if opts.Plugins.Timeout == 0 {
		opts.Plugins.Timeout = 30 * time.Second
	}
	// As okrmap serve runs it: small plans must still read their writes.
	opts.MaxStale = cfg.MaxStaleness
	svc, err := service.Open(context.Background(), filepath.Join(dir, "okrmap.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	srv, err := New(svc, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	doc := loadSpec(t)
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &api{t: t, svc: svc, srv: srv, url: hs.URL, router: router, mu: &sync.Mutex{}, seen: map[string]bool{}}
}

func (a *api) token(role string) string {
	a.t.Helper()
	secret, _, err := a.svc.CreateToken(context.Background(), role+"-"+time.Now().Format("150405.000000000")[7:], role, 0)
	if err != nil {
		a.t.Fatal(err)
	}
	return secret
}

// call makes a request, checks it and its answer against the OpenAPI
// document, and returns the answer and its body.
func (a *api) call(method, path, token string, body any, header ...string) (*http.Response, []byte) {
	a.t.Helper()
	var raw []byte
	ctype := "application/json"
	switch b := body.(type) {
	case nil:
	case string:
		raw, ctype = []byte(b), "application/yaml"
	case []byte:
		raw = b
	default:
		raw, _ = json.Marshal(b)
	}
	req, _ := http.NewRequest(method, a.url+path, bytes.NewReader(raw))
	if body != nil {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	// Requests a test marks invalid-request are sent as they are; their
	// answers are still checked when the document has the route.
	expectValid := !strings.Contains(strings.Join(header, " "), "invalid-request")
	route, params, err := a.router.FindRoute(req)
	if err != nil {
		if expectValid {
			a.t.Fatalf("%s %s is not in the OpenAPI document: %v", method, path, err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			a.t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp, out
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil && expectValid {
		a.t.Errorf("%s %s: the request does not match the OpenAPI document: %v", method, path, err)
	}
	req.Body = io.NopCloser(bytes.NewReader(raw))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	rv := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true}}
	rv.SetBodyBytes(out)
	if err := openapi3filter.ValidateResponse(context.Background(), rv); err != nil {
		a.t.Errorf("%s %s: the %d answer does not match the OpenAPI document: %v\n%s", method, path, resp.StatusCode, err, trim(out))
	}
	a.mu.Lock()
	a.seen[method+" "+route.Path] = true
	a.mu.Unlock()
	return resp, out
}

// want makes a call that must answer status and decodes a JSON answer
// into v when v is not nil.
func (a *api) want(status int, method, path, token string, body, v any, header ...string) []byte {
	a.t.Helper()
	resp, out := a.call(method, path, token, body, header...)
	if resp.StatusCode != status {
		a.t.Fatalf("%s %s: status %d, want %d\n%s", method, path, resp.StatusCode, status, trim(out))
	}
	if v != nil {
		if err := json.Unmarshal(out, v); err != nil {
			a.t.Fatalf("%s %s: %v\n%s", method, path, err, trim(out))
		}
	}
	return out
}

func trim(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "..."
	}
	return string(b)
}

func examplePlan(t *testing.T) applyRequest { return examplePlanFrom(t) }

func examplePlanFrom(t testing.TB) applyRequest {
	t.Helper()
	files, _ := filepath.Glob("../../examples/saas-b2b/*.yaml")
	if len(files) == 0 {
		t.Fatal("no example plan files")
	}
	var req applyRequest
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		req.Documents = append(req.Documents, planDocument{Name: filepath.Base(f), Content: string(b)})
	}
	return req
}

func revision(t *testing.T, a *api) int64 {
	t.Helper()
	n, err := a.svc.DB().Revision(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// serve runs the server on a random local port until stop, which returns
// what Serve returned.
func (a *api) serve(t *testing.T) (addr string, stop func() error) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.srv.Serve(ctx, l) }()
	return l.Addr().String(), func() error {
		cancel()
		return <-done
	}
}
