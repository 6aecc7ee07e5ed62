package host_test

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/plan"
	"github.com/okrmap/okrmap/engine/resolve"
	"github.com/okrmap/okrmap/plugins/host"
	pb "github.com/okrmap/okrmap/plugins/proto/okrmap/plugin/v1"
	"github.com/okrmap/okrmap/plugins/protocol"
	"github.com/okrmap/okrmap/plugins/sdk/sdktest"
)

// build compiles a plugin binary into a temporary directory.
func build(t *testing.T, pkg string) string {
	t.Helper()
	return sdktest.BuildTo(t, pkg, filepath.Join(t.TempDir(), filepath.Base(pkg)))
}

func exampleGraph(t *testing.T) *resolve.Graph {
	t.Helper()
	files, _ := filepath.Glob("../../examples/saas-b2b/*.yaml")
	set, err := plan.Load(files...)
	if err != nil {
		t.Fatal(err)
	}
	latest := map[string]engine.Measurement{"pipeline-coverage": {KPI: "pipeline-coverage", Value: 2.7}, "nrr": {KPI: "nrr", Value: 104.6}}
	return resolve.Resolve(resolve.Input{Plan: set.Plan, Latest: latest, Today: engine.NewDate(2026, 11, 20)})
}

func spec(t *testing.T, bin string) host.Spec {
	sum, err := host.FileSHA256(bin)
	if err != nil {
		t.Fatal(err)
	}
	return host.Spec{Name: filepath.Base(bin), Path: bin, SHA256: sum, Timeout: 20 * time.Second,
		Env: []string{"OKRMAP_TEST_FAULT", "OKRMAP_TEST_CHILD_PIDFILE"}}
}

func TestRunSaaSPlugin(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a plugin binary")
	}
	bin := build(t, "github.com/okrmap/okrmap/plugins/saas/cmd/okrmap-plugin-saas")
	batches, keys := host.Batches(exampleGraph(t), nil)
	s := spec(t, bin)
	s.Settings = map[string]string{"min_pipeline_coverage": "3"}
	res, err := host.Run(context.Background(), s, batches, keys)
	if err != nil {
		t.Fatal(err)
	}
	if res.Description.GetName() != "saas" || res.Description.GetVersion() == "" {
		t.Errorf("description %v", res.Description)
	}
	if len(res.Findings) != 1 || res.Findings[0].Rule != "saas-pipeline-coverage-low" || res.Findings[0].Entity != "pipeline-coverage" ||
		res.Findings[0].Severity != "warning" || res.Findings[0].Fingerprint == "" {
		t.Errorf("findings %+v", res.Findings)
	}
	if n := sdktest.Processes(bin); n != 0 {
		t.Errorf("%d plugin processes left behind", n)
	}
}

func TestPluginFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("builds plugin binaries")
	}
	bin := build(t, "github.com/okrmap/okrmap/plugins/host/testdata/broken")
	batches, keys := host.Batches(exampleGraph(t), nil)
	tests := []struct {
		fault, want string
		timeout     time.Duration
	}{
		{"crash-at-start", "cannot start", 0},
		{"hang-at-start", "no answer within 2s", 2 * time.Second},
		{"wrong-protocol", "it speaks plugin protocol 99 and this okrmap speaks 1", 0},
		{"hang", "no answer within 2s", 2 * time.Second},
		{"crash", "plugin broken stopped (exit status 3)", 0},
		{"panic", "plugin broken stopped (exit status 2: panic: assignment to entry in nil map)", 0},
		{"unknown-entity", `finding for "no-such-kpi", which is not in the graph`, 0},
		{"bad-severity", `severity "fatal"`, 0},
		{"wrong-scope", `returned a finding for team "`, 0},
		{"bad-rule-id", `describes rule "kpi-stale"; a plugin's rule ids start with its name`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.fault, func(t *testing.T) {
			t.Setenv("OKRMAP_TEST_FAULT", tt.fault)
			s := spec(t, bin)
			if tt.timeout > 0 {
				s.Timeout = tt.timeout
			}
			_, err := host.Run(context.Background(), s, batches, keys)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("fault %s: %v, want %q", tt.fault, err, tt.want)
			}
			deadline := time.Now().Add(3 * time.Second)
			for sdktest.Processes(bin) > 0 && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			if n := sdktest.Processes(bin); n != 0 {
				t.Errorf("fault %s: %d plugin processes left behind", tt.fault, n)
			}
		})
	}
	// A plugin that speaks a later protocol besides this one is run with
	// this one.
	t.Run("newer", func(t *testing.T) {
		t.Setenv("OKRMAP_TEST_FAULT", "newer")
		res, err := host.Run(context.Background(), spec(t, bin), batches, keys)
		if err != nil || res.Description.GetName() != "broken" {
			t.Errorf("newer plugin: %v, %v", res, err)
		}
	})
	// What a plugin logs reaches okrmap's log under its name, at the level
	// it gives.
	t.Run("noisy", func(t *testing.T) {
		t.Setenv("OKRMAP_TEST_FAULT", "noisy")
		var buf bytes.Buffer
		s := spec(t, bin)
		s.Log = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
		if _, err := host.Run(context.Background(), s, batches, keys); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if !strings.Contains(out, `level=WARN msg="min_win_rate is not set; using 20" logger=plugin.`+s.Name) || !strings.Contains(out, "setting=min_win_rate") {
			t.Errorf("plugin warning not logged with its name and attributes:\n%s", out)
		}
		if strings.Contains(out, "checked") || strings.Contains(out, "plugin process exited") {
			t.Errorf("info lines logged at level warn:\n%s", out)
		}
		buf.Reset()
		s.Log = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
		if _, err := host.Run(context.Background(), s, batches, keys); err != nil {
			t.Fatal(err)
		}
		if out := buf.String(); !strings.Contains(out, "level=INFO msg=checked logger=plugin."+s.Name) {
			t.Errorf("plugin info line not logged at level info:\n%s", out)
		}
	})
	// A binary that does not match its pinned checksum is refused.
	s := spec(t, bin)
	s.SHA256 = strings.Repeat("0", 64)
	if _, err := host.Run(context.Background(), s, batches, keys); err == nil || !strings.Contains(err.Error(), "changed since it was pinned") ||
		!strings.Contains(err.Error(), "re-pin it with okrmap plugins lock "+s.Name) {
		t.Errorf("checksum mismatch: %v", err)
	}
	s.SHA256 = "nope"
	if _, err := host.Run(context.Background(), s, batches, keys); err == nil || !strings.Contains(err.Error(), "re-pin it with okrmap plugins lock "+s.Name) {
		t.Errorf("bad pin: %v", err)
	}
}

func TestValidateDescription(t *testing.T) {
	rule := func(id, sev, scope string) *pb.RuleInfo { return &pb.RuleInfo{Id: id, Severity: sev, Scope: scope} }
	tests := []struct {
		d    *pb.Description
		want string // "" for valid
	}{
		{&pb.Description{Name: "saas", Rules: []*pb.RuleInfo{rule("saas-a", "error", "kpi"), rule("saas-b", "info", "plan")}}, ""},
		{&pb.Description{Name: "Saas"}, `describes itself as "Saas"`},
		{&pb.Description{Name: "saas", Rules: []*pb.RuleInfo{rule("ltv-low", "error", "kpi")}}, `describes rule "ltv-low"`},
		{&pb.Description{Name: "saas", Rules: []*pb.RuleInfo{rule("saas-A", "error", "kpi")}}, `describes rule "saas-A"`},
		{&pb.Description{Name: "saas", Rules: []*pb.RuleInfo{rule("saas-a", "error", "kpi"), rule("saas-a", "info", "kpi")}}, "rule saas-a twice"},
		{&pb.Description{Name: "saas", Rules: []*pb.RuleInfo{rule("saas-a", "fatal", "kpi")}}, `severity "fatal"`},
		{&pb.Description{Name: "saas", Rules: []*pb.RuleInfo{rule("saas-a", "error", "link")}}, `scope "link"`},
	}
	for _, tt := range tests {
		err := host.ValidateDescription(tt.d)
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%v: %v, want %q", tt.d, err, tt.want)
		}
	}
}

// TestPluginEnvironment: a plugin sees the minimal environment and the
// variables its config names, none of okrmap's secrets.
func TestPluginEnvironment(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "broken")
	sdktest.BuildTo(t, "github.com/okrmap/okrmap/plugins/host/testdata/broken", bin)
	t.Setenv("OKRMAP_TEST_FAULT", "env")
	t.Setenv("WAREHOUSE_DSN", "postgres://okrmap:pw@db/warehouse")
	t.Setenv("PGPASSWORD", "pw")
	t.Setenv("FINANCE_API_AUTH", "Bearer secret")
	t.Setenv("OKRMAP_TEST_PASSED", "yes")
	t.Setenv("LC_ALL", "C")
	s := spec(t, bin)
	s.Env = []string{"OKRMAP_TEST_FAULT", "OKRMAP_TEST_PASSED"}
	batches, keys := host.Batches(exampleGraph(t), nil)
	res, err := host.Run(context.Background(), s, batches, keys)
	if err != nil || len(res.Findings) != 1 {
		t.Fatalf("run: %v %v", res, err)
	}
	seen := strings.Fields(strings.TrimPrefix(res.Findings[0].Message, "env: "))
	for _, name := range []string{"PATH", "HOME", "LC_ALL", "OKRMAP_TEST_PASSED", "OKRMAP_TEST_FAULT"} {
		if !slices.Contains(seen, name) {
			t.Errorf("the plugin does not see %s: %v", name, seen)
		}
	}
	for _, name := range seen {
		if name == "WAREHOUSE_DSN" || name == "PGPASSWORD" || name == "FINANCE_API_AUTH" {
			t.Errorf("the plugin sees %s: %v", name, seen)
		}
		if !slices.Contains(host.BaseEnv, name) && !strings.HasPrefix(name, "LC_") && !strings.HasPrefix(name, "PLUGIN_") &&
			!slices.Contains(s.Env, name) && name != protocol.Handshake.MagicCookieKey {
			t.Errorf("the plugin sees %s, which nothing asked for: %v", name, seen)
		}
	}
}

// TestPluginFindingsAreCapped: a plugin returning more findings than
// allowed fails, keeping none of them.
func TestPluginFindingsAreCapped(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "broken")
	sdktest.BuildTo(t, "github.com/okrmap/okrmap/plugins/host/testdata/broken", bin)
	t.Setenv("OKRMAP_TEST_FAULT", "flood")
	s := spec(t, bin)
	g := exampleGraph(t)
	batches, keys := host.Batches(g, nil)
	_, err := host.Run(context.Background(), s, batches, keys)
	if err == nil || !strings.Contains(err.Error(), "returned more than 10000 findings (plugins.max_findings)") {
		t.Errorf("a flood of findings: %v", err)
	}
	s.MaxFindings = 100_000
	if res, err := host.Run(context.Background(), s, batches, keys); err != nil || len(res.Findings) != 400*len(g.KPIs) {
		t.Errorf("under a raised cap: %v", err)
	}
}

// TestSettingKeysAreLowerCase: a plugin declaring a setting with capitals,
// which configuration (read in lower case) could never set, is refused.
func TestSettingKeysAreLowerCase(t *testing.T) {
	d := &pb.Description{Name: "hosp", Rules: []*pb.RuleInfo{{Id: "hosp-x", Severity: "info", Scope: "kpi"}},
		Config: []*pb.ConfigKey{{Key: "minSafety.<unit>", Type: "float"}}}
	if err := host.ValidateDescription(d); err == nil || !strings.Contains(err.Error(), `name it "minsafety.<unit>"`) {
		t.Errorf("a capitalised setting key: %v", err)
	}
}
