package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestLint(t *testing.T) {
	e := newEnv(t)
	files := exampleFiles(t)
	out, errOut, code := e.run("", append([]string{"lint", "--today", "2026-11-20"}, files...)...)
	if code != ExitFindings {
		t.Fatalf("lint: exit %d, want 1\n%s%s", code, out, errOut)
	}
	mustContain(t, "lint", out, "ERROR (5)", "kpi-unlinked", "KPI email-open-rate (Newsletter email open rate) is linked to nothing",
		"kpi-opposite-directions", "11 findings: 5 errors, 4 warnings, 2 info", "Skipped 6 rules that judge check-in and measurement history")
	mustContain(t, "lint stderr", errOut, "findings at or above --fail-on error")

	out = e.ok(append([]string{"lint", "--today", "2026-11-20", "--fail-on", "never", "-o", "json"}, files...)...)
	var fs []map[string]any
	if err := json.Unmarshal([]byte(out), &fs); err != nil || len(fs) != 11 {
		t.Fatalf("lint json: %d findings, %v", len(fs), err)
	}
	if fs[0]["fingerprint"] == "" || fs[0]["rule"] == nil {
		t.Errorf("finding %v", fs[0])
	}

	clean := e.write("clean.yaml", `version: 1
period: 2026-Q4
business_objectives: [{key: bo, title: Grow, pnl_line: revenue, owner: ceo, reviewed_at: 2026-10-01}]
`)
	mustContain(t, "clean lint", e.ok("lint", "--today", "2026-11-20", clean), "No findings.")
	mustContain(t, "bad fail-on", e.fails(ExitInput, "lint", "--fail-on", "sometimes", clean), `--fail-on "sometimes"`)
	if _, err := json.Marshal(fs); err != nil {
		t.Fatal(err)
	}
}

func TestRulesCommands(t *testing.T) {
	e := newEnv(t)
	out := e.ok("rules", "list")
	mustContain(t, "rules list", out, "kpi-unlinked", "okrmap-default", "vertical-alignment")
	if n := strings.Count(out, "\n") - 1; n < 25 {
		t.Errorf("rules list shows %d rules", n)
	}
	mustContain(t, "rules show", e.ok("rules", "show", "kpi-unlinked"), "assert    len(kpi.links) > 0", "Fix: ")
	e.fails(ExitInput, "rules", "show", "nope")

	out = e.ok("rules", "test", "--cases", "../../../../engine/rules/testdata/default")
	mustContain(t, "rules test", out, " passed, 0 failed")

	mine := e.write("mine.yaml", `pack: mine
extends: [okrmap-default]
overrides: [{id: kpi-unlinked, severity: info}]
rules:
  - {id: kpi-needs-source, name: KPI without a source, severity: warning, scope: kpi,
     assert: 'kpi.source != ""', message: "KPI {{ kpi.key }} says nowhere where its numbers come from"}
`)
	mustContain(t, "rules check", e.ok("rules", "check", mine), "ok: ")
	out = e.ok("rules", "list", "--rules", mine, "--pack", "mine")
	mustContain(t, "rules list --pack", out, "kpi-needs-source")
	if strings.Contains(out, "kpi-unlinked") {
		t.Error("--pack mine lists the built-in pack's rules")
	}
	cases := e.write("cases.yaml", `cases:
  - rule: kpi-needs-source
    plan: {version: 1, kpis: [{key: a, name: A}, {key: b, name: B, source: CRM}]}
    fires: [a]
    quiet: [a]
`)
	out, _, code := e.run("", "rules", "test", mine, "--cases", cases)
	if code != ExitFindings {
		t.Fatalf("failing case: exit %d\n%s", code, out)
	}
	mustContain(t, "failing case", out, "FAIL "+cases+": kpi-needs-source #1: a should not be flagged, but is: KPI a says nowhere where its numbers come from", "0 passed, 1 failed")

	// The shipped example pack compiles and passes its cases.
	pack := "../../../../examples/rules/team-pack.yaml"
	mustContain(t, "example pack", e.ok("rules", "check", pack), "ok: ")
	mustContain(t, "example pack cases", e.ok("rules", "test", pack, "--cases", "../../../../examples/rules/cases"), "3 passed, 0 failed")
	if out := e.ok("rules", "list", "--rules", pack); strings.Contains(out, "objective-title-has-metrics") || !strings.Contains(out, "pipeline-kpi-weekly") {
		t.Errorf("example pack: overrides not applied:\n%s", out)
	}

	broken := e.write("broken.yaml", "pack: broken\nrules:\n  - {id: r, name: R, severity: error, scope: kpi, assert: kpi.nope, message: m}\n")
	mustContain(t, "broken pack", e.fails(ExitInput, "rules", "check", broken), broken+":3:", "r: assert: kpi has no field nope; kpi's fields: key, name,")
	mustContain(t, "lint with broken pack", e.fails(ExitInput, "lint", "--rules", broken, exampleFiles(t)[0]), "has no field nope")
}

// TestLintLocatesFindings: lint findings name the file and line of their
// entity, in text, JSON and SARIF.
func TestLintLocatesFindings(t *testing.T) {
	e := newEnv(t)
	files := exampleFiles(t)
	out, _, code := e.run("", append([]string{"lint", "--today", "2026-11-20"}, files...)...)
	if code != ExitFindings {
		t.Fatalf("lint: exit %d", code)
	}
	if !regexp.MustCompile(`kpi-unlinked\s+\S*marketing\.yaml:\d+\s+KPI email-open-rate`).MatchString(out) {
		t.Errorf("lint text lacks the file and line:\n%s", out)
	}
	out, _, _ = e.run("", append([]string{"lint", "-o", "json"}, files...)...)
	var fs []map[string]any
	if err := json.Unmarshal([]byte(out), &fs); err != nil || len(fs) == 0 {
		t.Fatalf("lint -o json: %v", err)
	}
	for _, f := range fs {
		if f["entity"] == "email-open-rate" && (!strings.HasSuffix(f["file"].(string), "marketing.yaml") || f["line"].(float64) < 1) {
			t.Errorf("finding without its location: %v", f)
		}
	}
	out, _, _ = e.run("", append([]string{"lint", "-o", "sarif"}, files...)...)
	if !strings.Contains(out, `"physicalLocation"`) || !strings.Contains(out, "marketing.yaml") {
		t.Error("lint -o sarif has no physical locations")
	}
}

// TestLintOfCyclesReportsThem: lint resolves the plan while it validates
// it; a plan with parent and driver cycles still ends with both problems.
func TestLintOfCyclesReportsThem(t *testing.T) {
	e := newEnv(t)
	f := filepath.Join(t.TempDir(), "cycles.yaml")
	os.WriteFile(f, []byte(`version: 1
teams: [{key: t, name: T}]
objectives:
  - {key: o1, title: O1, team: t, owner: x, period: 2026-Q4, parent: o2}
  - {key: o2, title: O2, team: t, owner: x, period: 2026-Q4, parent: o1}
kpis:
  - {key: a, name: A, team: t, owner: x, links: [{to: b, rationale: r}]}
  - {key: b, name: B, team: t, owner: x, links: [{to: a, rationale: r}]}
`), 0o644)
	mustContain(t, "lint of cycles", e.fails(ExitInput, "lint", f), "cycles.yaml:4:", "o1 -> o2 -> o1", "cycles.yaml:7:", "a -> b -> a")
}

// TestHostileRuleIsStopped: a rule that would exhaust memory is stopped by
// rules.max_text; lint and audit report it, finish the rest, and exit 3;
// the audit is stored marked incomplete.
func TestHostileRuleIsStopped(t *testing.T) {
	e := newEnv(t)
	pack := e.write("hostile.yaml", `pack: hostile
rules:
  - id: doubling
    name: Doubling
    severity: warning
    scope: kpi
    assert: 'len(reduce(1..40, #acc + #acc, "xx")) < 0'
    message: m
`)
	files := exampleFiles(t)
	out, errOut, code := e.run("", append([]string{"lint", "--rules", pack, "--fail-on", "never"}, files...)...)
	if code != ExitInternal || !strings.Contains(errOut, "rule doubling stopped by a limit") || !strings.Contains(out, "rules.max_text") {
		t.Errorf("lint: exit %d\n%s%s", code, out, errOut)
	}
	e.ok(append([]string{"apply"}, files...)...)
	out, errOut, code = e.run("", "audit", "--rules", pack, "--fail-on", "never")
	if code != ExitInternal || !strings.Contains(errOut, "incomplete") || !strings.Contains(out, "kpi-stale") {
		t.Errorf("audit: exit %d\n%s%s", code, out, errOut)
	}
}
