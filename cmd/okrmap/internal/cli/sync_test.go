package cli

import (
	"strings"
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
