package config

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func flags(args ...string) *pflag.FlagSet {
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	fs.String("db", "", "")
	fs.String("log-level", "", "")
	fs.Parse(args)
	return fs
}

var flagKeys = map[string]string{"db": "db", "log-level": "log.level"}

func TestPrecedence(t *testing.T) {
	file := writeConfig(t, "db: /file.db\nauthor: file-author\nlog:\n  level: info\n  format: json\n")
	t.Setenv("OKRMAP_AUTHOR", "")
	t.Setenv("OKRMAP_LOG_LEVEL", "")
	t.Setenv("OKRMAP_DB", "")

	c, err := Load(file, flags(), flagKeys)
	if err != nil {
		t.Fatal(err)
	}
	if c.DB != "/file.db" || c.Author != "file-author" || c.Log.Level != "info" || c.Log.Format != "json" {
		t.Errorf("file over defaults: %+v", c)
	}

	t.Setenv("OKRMAP_DB", "/env.db")
	t.Setenv("OKRMAP_LOG_LEVEL", "error")
	c, err = Load(file, flags(), flagKeys)
	if err != nil {
		t.Fatal(err)
	}
	if c.DB != "/env.db" || c.Log.Level != "error" || c.Author != "file-author" {
		t.Errorf("env over file: %+v", c)
	}

	c, err = Load(file, flags("--db", "/flag.db"), flagKeys)
	if err != nil {
		t.Fatal(err)
	}
	if c.DB != "/flag.db" || c.Log.Level != "error" {
		t.Errorf("flag over env: %+v", c)
	}

	t.Setenv("HOME", "/home/test")
	t.Setenv("OKRMAP_DB", "~/okr.db")
	if c, _ = Load(file, flags(), flagKeys); c.DB != "/home/test/okr.db" {
		t.Errorf("~ expansion: %q", c.DB)
	}
}

func TestDefaults(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "/data")
	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // no config.yaml there
	t.Setenv("USER", "someone")
	c, err := Load("", flags(), flagKeys)
	if err != nil {
		t.Fatal(err)
	}
	if c.DB != "/data/okrmap/okrmap.db" || c.Author != "someone" || c.Log.Level != "warn" {
		t.Errorf("defaults: %+v", c)
	}
}

func TestPluginTimeouts(t *testing.T) {
	c, err := Load(writeConfig(t, "plugins:\n  timeout: 10s\n  timeouts: {saas: 2m}\n"), flags(), flagKeys)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Plugins.PluginTimeout("saas"); got != 2*time.Minute {
		t.Errorf("saas timeout %s, want 2m", got)
	}
	if got := c.Plugins.PluginTimeout("retail"); got != 10*time.Second {
		t.Errorf("retail timeout %s, want the default 10s", got)
	}
}

// TestPluginSettingsKeepTheirForm: a YAML boolean stays "true" (the
// plugin's number setting then refuses it, where "1" was taken), .nan
// stays "NaN", and a list is refused with what to write instead.
func TestPluginSettingsKeepTheirForm(t *testing.T) {
	c, err := Load(writeConfig(t, "plugins:\n  settings:\n    hospital: {high_confidence: true, floor: .nan, ratio: 0.75, n: 3, label: x}\n"), flags(), flagKeys)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"high_confidence": "true", "floor": "NaN", "ratio": "0.75", "n": "3", "label": "x"}
	if got := c.Plugins.Settings["hospital"]; !reflect.DeepEqual(got, want) {
		t.Errorf("settings %v, want %v", got, want)
	}
	_, err = Load(writeConfig(t, "plugins:\n  settings:\n    retail: {channels: [search, social]}\n"), flags(), flagKeys)
	if err == nil || !strings.Contains(err.Error(), "channels") || !strings.Contains(err.Error(), "comma-separated string") {
		t.Errorf("a list setting: %v", err)
	}
	_, err = Load(writeConfig(t, "plugins:\n  max_findings: 0\n"), flags(), flagKeys)
	if err == nil || !strings.Contains(err.Error(), "plugins.max_findings") {
		t.Errorf("max_findings 0: %v", err)
	}
}

func TestBadFiles(t *testing.T) {
	tests := map[string]string{
		"dbb: x\n":                             "dbb",
		"log:\n  levl: info\n":                 "levl",
		"db: [1, 2]\n":                         "db",
		"log: loud\n":                          "log",
		"log:\n  level: chatty\n":              "log.level",
		"db: [unclosed\n":                      "config file",
		"plugins:\n  timeouts: {saas: -1s}\n":  "plugins.timeouts.saas",
		"plugins:\n  timeouts: {saas: soon}\n": "timeouts",
		"schedule:\n  - {name: n, cron: \"61 * * * *\"}\n":                     `schedule "n": cron "61 * * * *"`,
		"schedule:\n  - {name: n, cron: \"@daily\", format: html}\n":           `schedule "n": format html needs an output file`,
		"schedule:\n  - {name: n, cron: \"@daily\", notify: [{url: \"x\"}]}\n": `schedule "n": notify`,
		"schedule:\n  - {cron: \"@daily\"}\n":                                  "schedule[0]: name is missing",
		"server:\n  auth_proxy: {header: X-User}\n":                            "server.auth_proxy.trusted_cidrs",
	}
	for text, want := range tests {
		_, err := Load(writeConfig(t, text), flags(), flagKeys)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("config %q: error %v, want one naming %q", text, err, want)
		}
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml"), flags(), flagKeys); err == nil {
		t.Error("a missing explicit config file was accepted")
	}
}

// TestExampleConfig loads config.example.yaml and checks it documents every
// key.
func TestExampleConfig(t *testing.T) {
	path := "../../../../config.example.yaml"
	t.Setenv("OKRMAP_DB", "")
	t.Setenv("OKRMAP_LOG_LEVEL", "")
	c, err := Load(path, flags(), flagKeys)
	if err != nil {
		t.Fatal(err)
	}
	if c.Log.Level != Defaults().Log.Level || !strings.HasSuffix(c.DB, filepath.Join(".local", "share", "okrmap", "okrmap.db")) {
		t.Errorf("example config: %+v", c)
	}
	text, _ := os.ReadFile(path)
	for _, key := range Keys() {
		leaf := key[strings.LastIndexByte(key, '.')+1:]
		env := "OKRMAP_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
		if !strings.Contains(string(text), leaf+":") || !strings.Contains(string(text), env) {
			t.Errorf("config.example.yaml does not document %s (%s)", key, env)
		}
	}
	if !slices.Equal(Keys(), []string{"db", "store.url", "author", "memory_limit", "plan.max_depth", "plan.max_text", "plan.fiscal_year_start", "plan.functions", "plan.business_categories", "plan.kpi_categories", "plan.critical_pnl_lines", "rules.builtin", "rules.packs", "rules.max_steps", "rules.max_text", "rules.timeout", "audit.waivers", "plugins.dirs", "plugins.lock", "plugins.timeout", "plugins.timeouts", "plugins.settings", "plugins.max_findings", "plugins.env", "plugins.dev", "plugins.history_days", "plugins.max_history_days", "log.level", "log.format",
		"server.listen", "server.anonymous_read", "server.auth_proxy.header", "server.auth_proxy.role", "server.auth_proxy.trusted_cidrs",
		"server.read_header_timeout", "server.read_timeout", "server.write_timeout", "server.idle_timeout", "server.audit_wait",
		"server.shutdown_grace", "server.max_body", "server.max_plan_body", "server.max_batch", "server.max_plan_uploads", "server.cors_origins", "server.company", "server.public_url", "server.max_staleness", "history.future_tolerance", "mail.host", "mail.port", "mail.username", "mail.password_env", "mail.from", "mail.tls", "mail.timeout", "remind.opt_out", "connectors", "schedule"}) {
		t.Errorf("keys %v", Keys())
	}
	// The example shows the defaults.
	if !reflect.DeepEqual(c.Server, Defaults().Server) {
		t.Errorf("example server section %+v, defaults %+v", c.Server, Defaults().Server)
	}
}

// TestStoreURL: store.url names the database unless --db is given.
func TestStoreURL(t *testing.T) {
	t.Setenv("OKRMAP_DB", "")
	t.Setenv("OKRMAP_STORE_URL", "postgres://okrmap@db.internal/okrmap")
	c, err := Load("", flags(), flagKeys)
	if err != nil {
		t.Fatal(err)
	}
	if c.DB != "postgres://okrmap@db.internal/okrmap" {
		t.Errorf("db %q, want store.url's", c.DB)
	}
	c, err = Load("", flags("--db", "/tmp/x.db"), flagKeys)
	if err != nil {
		t.Fatal(err)
	}
	if c.DB != "/tmp/x.db" {
		t.Errorf("db %q, want the flag's", c.DB)
	}
}
