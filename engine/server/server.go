// Package server is okrmap's HTTP front end: a JSON API under /api/v1 over
// the application service, with tokens and roles, problem details for
// errors, and the limits and timeouts a service on a network needs. It
// routes, authenticates and maps errors to statuses; everything else is
// the service's.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/dashboard"
	"github.com/okrmap/okrmap/engine/service"
)

// Config is the server's configuration (config keys server.*).
type Config struct {
	// Listen is the address to listen on.
	Listen string `mapstructure:"listen"`
	// AnonymousRead lets requests without a token read.
	AnonymousRead bool `mapstructure:"anonymous_read"`
	// AuthProxy trusts a header naming the user, set by an authenticating
	// reverse proxy, from these addresses only.
	AuthProxy AuthProxy `mapstructure:"auth_proxy"`
	// Timeouts.
	ReadHeaderTimeout time.Duration `mapstructure:"read_header_timeout"`
	ReadTimeout       time.Duration `mapstructure:"read_timeout"`
	WriteTimeout      time.Duration `mapstructure:"write_timeout"`
	IdleTimeout       time.Duration `mapstructure:"idle_timeout"`
	// AuditWait is how long POST /audits waits before answering 202.
	AuditWait time.Duration `mapstructure:"audit_wait"`
	// ShutdownGrace bounds a graceful shutdown.
	ShutdownGrace time.Duration `mapstructure:"shutdown_grace"`
	// MaxBody and MaxPlanBody bound request bodies, in bytes.
	MaxBody     int64 `mapstructure:"max_body"`
	MaxPlanBody int64 `mapstructure:"max_plan_body"`
	// MaxBatch bounds the check-ins or measurements of one request.
	MaxBatch int `mapstructure:"max_batch"`
	// MaxPlanUploads bounds the plan uploads read and applied at once; one
	// more is answered 503 with Retry-After. Each can hold several times
	// max_plan_body in memory.
	MaxPlanUploads int `mapstructure:"max_plan_uploads"`
	// CORSOrigins may call the API from a browser; none by default.
	CORSOrigins []string `mapstructure:"cors_origins"`
	// Company is the name the dashboard shows.
	Company string `mapstructure:"company"`
	// PublicURL is where people reach the dashboard
	// (https://okrmap.example.com); digests link to it when set.
	PublicURL string `mapstructure:"public_url"`
	// MaxStaleness lets reads of the plan (entities, trees) answer from a
	// graph up to this old while a newer one is read after writes.
	MaxStaleness time.Duration `mapstructure:"max_staleness"`
}

// AuthProxy configures single sign-on through an authenticating proxy.
type AuthProxy struct {
	// Header names the user, e.g. X-Forwarded-Email; "" turns SSO off.
	Header string `mapstructure:"header"`
	// Role is what proxy-authenticated users may do.
	Role string `mapstructure:"role"`
	// TrustedCIDRs are the proxy's addresses; the header is ignored from
	// any other.
	TrustedCIDRs []string `mapstructure:"trusted_cidrs"`
}

// Defaults returns the configuration used when nothing else is set.
func Defaults() Config {
	return Config{
		Listen:            "127.0.0.1:8080",
		AuthProxy:         AuthProxy{Role: service.RoleWrite, TrustedCIDRs: []string{}},
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		AuditWait:         20 * time.Second,
		ShutdownGrace:     30 * time.Second,
		MaxBody:           1 << 20,
		MaxPlanBody:       64 << 20,
		MaxBatch:          10000,
		MaxPlanUploads:    2,
		CORSOrigins:       []string{},
		MaxStaleness:      10 * time.Second,
	}
}

// Validate reports the first invalid value, naming its key.
func (c Config) Validate() error {
	for name, d := range map[string]time.Duration{"read_header_timeout": c.ReadHeaderTimeout, "read_timeout": c.ReadTimeout,
		"write_timeout": c.WriteTimeout, "idle_timeout": c.IdleTimeout, "audit_wait": c.AuditWait, "shutdown_grace": c.ShutdownGrace} {
		if d <= 0 {
			return fmt.Errorf("server.%s: %s is not a positive duration, e.g. 30s", name, d)
		}
	}
	if c.MaxStaleness < 0 {
		return fmt.Errorf("server.max_staleness: %s is negative; 0 reads every write at once", c.MaxStaleness)
	}
	if c.MaxBody <= 0 || c.MaxPlanBody <= 0 || c.MaxBatch <= 0 || c.MaxPlanUploads <= 0 {
		return errors.New("server.max_body, server.max_plan_body, server.max_batch and server.max_plan_uploads must be positive")
	}
	if c.AuthProxy.Header != "" {
		if !slices.Contains(service.Roles, c.AuthProxy.Role) {
			return fmt.Errorf("server.auth_proxy.role: %q is not one of read, write, admin", c.AuthProxy.Role)
		}
		if len(c.AuthProxy.TrustedCIDRs) == 0 {
			return errors.New("server.auth_proxy.trusted_cidrs: name the proxy's addresses, or the header would be trusted from no one")
		}
	}
	for _, cidr := range c.AuthProxy.TrustedCIDRs {
		if _, _, err := net.ParseCIDR(cidr); err != nil {
			return fmt.Errorf("server.auth_proxy.trusted_cidrs: %q is not a CIDR such as 10.0.0.0/8", cidr)
		}
	}
	return nil
}

// Server serves the API.
type Server struct {
	svc      *service.Service
	cfg      Config
	log      *slog.Logger
	proxies  []*net.IPNet
	mux      *http.ServeMux
	patterns []string // the patterns registered, "METHOD /path"
	metrics  *metrics
	trees    treeCache
	// schedules run while serving; scopes keeps one scheduled audit of a
	// scope at a time.
	schedules []Schedule
	scopes    guard
	replica   string         // names this server in schedule claims: host and process
	uploads   chan struct{}  // a slot per plan upload at work (max_plan_uploads)
	wg        sync.WaitGroup // running audits
}

// replicaName names this process among the servers on one database.
func replicaName() string {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown-host"
	}
	return fmt.Sprintf("%s:%d", host, os.Getpid())
}

// New returns a server over svc.
func New(svc *service.Service, cfg Config, log *slog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{svc: svc, cfg: cfg, log: log, mux: http.NewServeMux(), metrics: newMetrics(svc), replica: replicaName(),
		uploads: make(chan struct{}, cfg.MaxPlanUploads)}
	svc.SetObserver(s.metrics)
	for _, c := range cfg.AuthProxy.TrustedCIDRs {
		_, n, _ := net.ParseCIDR(c)
		s.proxies = append(s.proxies, n)
	}
	s.routes()
	dash, err := dashboard.New(svc, dashboard.Config{Company: cfg.Company, Log: log.With("logger", "dashboard"),
		Identify: func(r *http.Request) dashboard.Identity {
			c := caller(r)
			return dashboard.Identity{Name: c.name, Role: c.role}
		}})
	if err != nil {
		return nil, err
	}
	for _, rt := range dash.Routes() {
		s.handle(rt.Pattern, "", func(w http.ResponseWriter, r *http.Request) error {
			rt.Handler(w, r)
			return nil
		})
	}
	return s, nil
}

// Handler is the server's HTTP handler, with its middleware.
func (s *Server) Handler() http.Handler { return s.middleware(s.mux) }

// Serve answers requests on l until ctx ends, then shuts down gracefully:
// in-flight requests and running audits finish within the grace period.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	hs := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(l) }()
	stopSchedules := s.startSchedules()
	select {
	case err := <-errc:
		stopSchedules(context.Background())
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down", "grace", s.cfg.ShutdownGrace)
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownGrace)
	defer cancel()
	err := hs.Shutdown(sctx)
	stopSchedules(sctx)
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-sctx.Done():
		err = errors.Join(err, errors.New("running audits did not finish within server.shutdown_grace"))
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// who is the caller: a token, a proxy-authenticated user, or anonymous.
type who struct {
	name string // token name or user; "" when anonymous
	role string
}

type ctxKey struct{}

func caller(r *http.Request) who {
	w, _ := r.Context().Value(ctxKey{}).(who)
	return w
}

// authenticate finds who is calling. A bad token is an error; no token is
// anonymous.
func (s *Server) authenticate(r *http.Request) (who, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		secret, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return who{}, errUnauthorized
		}
		t, err := s.svc.Authenticate(r.Context(), strings.TrimSpace(secret))
		if err != nil {
			if errors.Is(err, service.ErrBadToken) {
				return who{}, errUnauthorized
			}
			return who{}, err
		}
		return who{name: "token:" + t.Name, role: t.Role}, nil
	}
	if hdr := s.cfg.AuthProxy.Header; hdr != "" {
		if user := r.Header.Get(hdr); user != "" && s.fromProxy(r) {
			return who{name: user, role: s.cfg.AuthProxy.Role}, nil
		}
	}
	if s.cfg.AnonymousRead {
		return who{role: service.RoleRead}, nil
	}
	return who{}, nil
}

func (s *Server) fromProxy(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	for _, n := range s.proxies {
		if ip != nil && n.Contains(ip) {
			return true
		}
	}
	return false
}

// statusOf maps an error to an HTTP status. This is the only place that
// does.
func statusOf(err error) int {
	var he *httpError
	if errors.As(err, &he) {
		return he.status
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge
	}
	switch engine.ErrorCode(err) {
	case engine.EINVALID:
		return http.StatusUnprocessableEntity
	case engine.ENOTFOUND:
		return http.StatusNotFound
	case engine.ECONFLICT:
		return http.StatusConflict
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// httpError is an error of the request itself, with its status.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

// forbidden says which role a refused request needs.
func forbidden(role, need string) error {
	allowed := need
	if need != service.RoleAdmin {
		allowed += " or admin"
	}
	return &httpError{http.StatusForbidden, fmt.Sprintf("this needs a token with the %s role; this one has the %s role", allowed, role)}
}

func badRequest(format string, args ...any) error {
	return &httpError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

var errUnauthorized = &httpError{http.StatusUnauthorized, "send a valid API token: Authorization: Bearer okm_..."}
