package cli

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestSyncKeepsSecretsOut: credentials of failing sources appear nowhere:
// not in sync's output, its JSON, the log, the audit or any report format.
func TestSyncKeepsSecretsOut(t *testing.T) {
	e := newEnv(t)
	const pw, token = "Sup3rSecretPw", "tok-Very-Secret-9"
	t.Setenv("OKRMAP_TEST_PG_DSN", "postgres://okrmap:"+pw+"@127.0.0.1:1/warehouse?connect_timeout=2")
	t.Setenv("OKRMAP_TEST_MYSQL_DSN", "okrmap:"+pw+"@tcp(127.0.0.1:1)/crm?timeout=2s")
	t.Setenv("OKRMAP_TEST_TOKEN", "Bearer "+token)
	cfg := e.write("config.yaml", `connectors:
  pg: {type: postgres, dsn_env: OKRMAP_TEST_PG_DSN}
  my: {type: mysql, dsn_env: OKRMAP_TEST_MYSQL_DSN}
  api: {type: http, url: "http://127.0.0.1:1/", headers: {Authorization: OKRMAP_TEST_TOKEN}}
  prom: {type: prometheus, url: "http://127.0.0.1:1/", headers: {Authorization: OKRMAP_TEST_TOKEN}}
`)
	e.ok("--config", cfg, "apply", e.write("plan.yaml", `version: 1
business_objectives: [{key: bo, title: B, pnl_line: revenue}]
kpis:
  - {key: a, name: A, frequency: daily, measure: {from: pg, query: "select 1"}, links: [{to: bo}]}
  - {key: b, name: B, frequency: daily, measure: {from: my, query: "select 1"}, links: [{to: bo}]}
  - {key: c, name: C, frequency: daily, measure: {from: api, query: "x", value: "body.v"}, links: [{to: bo}]}
  - {key: d, name: D, frequency: daily, measure: {from: prom, query: "up"}, links: [{to: bo}]}
`))
	out, errOut, code := e.run("", "--config", cfg, "--log-level", "debug", "sync")
	if code != ExitInternal || !strings.Contains(out, "0 values stored; 4 KPIs failed") {
		t.Fatalf("sync: exit %d\n%s%s", code, out, errOut)
	}
	jsonOut, jsonErr, _ := e.run("", "--config", cfg, "sync", "-o", "json")
	all := out + errOut + jsonOut + jsonErr
	for _, format := range []string{"text", "json", "markdown", "html", "junit", "sarif"} {
		o, eo, _ := e.run("", "--config", cfg, "audit", "--fail-on", "never", "-o", format)
		all += o + eo
	}
	if !strings.Contains(all, "kpi-source-failing") {
		t.Error("the audit does not report the failing sources")
	}
	for _, s := range []string{pw, token} {
		if strings.Contains(all, s) {
			t.Errorf("a secret appears in what okrmap printed:\n%s", all)
		}
	}
}

// TestConnectorConfigIsChecked: a mistake in a connector's configuration is
// a configuration error of every command, naming the key, before anything
// is read.
func TestConnectorConfigIsChecked(t *testing.T) {
	e := newEnv(t)
	cfg := e.write("config.yaml", "connectors:\n  warehouse: {type: oracle, dsn_env: X}\n")
	mustContain(t, "a wrong type", e.fails(ExitInput, "--config", cfg, "sync"), `connectors.warehouse.type: "oracle" is not one of`)
	cfg = e.write("config2.yaml", "connectors:\n  api: {type: http, url: \"https://me:pw@example.com/\"}\n")
	mustContain(t, "a password in a URL", e.fails(ExitInput, "--config", cfg, "tree"), "connectors.api.url carries a password")
}

// TestSyncSelectsWhatItNames: --kpi reads exactly the KPIs it names, not
// every KPI due after the first one found; --connector only that
// connector's.
func TestSyncSelectsWhatItNames(t *testing.T) {
	e := newEnv(t)
	sheet := e.write("s.csv", "kpi,at,value\na,2026-11-01,1\nb,2026-11-01,2\n")
	cfg := e.write("config.yaml", "connectors:\n  sheet: {type: csv, path: "+sheet+"}\n  dead: {type: sqlite, path: /nonexistent/x.db}\n")
	e.ok("--config", cfg, "apply", e.write("plan.yaml", `version: 1
business_objectives: [{key: bo, title: B, pnl_line: revenue}]
kpis:
  - {key: a, name: A, frequency: daily, measure: {from: sheet, query: a}, links: [{to: bo}]}
  - {key: b, name: B, frequency: daily, measure: {from: sheet, query: b}, links: [{to: bo}]}
  - {key: c, name: C, frequency: daily, measure: {from: dead, query: "select 1"}, links: [{to: bo}]}
`))
	out := e.ok("--config", cfg, "sync", "--kpi", "a", "--dry-run")
	mustContain(t, "sync --kpi a", out, "a  sheet  read", "1 value read (dry run: nothing stored); 0 KPIs failed")
	for _, other := range []string{"\nb ", "\nc "} {
		if strings.Contains("\n"+out, other) {
			t.Errorf("sync --kpi a read more than a:\n%s", out)
		}
	}
	out = e.ok("--config", cfg, "sync", "--connector", "sheet", "--dry-run")
	mustContain(t, "sync --connector sheet", out, "a  sheet  read", "b  sheet  read", "0 KPIs failed")
	if strings.Contains(out, "dead") {
		t.Errorf("sync --connector sheet read another connector:\n%s", out)
	}
}

// TestPlanCannotSendSecretsElsewhere: a plan whose HTTP measure leaves its
// connector's url is refused by validate, lint and apply at the query's
// file and line, and nothing reaches the other server.
func TestPlanCannotSendSecretsElsewhere(t *testing.T) {
	e := newEnv(t)
	var stolen atomic.Int32
	steal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stolen.Add(1)
		w.Write([]byte(`{"v": 1}`))
	}))
	defer steal.Close()
	t.Setenv("OKRMAP_TEST_FINANCE_AUTH", "Bearer finance-secret")
	cfg := e.write("config.yaml", `connectors:
  finance-api: {type: http, url: "http://127.0.0.1:1/api/", headers: {Authorization: OKRMAP_TEST_FINANCE_AUTH}}
`)
	plan := e.write("plan.yaml", `version: 1
business_objectives: [{key: bo, title: B, pnl_line: revenue}]
kpis:
  - key: a
    name: A
    frequency: daily
    measure:
      from: finance-api
      query: "`+steal.URL+`/steal"
      value: body.v
    links: [{to: bo}]
`)
	for _, cmd := range [][]string{{"validate", plan}, {"lint", plan}, {"apply", plan}} {
		errOut := e.fails(ExitInput, append([]string{"--config", cfg}, cmd...)...)
		mustContain(t, cmd[0], errOut, "plan.yaml:9:", `measure.query "`+steal.URL, "is not under the connector's url http://127.0.0.1:1/api/", "finance-api")
	}
	if n := stolen.Load(); n > 0 {
		t.Errorf("the other server was sent %d requests", n)
	}
}
