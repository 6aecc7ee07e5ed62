package server

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/audit"
	"github.com/okrmap/okrmap/engine/service"
)

// metrics are what /metrics exposes. Labels are bounded: routes, scopes,
// teams, rules, areas and plugins, never entities.
type metrics struct {
	reg *prometheus.Registry

	requests      *prometheus.HistogramVec
	auditDuration *prometheus.HistogramVec
	auditLast     *prometheus.GaugeVec
	audits        *prometheus.CounterVec
	findings      *prometheus.GaugeVec
	scores        *prometheus.GaugeVec
	pluginTime    *prometheus.HistogramVec
	pluginFails   *prometheus.CounterVec

	mu sync.Mutex // serialises replacing a scope's series
}

func newMetrics(svc *service.Service) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "okrmap_http_request_duration_seconds",
		Help: "HTTP requests by route pattern, method and status code.", Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10}},
		[]string{"route", "method", "code"})
	m.auditDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "okrmap_audit_duration_seconds",
		Help: "Audits by scope, from loading the plan to storing the run.", Buckets: prometheus.ExponentialBuckets(0.05, 2, 12)}, []string{"scope"})
	m.auditLast = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "okrmap_audit_last_success_timestamp_seconds",
		Help: "When the last complete audit of a scope finished, as a Unix time."}, []string{"scope"})
	m.audits = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "okrmap_audits_total",
		Help: "Audits by scope and outcome: complete, incomplete (a plugin failed) or failed."}, []string{"scope", "outcome"})
	m.findings = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "okrmap_findings",
		Help: "Unwaived findings of the latest audit of a scope, by severity, team and rule."}, []string{"scope", "severity", "team", "rule"})
	m.scores = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "okrmap_scorecard_score",
		Help: "Scorecard areas (0-100) of the latest audit of a scope, for the company (team \"\") and each team."}, []string{"scope", "team", "area"})
	m.pluginTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "okrmap_plugin_stage_duration_seconds",
		Help: "Plugin stages in audits, by plugin.", Buckets: prometheus.ExponentialBuckets(0.01, 2, 12)}, []string{"plugin"})
	m.pluginFails = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "okrmap_plugin_failures_total",
		Help: "Plugin stages that failed, by plugin."}, []string{"plugin"})
	m.reg.MustRegister(m.requests, m.auditDuration, m.auditLast, m.audits, m.findings, m.scores, m.pluginTime, m.pluginFails,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&storeCollector{svc: svc,
			size:  prometheus.NewDesc("okrmap_database_size_bytes", "Bytes the database takes on disk: the SQLite file and its write-ahead log, or the PostgreSQL database.", nil, nil),
			stale: prometheus.NewDesc("okrmap_stale_kpis", "KPIs not measured within their frequency window, as of today.", nil, nil)})
	return m
}

// AuditDone records an audit; it implements service.Observer.
func (m *metrics) AuditDone(scope string, run *engine.AuditRun, took time.Duration, err error) {
	switch {
	case err != nil:
		m.audits.WithLabelValues(scope, "failed").Inc()
		return
	case !run.Complete:
		m.audits.WithLabelValues(scope, "incomplete").Inc()
	default:
		m.audits.WithLabelValues(scope, "complete").Inc()
		m.auditLast.WithLabelValues(scope).Set(float64(run.FinishedAt.Unix()))
	}
	m.auditDuration.WithLabelValues(scope).Observe(took.Seconds())
	m.mu.Lock()
	defer m.mu.Unlock()
	m.findings.DeletePartialMatch(prometheus.Labels{"scope": scope})
	counts := map[[3]string]int{}
	for _, f := range run.Findings {
		if !f.Waived() {
			counts[[3]string{f.Severity, f.Team, f.Rule}]++
		}
	}
	for k, n := range counts {
		m.findings.WithLabelValues(scope, k[0], k[1], k[2]).Set(float64(n))
	}
	m.scores.DeletePartialMatch(prometheus.Labels{"scope": scope})
	// An area judged on nothing has no score, so no series.
	set := func(team string, s engine.Score) {
		for i, area := range audit.Areas {
			if a := s.Area(i); a.Scored() {
				m.scores.WithLabelValues(scope, team, area).Set(a.Score)
			}
		}
		if s.Scored() {
			m.scores.WithLabelValues(scope, team, "overall").Set(s.Overall)
		}
	}
	set("", run.Scorecard.Company)
	for team, s := range run.Scorecard.Teams {
		set(team, s)
	}
}

// PluginDone records a plugin stage; it implements service.Observer.
func (m *metrics) PluginDone(plugin string, took time.Duration, err error) {
	m.pluginTime.WithLabelValues(plugin).Observe(took.Seconds())
	if err != nil {
		m.pluginFails.WithLabelValues(plugin).Inc()
	}
}

// observe wraps a route's handler to time it.
func (m *metrics) observe(pattern string, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next(sw, r)
		code := sw.status
		if code == 0 {
			code = http.StatusOK
		}
		m.requests.WithLabelValues(pattern, r.Method, strconv.Itoa(code)).Observe(time.Since(start).Seconds())
	}
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorLog: nil})
}

// storeCollector reads the database's size and stale KPIs at scrape time.
type storeCollector struct {
	svc         *service.Service
	size, stale *prometheus.Desc
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.size; ch <- c.stale }

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if size, err := c.svc.DB().Size(ctx); err == nil {
		ch <- prometheus.MustNewConstMetric(c.size, prometheus.GaugeValue, float64(size))
	}
	if n, err := c.svc.StaleKPIs(ctx); err == nil {
		ch <- prometheus.MustNewConstMetric(c.stale, prometheus.GaugeValue, float64(n))
	}
}
