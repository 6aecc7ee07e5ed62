package cli

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestHostileCorpus runs every file of testdata/hostile the way an
// attacker would hand it to okrmap: each is refused, or stopped by a limit,
// with a message that says which, and nothing crashes or runs away.
func TestHostileCorpus(t *testing.T) {
	e := newEnv(t)
	dir := "testdata/hostile"
	for _, tc := range []struct{ file, want string }{
		{"deep-parents.yaml", "hangs 100 levels below the top of its parent chain; okrmap allows 64"},
		{"deep-drivers.yaml", "starts a chain of 99 driver links; okrmap allows 64"},
		{"long-name.yaml", "name is 70000 bytes long; okrmap keeps text under 65536 bytes"},
		{"dash-formula.yaml", "the expression repeats a unary operator more than 64 times"},
	} {
		errOut := e.fails(ExitInput, "validate", filepath.Join(dir, tc.file))
		if !strings.Contains(errOut, tc.want) || !strings.Contains(errOut, tc.file+":") || strings.Count(errOut, "\n") > 3 {
			t.Errorf("validate %s:\n%s", tc.file, errOut)
		}
	}
	e.ok("apply", e.write("k.yaml", "version: 1\nkpis: [{key: k, name: K}]\n"))
	mustContain(t, "infinite values", e.fails(ExitInput, "import", "measurements", filepath.Join(dir, "infinite.csv")),
		"infinite.csv:2", "is not a finite number", "infinite.csv:4")

	cfg := e.write("limits.yaml", "rules: {max_steps: 100000}\n")
	files := exampleFiles(t)
	for _, tc := range []struct {
		pack string
		code int
		want string
	}{
		{"doubling-text.yaml", ExitInternal, "rules.max_text"},
		{"doubling-message.yaml", ExitInternal, "rules.max_text"},
		{"huge-repeat.yaml", ExitInternal, "rules.max_text"},
		{"nested-loops.yaml", ExitInternal, "rules.max_steps"},
		{"deep-brackets.yaml", ExitInput, "nests brackets more than 64 deep"},
		{"bang-flood.yaml", ExitInput, "repeats a unary operator more than 64 times"},
	} {
		out, errOut, code := e.run("", append([]string{"--config", cfg, "lint", "--fail-on", "never", "--rules", filepath.Join(dir, tc.pack)}, files...)...)
		if code != tc.code || !strings.Contains(out+errOut, tc.want) {
			t.Errorf("lint --rules %s: exit %d, want %d and %q\n%.2000s\n%.2000s", tc.pack, code, tc.code, tc.want, out, errOut)
		}
	}
}

// TestPlaceholderTimesAreRefused: 0001-01-01T00:00:00Z (what .NET's
// DateTime.MinValue exports) is refused by measure --at and import, never
// stored as now; an extra field in a CSV row is refused with its line.
func TestPlaceholderTimesAreRefused(t *testing.T) {
	e := newEnv(t)
	e.ok(append([]string{"apply"}, exampleFiles(t)...)...)
	mustContain(t, "measure --at", e.fails(ExitInput, "measure", "nrr", "--value", "1", "--at", "0001-01-01T00:00:00Z"), "0001-01-01T00:00:00Z is before 1900")
	mustContain(t, "import", e.fails(ExitInput, "import", "measurements", e.write("m.csv", "kpi,at,value\nnrr,0001-01-01T00:00:00Z,1\n")),
		"m.csv:2:5: nrr: at: 0001-01-01T00:00:00Z is before 1900")
	mustContain(t, "import", e.fails(ExitInput, "import", "measurements", e.write("x.csv", "kpi,at,value\nnrr,2026-11-01,1,2\n")),
		"x.csv:2:18: nrr: the row has 4 fields, the header 3")
	if out, _, _ := e.run("", "get", "measurements", "nrr", "-o", "json"); strings.Contains(out, `"value"`) {
		t.Errorf("a refused value was stored:\n%s", out)
	}
}

// TestBidiControlsAreEscaped: a right-to-left override in a plan's text
// reaches no terminal raw, in any command that shows it.
func TestBidiControlsAreEscaped(t *testing.T) {
	e := newEnv(t)
	e.ok("apply", e.write("plan.yaml", "version: 1\nbusiness_objectives: [{key: bo, title: \"Grow \u202eeunever\u202c ARR\", pnl_line: revenue}]\n"+
		"kpis: [{key: k, name: \"KPI \u2066x\u2069\", links: [{to: bo}]}]\n"))
	for _, args := range [][]string{{"tree"}, {"audit", "--fail-on", "never"}, {"get", "business-objectives"}, {"get", "kpi", "k"}, {"export"}} {
		out := e.ok(args...)
		if strings.ContainsAny(out, "\u202e\u202c\u2066\u2069") {
			t.Errorf("%s shows a bidirectional control raw:\n%s", args[0], out)
		}
	}
	mustContain(t, "tree", e.ok("tree"), `Grow \u202eeunever\u202c ARR`)
}

// TestCloseDryRunSaysTheCloseWillBeRefused: a dry run of closing an open
// period previews it and says the real close needs --force.
func TestCloseDryRunSaysTheCloseWillBeRefused(t *testing.T) {
	e := newEnv(t)
	e.ok(append([]string{"apply"}, exampleFiles(t)...)...)
	now := time.Now().UTC()
	period := fmt.Sprintf("%d-Q%d", now.Year(), (int(now.Month())+2)/3)
	e.ok("apply", e.write("now.yaml", "version: 1\nobjectives: [{key: now-o, title: Now, period: "+period+", key_results: [{key: now-kr, title: K, target: 1}]}]\n"))
	mustContain(t, "close --dry-run", e.ok("quarter", "close", period, "--dry-run"), "has not ended", "will be refused unless --force")
	e.fails(ExitInput, "quarter", "close", period)
}

// TestAuthorIsRecorded: --author names who checked in and who audited;
// without it, the config's author, else the OS user.
func TestAuthorIsRecorded(t *testing.T) {
	e := newEnv(t)
	e.ok(append([]string{"apply"}, exampleFiles(t)...)...)
	e.ok("--author", "rita@northwind.example", "checkin", "sme-sqls", "--value", "3900", "--at", "2026-11-10")
	mustContain(t, "check-ins", e.ok("get", "checkins", "sme-sqls"), "rita@northwind.example")
	e.ok("--author", "ops-cron", "audit", "--fail-on", "never")
	mustContain(t, "audit runs", e.ok("audit", "show", "1", "-o", "json"), `"author": "ops-cron"`)
	t.Setenv("OKRMAP_AUTHOR", "")
	t.Setenv("USER", "")
	e.ok("checkin", "sme-sqls", "--value", "3950", "--at", "2026-11-12")
	if out := e.ok("get", "checkins", "sme-sqls", "-o", "json"); strings.Count(out, `"author": ""`)+strings.Count(out, `"author":""`) > 0 || strings.Count(out, `"author"`) < 2 {
		t.Errorf("a check-in without $USER has no author:\n%s", out)
	}
}

// TestCLIGrammar: -v is no --version at the root (apply -v is verbose), an
// unknown completion shell fails, one entity by key is one JSON object,
// and the YAML tree leaves out empty fields as the JSON one does.
func TestCLIGrammar(t *testing.T) {
	e := newEnv(t)
	mustContain(t, "-v", e.fails(ExitInput, "-v"), "unknown shorthand flag: 'v' in -v; see 'okrmap --help'")
	mustContain(t, "--version", e.ok("--version"), "okrmap version")
	mustContain(t, "completion nushell", e.fails(ExitInput, "completion", "nushell"), `unknown command "nushell"`)
	e.ok(append([]string{"apply", "-v"}, exampleFiles(t)...)...)
	var kr map[string]any
	if err := json.Unmarshal([]byte(e.ok("get", "kr", "sme-sqls", "-o", "json")), &kr); err != nil || kr["key"] != "sme-sqls" {
		t.Errorf("get kr KEY -o json: %v %v", kr, err)
	}
	if y := e.ok("tree", "-o", "yaml"); strings.Contains(y, `key: ""`) || strings.Contains(y, "ownerislead") || strings.Contains(y, "misaligned: false") {
		t.Errorf("the YAML tree carries empty fields:\n%.600s", y)
	}
}

// TestFiscalQuarter: with plan.fiscal_year_start 2, a February-January
// year's quarter is a period: a key result due 2020-01-31 lies in
// FY2020-Q4, the quarter closes, and FY2020 covers it.
func TestFiscalQuarter(t *testing.T) {
	e := newEnv(t)
	t.Setenv("OKRMAP_PLAN_FISCAL_YEAR_START", "2")
	plan := e.write("fy.yaml", `version: 1
business_objectives: [{key: bo, title: Grow, pnl_line: revenue, period: FY2020}]
objectives:
  - {key: o, title: Close the year, period: FY2020-Q4, parent: bo, key_results: [{key: kr, title: Revenue, baseline: 1, target: 2, unit: USD, due: 2020-01-31}]}
`)
	e.ok("validate", plan)
	e.ok("apply", plan)
	mustContain(t, "lint", e.ok("lint", "--fail-on", "never", "--today", "2020-01-15", plan), "findings")
	if out := e.ok("lint", "--fail-on", "never", "--today", "2020-01-15", plan); strings.Contains(out, "objective-parent-other-period") {
		t.Errorf("FY2020 does not cover FY2020-Q4:\n%s", out)
	}
	mustContain(t, "close", e.ok("quarter", "close", "FY2020-Q4"), "Closed FY2020-Q4")
	t.Setenv("OKRMAP_PLAN_FISCAL_YEAR_START", "1")
	mustContain(t, "calendar", e.fails(ExitInput, "validate", plan), "due 2020-01-31 is outside the objective's period FY2020-Q4 (2020-10-01 to 2020-12-31)")
}

// TestCommentCheckIns: a check-in with a note and no value is a comment:
// kept in the history, it moves neither the current value nor progress.
func TestCommentCheckIns(t *testing.T) {
	e := newEnv(t)
	e.ok(append([]string{"apply"}, exampleFiles(t)...)...)
	e.ok("checkin", "sme-sqls", "--value", "3900", "--at", "2026-11-10")
	mustContain(t, "comment", e.ok("checkin", "sme-sqls", "--note", "=> no progress on this KR, carrying over", "--at", "2026-11-17"), "checked in sme-sqls: a comment")
	mustContain(t, "history", e.ok("get", "checkins", "sme-sqls"), "(comment)", "carrying over")
	var kr map[string]any
	if err := json.Unmarshal([]byte(e.ok("get", "kr", "sme-sqls", "-o", "json")), &kr); err != nil || kr["current"] != 3900.0 {
		t.Errorf("a comment moved the current value: %v %v", kr["current"], err)
	}
	mustContain(t, "no value, no note", e.fails(ExitInput, "checkin", "sme-sqls"), "--value is required, or --note alone for a comment")
	mustContain(t, "measure stays strict", e.fails(ExitInput, "measure", "nrr", "--note", "x"), "--value is required;")
}

// TestGetTakesAScope: get filters by --team and --period like tree and
// audit, and an unknown team is an error, not an empty list.
func TestGetTakesAScope(t *testing.T) {
	e := newEnv(t)
	e.ok(append([]string{"apply"}, exampleFiles(t)...)...)
	out := e.ok("get", "kpis", "--team", "finance")
	if !strings.Contains(out, "gross-margin") || strings.Contains(out, "sourced-pipeline") {
		t.Errorf("get kpis --team finance:\n%s", out)
	}
	krs := e.ok("get", "kr", "--team", "marketing", "--period", "2026-Q4")
	if !strings.Contains(krs, "sme-sqls") || strings.Contains(krs, "q4-net-new-arr") {
		t.Errorf("get kr --team marketing --period 2026-Q4:\n%s", krs)
	}
	mustContain(t, "an empty period", e.ok("get", "objectives", "--period", "2027-Q1"), "(none)")
	mustContain(t, "an unknown team", e.fails(ExitInput, "get", "kpis", "--team", "nope"), `no team "nope"`)
}

// TestOutputJSON: the commands that answer with a summary take -o json,
// and what they print then is one JSON value.
func TestOutputJSON(t *testing.T) {
	e := newEnv(t)
	files := exampleFiles(t)
	csv := e.write("m.csv", "kpi,at,value\nnrr,2026-11-01,105\n")
	for _, tc := range []struct {
		args []string
		key  string
	}{
		{append([]string{"validate", "-o", "json"}, files...), "entities"},
		{append([]string{"apply", "-o", "json"}, files...), "changes"},
		{[]string{"checkin", "sme-sqls", "--value", "3900", "--at", "2026-11-10", "-o", "json"}, "stored"},
		{[]string{"measure", "nrr", "--value", "104", "--at", "2026-11-02", "-o", "json"}, "stored"},
		{[]string{"import", "measurements", csv, "-o", "json"}, "stored"},
		{[]string{"quarter", "close", "2026-Q4", "--dry-run", "-o", "json"}, "close"},
		{[]string{"backup", filepath.Join(e.dir, "b.db"), "-o", "json"}, "backup"},
	} {
		var v map[string]any
		out := e.ok(tc.args...)
		if err := json.Unmarshal([]byte(out), &v); err != nil || v[tc.key] == nil {
			t.Errorf("okrmap %s: %v\n%s", strings.Join(tc.args, " "), err, out)
		}
	}
	var tokens []any
	if err := json.Unmarshal([]byte(e.ok("token", "list", "-o", "json")), &tokens); err != nil {
		t.Errorf("token list -o json: %v", err)
	}
	mustContain(t, "a wrong format", e.fails(ExitInput, "measure", "nrr", "--value", "1", "-o", "xml"), `unknown output format "xml"`)
}

// TestImportListsEveryProblem: a CSV's problems, a future date among them,
// are all listed at once with file:line.
func TestImportListsEveryProblem(t *testing.T) {
	e := newEnv(t)
	e.ok(append([]string{"apply"}, exampleFiles(t)...)...)
	csv := e.write("m.csv", "kpi,at,value\nnrr,2099-01-01,105\nnope,2026-11-01,1\nnrr,2026-11-02,abc\n")
	mustContain(t, "import", e.fails(ExitInput, "import", "measurements", csv),
		"m.csv:2:5: nrr: at 2099-01-01T00:00:00Z is in the future", `m.csv:3:1: no KPI "nope"`, `m.csv:4:16: nrr: value "abc"`, "3 problems found; nothing was changed")
}

// TestCompanyVocabulary: a hospital's own function and categories are
// refused until the config names them, then accepted.
func TestCompanyVocabulary(t *testing.T) {
	e := newEnv(t)
	plan := e.write("h.yaml", `version: 1
teams: [{key: wards, name: Wards, function: clinical}]
business_objectives: [{key: team, title: A great team, category: great_team, pnl_line: labour_cost}]
kpis: [{key: falls, name: Falls, team: wards, category: safety}]
`)
	mustContain(t, "built-in lists", e.fails(ExitInput, "validate", plan), `function "clinical" is not one of`, `category "great_team" is not one of`, `category "safety" is not one of`)
	t.Setenv("OKRMAP_PLAN_FUNCTIONS", "clinical")
	t.Setenv("OKRMAP_PLAN_BUSINESS_CATEGORIES", "great_team")
	t.Setenv("OKRMAP_PLAN_KPI_CATEGORIES", "safety,quality")
	e.ok("validate", plan)
	t.Setenv("OKRMAP_PLAN_KPI_CATEGORIES", "Safety!")
	mustContain(t, "a bad name", e.fails(ExitInput, "validate", plan), "plan.kpi_categories")
}

// TestRollForwardFindsNextYearsBusinessObjective: an objective rolled into
// the next year's first quarter hangs under that year's business objective
// on the same P&L line, not under last year's (which made okrmap warn about
// its own roll-forward).
func TestRollForwardFindsNextYearsBusinessObjective(t *testing.T) {
	e := newEnv(t)
	e.ok("apply", e.write("p.yaml", `version: 1
business_objectives:
  - {key: grow-2026, title: Grow in 2026, pnl_line: revenue, period: "2026", owner: ceo}
  - {key: grow-2027, title: Grow in 2027, pnl_line: revenue, period: "2027", owner: ceo}
objectives:
  - {key: q4-growth, title: Grow, period: 2026-Q4, owner: cro, parent: grow-2026,
     key_results: [{key: q4-arr, title: ARR, baseline: 1, target: 2, unit: USD, due: 2026-12-31}]}
`))
	e.ok("quarter", "close", "2026-Q4", "--roll-forward", "2027-Q1", "--force")
	var o map[string]any
	if err := json.Unmarshal([]byte(e.ok("get", "objective", "q1-growth", "-o", "json")), &o); err != nil || o["parent"] != "grow-2027" {
		t.Errorf("the rolled objective's parent: %v %v", o["parent"], err)
	}
	if out := e.ok("audit", "--fail-on", "never", "--today", "2027-01-15"); strings.Contains(out, "objective-parent-other-period") {
		t.Errorf("the roll-forward made its own warning:\n%s", out)
	}
}

// TestRolledKeys: a rolled copy's key names the next period where the
// closed one stood (q4-net-revenue becomes q1-net-revenue), or gets it
// appended; --rename chooses a key, and a taken or unrolled one is refused.
// Closing again finds the copies, renamed or not.
func TestRolledKeys(t *testing.T) {
	e := newEnv(t)
	e.ok("apply", e.write("p.yaml", `version: 1
period: 2026-Q4
business_objectives:
  - {key: grow, title: Grow, pnl_line: revenue, period: "2026", owner: ceo}
objectives:
  - {key: q4-revenue, title: Revenue, owner: cro, parent: grow,
     key_results: [{key: arr-2026-q4, title: ARR, baseline: 1, target: 2, unit: USD},
                   {key: win-sme, title: SME wins, baseline: 1, target: 2, unit: count},
                   {key: done, title: Done, baseline: 1, target: 2, current: 2, unit: count}]}
  - {key: q1-revenue, title: Taken, owner: cro, parent: grow, period: 2027-Q1}
`))
	close := []string{"quarter", "close", "2026-Q4", "--roll-forward", "2027-Q1", "--force", "--dry-run"}
	mustContain(t, "default keys", e.ok(close...), "objective q4-revenue -> q4-revenue-2027-q1",
		"key_result arr-2026-q4 -> arr-2027-q1", "key_result win-sme -> win-sme-2027-q1")
	mustContain(t, "renamed", e.ok(append(close, "--rename", "q4-revenue=revenue-next", "--rename", "win-sme=sme-wins")...),
		"objective q4-revenue -> revenue-next", "key_result win-sme -> sme-wins")
	mustContain(t, "a taken key", e.fails(ExitInput, append(close, "--rename", "win-sme=grow")...), "the key grow is taken")
	mustContain(t, "a finished key result", e.fails(ExitInput, append(close, "--rename", "done=again")...), "rename done: it does not roll forward")
	mustContain(t, "twice", e.fails(ExitInput, append(close, "--rename", "win-sme=x", "--rename", "arr-2026-q4=x")...), "would both roll forward as x")
	mustContain(t, "no roll-forward", e.fails(ExitInput, "quarter", "close", "2026-Q4", "--rename", "a=b"), "only --roll-forward makes copies")

	// Closing again finds the copies the first close made, renamed or
	// not, and makes no others.
	real := close[:len(close)-1] // without --dry-run
	e.ok(append(slices.Clone(real), "--rename", "win-sme=sme-wins")...)
	if out := e.ok(real...); strings.Contains(out, "->") {
		t.Errorf("the second close rolled forward again:\n%s", out)
	}
	krs := e.ok("get", "kr")
	if !strings.Contains(krs, "sme-wins") || strings.Contains(krs, "win-sme-2027-q1") || !strings.Contains(krs, "arr-2027-q1") {
		t.Errorf("after two closes:\n%s", krs)
	}
}

// TestFiscalYearIsStored: the first apply records the fiscal year start,
// later commands use it without configuration, and a configuration that
// says another month is refused.
func TestFiscalYearIsStored(t *testing.T) {
	e := newEnv(t)
	e.ok("--config", "../../../../examples/fiscal-year/okrmap.yaml", "apply", "../../../../examples/fiscal-year/plan.yaml")
	e.ok("import", "measurements", "../../../../examples/fiscal-year/measurements.csv")
	// With January, FY2027-Q4 would be October to December 2027: no time
	// of it gone, and on-time not behind.
	mustContain(t, "pace", e.ok("audit", "--today", "2026-12-07", "--fail-on", "never"), "key result on-time is at 0% with 40% of its time gone")
	t.Setenv("OKRMAP_PLAN_FISCAL_YEAR_START", "1")
	mustContain(t, "another month", e.fails(ExitInput, "tree"), "applied with fiscal years starting in February", "plan.fiscal_year_start to 2")
}
