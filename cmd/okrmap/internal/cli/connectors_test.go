package cli

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/okrmap/okrmap/engine/testenv"
)

// TestConnectorsExample runs examples/connectors as its README does: a
// PostgreSQL warehouse loaded with warehouse.sql, the shipped config and
// sheet; values, pace and freshness move from before the sync to after it,
// and a second sync stores nothing.
func TestConnectorsExample(t *testing.T) {
	addr, pw := testenv.Postgres(t)
	dsn := fmt.Sprintf("postgres://okrmap:%s@%s/postgres?sslmode=disable", pw, addr)
	script, err := os.ReadFile("../../../../examples/connectors/warehouse.sql")
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(string(script))
	db.Close()
	if err != nil {
		t.Fatalf("warehouse.sql: %v", err)
	}
	e := newEnv(t)
	t.Chdir("../../../..") // the config names the sheet from the repository's top
	t.Setenv("OKRMAP_WAREHOUSE_DSN", dsn)
	cfg := []string{"--config", "examples/connectors/config.yaml"}
	e.ok(append(cfg, "apply", "examples/connectors/plan.yaml")...)

	before, _, _ := e.run("", append(cfg, "audit", "--fail-on", "never")...)
	for _, k := range []string{"qtd-bookings", "win-rate", "open-pipeline", "mqls"} {
		if !strings.Contains(before, "KPI "+k+" has never been measured") {
			t.Errorf("before the sync, the audit does not call %s unmeasured:\n%s", k, before)
		}
	}
	out := e.ok(append(cfg, "sync")...)
	mustContain(t, "sync", out, "qtd-bookings", "stored", "open-pipeline", "(15 values)", "mqls", "(8 values)", "0 KPIs failed")

	tree := e.ok(append(cfg, "tree")...)
	mustContain(t, "tree after sync", tree, "New ARR booked this quarter", "USD")
	after, _, _ := e.run("", append(cfg, "audit", "--fail-on", "never")...)
	for _, k := range []string{"qtd-bookings", "win-rate", "open-pipeline"} {
		if strings.Contains(after, "KPI "+k+" has never been measured") || strings.Contains(after, "KPI "+k+" was last measured") {
			t.Errorf("after the sync, the audit calls %s stale:\n%s", k, after)
		}
	}
	var krs []struct {
		Key     string   `json:"key"`
		Current *float64 `json:"current"`
	}
	if err := json.Unmarshal([]byte(e.ok(append(cfg, "get", "key-results", "-o", "json")...)), &krs); err != nil {
		t.Fatal(err)
	}
	for _, kr := range krs {
		if kr.Current == nil || *kr.Current <= 0 {
			t.Errorf("key result %s did not move with its KPI: %v", kr.Key, kr.Current)
		}
	}
	all := append(cfg, "sync", "--kpi", "qtd-bookings", "--kpi", "win-rate", "--kpi", "open-pipeline", "--kpi", "mqls")
	mustContain(t, "a second sync", e.ok(all...), "0 values stored")

	// The warehouse goes away: its KPIs fail, the sheet's still sync, and
	// the audit names the failing source.
	t.Setenv("OKRMAP_WAREHOUSE_DSN", fmt.Sprintf("postgres://okrmap:%s@127.0.0.1:1/postgres?sslmode=disable", pw))
	out, errOut, code := e.run("", all...)
	if code != ExitInternal || !strings.Contains(out, "3 KPIs failed") || !strings.Contains(out, "mqls           sheet      unchanged") {
		t.Errorf("a sync without the warehouse: exit %d\n%s%s", code, out, errOut)
	}
	broken, _, _ := e.run("", append(cfg, "audit", "--fail-on", "never")...)
	mustContain(t, "the audit without the warehouse", broken, "kpi-source-failing", "could not be read from warehouse", "connection refused")
	if strings.Contains(broken, pw) {
		t.Error("the audit shows the warehouse's password")
	}
}
