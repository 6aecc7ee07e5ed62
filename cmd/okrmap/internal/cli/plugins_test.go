package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/okrmap/okrmap/plugins/retail"
	"github.com/okrmap/okrmap/plugins/saas"
	"github.com/okrmap/okrmap/plugins/sdk/sdktest"
)

func TestPluginsEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a plugin binary")
	}
	e := newEnv(t)
	dir := filepath.Join(e.dir, "plugins")
	bin := filepath.Join(dir, "okrmap-plugin-saas")
	for name, pkg := range map[string]string{bin: "saas", filepath.Join(dir, "okrmap-plugin-retail"): "retail"} {
		sdktest.BuildTo(t, "github.com/okrmap/okrmap/plugins/"+pkg+"/cmd/okrmap-plugin-"+pkg, name)
	}
	t.Setenv("OKRMAP_PLUGINS_DIRS", dir)
	e.ok(append(append([]string{"apply"}, exampleFiles(t)...), "../../../../examples/retail/plan.yaml")...)
	e.ok("import", "measurements", "../../../../examples/saas-b2b/measurements.csv")
	e.ok("import", "measurements", "../../../../examples/retail/measurements.csv")

	mustContain(t, "list before lock", e.ok("plugins", "list"), "No plugins pinned")
	mustContain(t, "lock", e.ok("plugins", "lock"), "pinned saas "+saas.Version, bin, "pinned retail "+retail.Version)
	mustContain(t, "verify", e.ok("plugins", "verify"), "2 pinned plugins match")
	mustContain(t, "list", e.ok("plugins", "list"), "saas "+saas.Version+" (protocol 1)", "saas-pipeline-coverage-low", "setting min_ltv_cac (float, default 3)")
	var listed []map[string]any
	if err := json.Unmarshal([]byte(e.ok("plugins", "list", "-o", "json")), &listed); err != nil || len(listed) != 2 || listed[1]["name"] != "saas" || len(listed[1]["rules"].([]any)) == 0 {
		t.Errorf("plugins list -o json: %v %v", listed, err)
	}
	mustContain(t, "rules list", e.ok("rules", "list", "--pack", "saas"), "saas-ltv-cac-low", "plugin:saas")
	// lint --plugins runs them over plan files, before anything is applied.
	retailPlan := "../../../../examples/retail/plan.yaml" // no sourced-pipeline KPI
	withPlugins := e.ok("lint", "--plugins", "--fail-on", "never", "--today", "2026-11-20", retailPlan)
	mustContain(t, "lint --plugins", withPlugins, "saas-sourced-pipeline-missing")
	if without := e.ok("lint", "--fail-on", "never", "--today", "2026-11-20", retailPlan); strings.Contains(without, "saas-") {
		t.Errorf("lint without --plugins ran them:\n%s", without)
	}
	mustContain(t, "rules show a plugin rule", e.ok("rules", "show", "saas-ltv-cac-low"), "saas-ltv-cac-low: ", "pack      plugin:saas", "Fix: ")
	mustContain(t, "rules show an unknown rule", e.fails(ExitInput, "rules", "show", "saas-nope"), `no rule "saas-nope" in the rule packs or plugins`)
	// A pack rule may not be named like a plugin's rules: both would report
	// under one id.
	clash := e.write("clash.yaml", "pack: fintech\nrules:\n  - {id: saas-ltv-cac-low, name: Clash, severity: warning, scope: kpi, assert: 'true', message: m}\n")
	for _, args := range [][]string{{"audit", "--rules", clash}, {"rules", "list", "--rules", clash}, {"rules", "check", clash}} {
		mustContain(t, args[0]+" with a clashing pack", e.fails(ExitInput, args...),
			"rule saas-ltv-cac-low of pack fintech is named like the rules of plugin saas (saas-...)")
	}

	// Plugin rules are overridden like any rule, from a pack.
	pack := e.write("pack.yaml", `pack: plugin-overrides
extends: [okrmap-default]
overrides:
  - {id: saas-pipeline-coverage-low, plugin: saas, severity: error}
  - {id: retail-roas-low, plugin: retail, disabled: true}
`)
	out, errOut, code := e.run("", "audit", "--today", "2026-11-20", "-o", "json", "--fail-on", "never", "--rules", pack)
	if code != ExitOK {
		t.Fatalf("audit with overrides: exit %d\n%s", code, errOut)
	}
	var overridden struct {
		Run struct {
			Findings []struct{ Rule, Severity string }
		}
	}
	if err := json.Unmarshal([]byte(out), &overridden); err != nil {
		t.Fatal(err)
	}
	for _, f := range overridden.Run.Findings {
		if f.Rule == "retail-roas-low" || f.Rule == "saas-pipeline-coverage-low" && f.Severity != "error" {
			t.Errorf("override not applied: %+v", f)
		}
	}

	out, errOut, code = e.run("", "audit", "--today", "2026-11-20", "-o", "json")
	if code != ExitFindings {
		t.Fatalf("audit with plugins: exit %d\n%s", code, errOut)
	}
	var rep struct {
		Run struct {
			Complete bool
			Packs    []struct {
				Name, Version, SHA256 string
				Plugin                bool
			}
			Findings []struct{ Rule, Entity string }
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	has := func(rule, entity string) bool {
		for _, f := range rep.Run.Findings {
			if f.Rule == rule && f.Entity == entity {
				return true
			}
		}
		return false
	}
	if !rep.Run.Complete || !has("saas-pipeline-coverage-low", "pipeline-coverage") || !has("retail-roas-low", "roas") ||
		!has("kpi-unlinked", "email-open-rate") {
		t.Errorf("run complete=%v findings %+v", rep.Run.Complete, rep.Run.Findings)
	}
	pinned := false
	for _, p := range rep.Run.Packs {
		pinned = pinned || p.Plugin && p.Name == "saas" && p.Version == saas.Version && len(p.SHA256) == 64
	}
	if !pinned {
		t.Errorf("the stored run does not name the plugin: %+v", rep.Run.Packs)
	}

	// A plugin rule is waived like any rule.
	e.ok("waive", "saas-pipeline-coverage-low", "pipeline-coverage", "--reason", "Coverage is rebuilt in January", "--until", "2026-12-31")
	out, _, _ = e.run("", "audit", "--today", "2026-11-20", "-o", "json", "--fail-on", "never")
	var waived struct {
		Run struct {
			Findings []struct {
				Rule   string
				Waiver *struct{ Reason string }
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &waived); err != nil {
		t.Fatal(err)
	}
	ok := false
	for _, f := range waived.Run.Findings {
		ok = ok || f.Rule == "saas-pipeline-coverage-low" && f.Waiver != nil && f.Waiver.Reason == "Coverage is rebuilt in January"
	}
	if !ok {
		t.Errorf("the plugin finding was not reported as waived: %+v", waived.Run.Findings)
	}

	// A changed binary: verify says how to re-pin; the audit completes
	// everything else, stores the run as incomplete and exits 3.
	f, _ := os.OpenFile(bin, os.O_APPEND|os.O_WRONLY, 0)
	f.Write([]byte("tampered"))
	f.Close()
	mustContain(t, "verify tampered", e.fails(ExitInput, "plugins", "verify"), "changed since it was pinned", "re-pin it with okrmap plugins lock saas")
	// Listing still lists everything, the changed plugin marked.
	mustContain(t, "list with a changed plugin", e.ok("plugins", "list"), "saas  ", "NOT RUNNABLE: ", "changed since it was pinned", "retail ", "retail-roas-low")
	rulesOut, listErr, code := e.run("", "rules", "list")
	if code != 0 || strings.Contains(rulesOut, "saas-pipeline-coverage-low") {
		t.Errorf("rules list with a changed plugin: exit %d\n%s", code, rulesOut)
	}
	mustContain(t, "rules list with a changed plugin", rulesOut, "kpi-unlinked", "retail-roas-low")
	mustContain(t, "rules list warning", listErr, "plugin's rules left out", "saas")
	out, errOut, code = e.run("", "audit", "--today", "2026-11-20", "-o", "json")
	if code != ExitInternal {
		t.Fatalf("audit with a tampered plugin: exit %d, want 3\n%s", code, errOut)
	}
	mustContain(t, "incomplete audit", errOut, "is stored but incomplete")
	rep.Run.Findings = nil
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Run.Complete || !has("plugin-failure", "saas") || !has("retail-roas-low", "roas") || !has("kpi-unlinked", "email-open-rate") {
		t.Errorf("tampered run: complete=%v findings %+v", rep.Run.Complete, rep.Run.Findings)
	}
	mustContain(t, "history", e.ok("audit", "history"), "false")
	if strings.Contains(errOut, "panic") {
		t.Error(errOut)
	}

	// Re-pinning the changed plugin by name says what changed and keeps the
	// other pin as it was.
	out = e.ok("plugins", "lock", "saas")
	mustContain(t, "re-pin saas", out, "pinned saas "+saas.Version, "(was "+saas.Version)
	if strings.Contains(out, "retail") {
		t.Errorf("lock saas touched retail:\n%s", out)
	}
	mustContain(t, "verify after re-pin", e.ok("plugins", "verify"), "2 pinned plugins match")
	mustContain(t, "lock again", e.ok("plugins", "lock"), "pinned retail "+retail.Version, "(unchanged)")
	mustContain(t, "lock unknown", e.fails(ExitInput, "plugins", "lock", "nosuch"), "no okrmap-plugin-nosuch in plugins.dirs")
	// A binary dropped into plugins.dirs is not run until it is pinned, and
	// okrmap says so.
	b, _ := os.ReadFile(bin)
	os.WriteFile(filepath.Join(dir, "okrmap-plugin-extra"), b, 0o755)
	mustContain(t, "verify with an unpinned binary", e.ok("plugins", "verify"), "not pinned, so audits skip it", "okrmap plugins lock extra")
	mustContain(t, "list with an unpinned binary", e.ok("plugins", "list"), "okrmap-plugin-extra")
	_, errOut, _ = e.run("", "audit", "--today", "2026-11-20", "--fail-on", "never")
	mustContain(t, "audit with an unpinned binary", errOut, "not pinned", "okrmap-plugin-extra")
	os.Remove(filepath.Join(dir, "okrmap-plugin-extra"))
	// Development mode runs an unpinned binary, loudly, and marks the run.
	devSame := filepath.Join(e.dir, "dev", "okrmap-plugin-saas")
	sdktest.BuildTo(t, "github.com/okrmap/okrmap/plugins/saas/cmd/okrmap-plugin-saas", devSame)
	out, errOut, code = e.run("", "audit", "--today", "2026-11-20", "-o", "json", "--fail-on", "never", "--plugin-dev", devSame)
	if code != ExitOK {
		t.Fatalf("audit --plugin-dev: exit %d\n%s", code, errOut)
	}
	mustContain(t, "dev audit warning", errOut, "DEVELOPMENT MODE", devSame, "instead of the pinned one")
	var dev struct {
		Run struct {
			ID    int64
			Packs []struct {
				Name string
				Dev  bool
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &dev); err != nil {
		t.Fatal(err)
	}
	devRuns := 0
	for _, p := range dev.Run.Packs {
		if p.Dev {
			devRuns++
			if p.Name != "saas" {
				t.Errorf("dev pack %q, want saas", p.Name)
			}
		}
	}
	if devRuns != 1 || len(dev.Run.Packs) != 3 {
		t.Errorf("packs of the dev run: %+v", dev.Run.Packs)
	}
	// The dev run is marked in history and its report, and the next pinned
	// run is compared with the pinned run before it.
	mustContain(t, "history marks the dev run", e.ok("audit", "history"), "true (dev)")
	mustContain(t, "show marks the dev run", e.ok("audit", "show", strconv.FormatInt(dev.Run.ID, 10)), "(DEV: saas unpinned)")
	mustContain(t, "pinned run after a dev run", e.ok("audit", "--today", "2026-11-20", "--fail-on", "never"),
		fmt.Sprintf("since run %d:", dev.Run.ID-1))
	mustContain(t, "lint --plugin-dev", e.ok("lint", "--fail-on", "never", "--plugin-dev", devSame, "../../../../examples/retail/plan.yaml"),
		"saas-sourced-pipeline-missing")
	mustContain(t, "dev plugin missing", e.fails(ExitInput, "audit", "--plugin-dev", filepath.Join(e.dir, "nope")), "is neither an executable file nor a directory of Go source")
	// Settings for a plugin that is not pinned (a misspelled name) fail
	// verify, and an audit warns about them.
	typo := e.write("typo.yaml", "plugins:\n  settings:\n    sass: {min_ltv_cac: \"4\"}\n")
	mustContain(t, "verify with stray settings", e.fails(ExitInput, "--config", typo, "plugins", "verify"),
		"settings for sass, which no pinned plugin reads", "the pinned plugins are retail, saas")
	_, errOut, _ = e.run("", "--config", typo, "audit", "--today", "2026-11-20", "--fail-on", "never")
	mustContain(t, "audit with stray settings", errOut, "settings for sass")
	// Settings of the wrong type fail verify, read as okrmap errors.
	bad := e.write("bad.yaml", "plugins:\n  settings:\n    saas: {min_ltv_cac: three}\n    retail: {min_roas.search: \"4\"}\n")
	verifyErr := e.fails(ExitInput, "--config", bad, "plugins", "verify")
	mustContain(t, "verify with a bad setting", verifyErr, `plugins.settings.saas: setting min_ltv_cac of plugin saas: "three" is not a finite number`)
	mustContain(t, "rules check with a bad setting", e.fails(ExitInput, "--config", bad, "rules", "check", "../../../../examples/rules/team-pack.yaml"),
		`plugins.settings.saas: setting min_ltv_cac of plugin saas: "three" is not a finite number`)
	if strings.Contains(verifyErr, "rpc error") || strings.Contains(verifyErr, "retail") {
		t.Errorf("verify: %s", verifyErr)
	}
	// plugins list shows what the configuration sets.
	set := e.write("set.yaml", "plugins:\n  settings:\n    saas: {min_ltv_cac: \"4\"}\n    retail: {min_roas.search: \"5\", min_roas.social: \"2\"}\n")
	mustContain(t, "list with settings", e.ok("--config", set, "plugins", "list"), `setting min_ltv_cac (float, default 3, min_ltv_cac set to "4")`,
		`setting min_roas.<channel> (float, default min_roas, min_roas.search set to "5", min_roas.social set to "2")`)
	// A misspelt key gets a suggestion, a pattern key with its name filled in.
	spelt := e.write("spelt.yaml", "plugins:\n  settings:\n    saas: {min_ltv_cca: \"4\"}\n    retail: {min_roa.search: \"4\"}\n")
	mustContain(t, "verify with misspelt settings", e.fails(ExitInput, "--config", spelt, "plugins", "verify"),
		`unknown setting "min_ltv_cca" for plugin saas; it accepts:`, "(did you mean min_ltv_cac?)", "(did you mean min_roas.search?)")
	// A plugin removed from plugins.dirs loses its pin on a full lock.
	os.Remove(filepath.Join(dir, "okrmap-plugin-retail"))
	mustContain(t, "lock after removal", e.ok("plugins", "lock"), "dropped retail")
	mustContain(t, "verify after removal", e.ok("plugins", "verify"), "1 pinned plugin matches its checksum")
}

// TestAuditPluginFaults: whatever a plugin does wrong, the audit reports it
// as a plugin-failure finding, keeps every other finding, stores the run as
// incomplete, exits 3, and leaves no plugin process behind.
func TestAuditPluginFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a plugin binary")
	}
	e := newEnv(t)
	dir := filepath.Join(e.dir, "plugins")
	bin := filepath.Join(dir, "okrmap-plugin-broken")
	sdktest.BuildTo(t, "github.com/okrmap/okrmap/plugins/host/testdata/broken", bin)
	t.Setenv("OKRMAP_PLUGINS_DIRS", dir)
	t.Setenv("OKRMAP_PLUGINS_TIMEOUT", "2s")
	passFault(t, e)
	e.ok(append([]string{"apply"}, exampleFiles(t)...)...)
	e.ok("plugins", "lock")
	for _, fault := range []string{"crash-at-start", "wrong-protocol", "hang", "crash", "unknown-entity", "bad-severity", "bad-rule-id", "flood", "refuse-settings"} {
		t.Run(fault, func(t *testing.T) {
			t.Setenv("OKRMAP_TEST_FAULT", fault)
			out, errOut, code := e.run("", "audit", "--today", "2026-11-20", "-o", "json")
			if code != ExitInternal {
				t.Fatalf("exit %d, want 3\n%s", code, errOut)
			}
			var rep struct {
				Run struct {
					Complete bool
					Findings []struct{ Rule, Entity, Fix string }
				}
			}
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatal(err)
			}
			_, lintErr, lintCode := e.run("", append([]string{"lint", "--plugins", "--fail-on", "never"}, exampleFiles(t)...)...)
			if lintCode != ExitInternal || !strings.Contains(lintErr, "plugin broken failed") {
				t.Errorf("lint --plugins: exit %d, want 3\n%s", lintCode, lintErr)
			}
			failure, others := false, 0
			for _, f := range rep.Run.Findings {
				if f.Rule == "plugin-failure" && f.Entity == "broken" {
					failure = true
					// Refused settings are fixed in the configuration.
					if settingsFix := strings.Contains(f.Fix, "Correct plugins.settings.broken"); settingsFix != (fault == "refuse-settings") {
						t.Errorf("fix %q", f.Fix)
					}
				} else {
					others++
				}
			}
			// The example plan's own findings: the same count every time.
			if rep.Run.Complete || !failure || others != 65 {
				t.Errorf("complete=%v plugin-failure=%v other findings=%d, want false, true, 65", rep.Run.Complete, failure, others)
			}
			deadline := time.Now().Add(5 * time.Second)
			for sdktest.Processes(bin) > 0 && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			if n := sdktest.Processes(bin); n > 0 {
				t.Errorf("%d plugin processes left behind", n)
			}
		})
	}
}

// Audits send plugins the measurement and check-in history of
// plugins.history_days, none when it is 0.
func TestPluginsGetHistory(t *testing.T) {
	e := brokenPluginEnv(t, "history")
	e.ok(append([]string{"apply"}, exampleFiles(t)...)...)
	e.ok("import", "measurements", "../../../../examples/saas-b2b/measurements.csv")
	e.ok("checkin", "sme-sqls", "--value", "1200", "--at", "2026-11-10")
	e.ok("plugins", "lock")
	out := e.ok("audit", "--today", "2026-11-20", "--fail-on", "never")
	if !regexp.MustCompile(`history: [1-9]\d* measurements over 90 days, [1-9]\d* check-ins over 90 days`).MatchString(out) {
		t.Errorf("the plugin was sent no history:\n%s", out)
	}
	t.Setenv("OKRMAP_PLUGINS_HISTORY_DAYS", "0")
	mustContain(t, "no history", e.ok("audit", "--today", "2026-11-20", "--fail-on", "never"), "history: 0 measurements over 0 days, 0 check-ins over 0 days")
}

// TestPluginsDeclareTheHistoryTheyNeed: a plugin that declares it needs
// 400 days of measurements and 30 of check-ins gets that, up to
// plugins.max_history_days, with a warning when capped; authors and notes
// come with the history.
func TestPluginsDeclareTheHistoryTheyNeed(t *testing.T) {
	e := brokenPluginEnv(t, "history-need")
	e.ok(append([]string{"apply"}, exampleFiles(t)...)...)
	e.ok("import", "measurements", "../../../../examples/saas-b2b/measurements.csv")
	e.ok("--author", "ana", "measure", "nrr", "--value", "101", "--at", "2025-11-01") // a year back
	e.ok("--author", "bo", "checkin", "sme-sqls", "--value", "1200", "--at", "2026-11-10", "--note", "webinars landed")
	e.ok("--author", "cy", "checkin", "sme-sqls", "--value", "900", "--at", "2026-09-01", "--note", "too old") // beyond 30 days
	e.ok("plugins", "lock")
	mustContain(t, "list", e.ok("plugins", "list"), "needs history: 400 days of measurements, 30 of check-ins")
	t.Setenv("OKRMAP_PLUGINS_HISTORY_DAYS", "20") // below what the plugin declares
	out := e.ok("audit", "--today", "2026-11-20", "--fail-on", "never")
	if !regexp.MustCompile(`history: \d+ measurements over 400 days, \d+ check-ins over 30 days; by .*ana.*bo, .*webinars landed`).MatchString(out) ||
		strings.Contains(out, "too old") {
		t.Errorf("the plugin did not get the history it declared:\n%s", out)
	}
	t.Setenv("OKRMAP_PLUGINS_MAX_HISTORY_DAYS", "200")
	out, errOut, _ := e.run("", "audit", "--today", "2026-11-20", "--fail-on", "never")
	if !strings.Contains(out, "measurements over 200 days") || !strings.Contains(errOut, "asks for more history than plugins.max_history_days allows") {
		t.Errorf("a capped need:\n%s\n%s", out, errOut)
	}
}

// plugins list keeps its columns aligned whatever the length of rule ids.
func TestPluginsListAlignsLongIDs(t *testing.T) {
	e := brokenPluginEnv(t, "long-id")
	e.ok("plugins", "lock")
	var cols []int
	for _, line := range strings.Split(e.ok("plugins", "list"), "\n") {
		if f := strings.Fields(line); len(f) == 4 && strings.HasPrefix(f[0], "broken-rule") {
			cols = append(cols, strings.Index(line, " "+f[1]+" ")+1)
		}
	}
	if len(cols) != 2 || cols[0] != cols[1] || cols[0] <= len("  broken-rule-with-an-id-longer-than-forty-characters") {
		t.Errorf("severity columns at %v:\n%s", cols, e.ok("plugins", "list"))
	}
}

// brokenPluginEnv is an environment with the test plugin of
// plugins/host/testdata/broken in plugins.dirs, in the mode fault.
func brokenPluginEnv(t *testing.T, fault string) *env {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a plugin binary")
	}
	e := newEnv(t)
	dir := filepath.Join(e.dir, "plugins")
	sdktest.BuildTo(t, "github.com/okrmap/okrmap/plugins/host/testdata/broken", filepath.Join(dir, "okrmap-plugin-broken"))
	t.Setenv("OKRMAP_PLUGINS_DIRS", dir)
	t.Setenv("OKRMAP_TEST_FAULT", fault)
	passFault(t, e)
	return e
}

// passFault configures plugins.env so that the test plugin sees
// OKRMAP_TEST_FAULT: plugins see no variable they are not given.
func passFault(t *testing.T, e *env) {
	t.Setenv("OKRMAP_CONFIG", e.write("plugin-env.yaml", "plugins:\n  env:\n    broken: [OKRMAP_TEST_FAULT]\n    kpi: [OKRMAP_TEST_FAULT]\n"))
}

// TestPluginMayNotTakeBuiltinRuleIDs: a plugin named kpi, whose rules
// (kpi-stale) would mix with okrmap's own, is refused by plugins lock.
func TestPluginMayNotTakeBuiltinRuleIDs(t *testing.T) {
	e := brokenPluginEnv(t, "named-kpi")
	e.ok(append([]string{"apply"}, exampleFiles(t)...)...)
	mustContain(t, "plugins lock", e.fails(ExitInput, "plugins", "lock"),
		"plugin kpi: its rules (kpi-...) would mix with okrmap's built-in rule kpi-")
	if _, err := os.Stat(filepath.Join(e.dir, "plugins.lock")); err == nil {
		t.Error("the refused plugin was pinned")
	}
}

// A plugin that describes itself wrongly is its author's to fix: plugins
// lock refuses it as bad input, not as an okrmap failure.
func TestLockRefusesBadDescription(t *testing.T) {
	e := brokenPluginEnv(t, "bad-rule-id")
	mustContain(t, "plugins lock", e.fails(ExitInput, "plugins", "lock"),
		`describes rule "kpi-stale"`, "its author must fix the plugin")
	if _, err := os.Stat(filepath.Join(e.dir, "plugins.lock")); err == nil {
		t.Error("the refused plugin was pinned")
	}
}

// TestPluginDevFromSource: --plugin-dev takes a plugin's source folder,
// builds it and lists, shows and runs its rules; a build that fails is the
// command's error, with the compiler's message.
func TestPluginDevFromSource(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a plugin")
	}
	e := newEnv(t)
	t.Setenv("XDG_CACHE_HOME", filepath.Join(e.dir, "cache"))
	src, err := filepath.Abs("../../../../plugins/host/testdata/broken")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("OKRMAP_TEST_FAULT", "history")
	passFault(t, e)
	mustContain(t, "list", e.ok("rules", "list", "--plugin-dev", src, "--pack", "broken"), "broken-rule", "plugin:broken")
	mustContain(t, "show", e.ok("rules", "show", "broken-rule", "--plugin-dev", src), "broken-rule: Broken", "plugin:broken")
	e.ok(append([]string{"apply"}, exampleFiles(t)...)...)
	mustContain(t, "audit", e.ok("audit", "--plugin-dev", src, "--fail-on", "never"), "(DEV: broken unpinned)", "history: ")

	bad := filepath.Join(e.dir, "okrmap-plugin-bad")
	os.MkdirAll(bad, 0o755)
	os.WriteFile(filepath.Join(bad, "main.go"), []byte("package main\n\nfunc main() { undefined() }\n"), 0o644)
	os.WriteFile(filepath.Join(bad, "go.mod"), []byte("module bad\n\ngo 1.22\n"), 0o644)
	mustContain(t, "a build error", e.fails(ExitInput, "rules", "list", "--plugin-dev", bad), "dev plugin", "go build in", "undefined: undefined")
}
