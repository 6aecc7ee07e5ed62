package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/okrmap/okrmap/engine/sqlite"
)

// env runs okrmap in-process against one temporary database.
type env struct {
	t   *testing.T
	db  string
	dir string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("OKRMAP_CONFIG", "")
	t.Setenv("OKRMAP_DB", "")
	t.Setenv("OKRMAP_AUTHOR", "tester")
	dir := t.TempDir()
	return &env{t: t, db: filepath.Join(dir, "okrmap.db"), dir: dir}
}

// run returns stdout, stderr and the exit code.
func (e *env) run(stdin string, args ...string) (string, string, int) {
	e.t.Helper()
	var out, errOut bytes.Buffer
	code := Main(context.Background(), append([]string{"--db", e.db}, args...), strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), code
}

// ok runs a command that must succeed and returns its stdout.
func (e *env) ok(args ...string) string {
	e.t.Helper()
	out, errOut, code := e.run("", args...)
	if code != ExitOK {
		e.t.Fatalf("okrmap %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// fails runs a command that must exit with code and returns its stderr.
func (e *env) fails(code int, args ...string) string {
	e.t.Helper()
	out, errOut, got := e.run("", args...)
	if got != code {
		e.t.Fatalf("okrmap %s: exit %d, want %d\n%s%s", strings.Join(args, " "), got, code, out, errOut)
	}
	return errOut
}

func (e *env) write(name, text string) string {
	path := filepath.Join(e.dir, name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return path
}

func exampleFiles(t *testing.T) []string {
	files, err := filepath.Glob("../../../../examples/saas-b2b/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatal("no example plans")
	}
	return files
}

func mustContain(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s does not contain %q:\n%s", what, w, text)
		}
	}
}

func TestQuarterWorkflow(t *testing.T) {
	e := newEnv(t)
	files := exampleFiles(t)

	out := e.ok(append([]string{"validate"}, files...)...)
	mustContain(t, "validate", out, "valid: 5 files")
	if _, err := os.Stat(e.db); err == nil {
		t.Fatal("validate created a database")
	}

	out = e.ok(append([]string{"apply", "--dry-run"}, files...)...)
	mustContain(t, "dry run", out, "Dry run: nothing was written.", "kpi                         32         0         0")
	out = e.ok(append([]string{"apply"}, files...)...)
	mustContain(t, "apply", out, "kpi                         32         0         0")
	out = e.ok(append([]string{"apply"}, files...)...)
	mustContain(t, "second apply", out, "kpi                          0         0        32", "No changes: the database already matches the plan.")

	out = e.ok("tree", "--period", "2026-q4")
	mustContain(t, "tree", out, "P&L line: revenue", "└── grow-arr · Grow ARR from $31M to $40M",
		"KR sme-sqls · SME sales-qualified leads: 3,000 → 5,000 count", "KPI mqls · Marketing qualified leads [activity, pipeline, marketing] · drives the KPI above",
		"KPIs that reach no business objective (1)", "email-open-rate · Newsletter email open rate [activity, brand, marketing] - linked to nothing")

	e.ok("import", "measurements", "../../../../examples/saas-b2b/measurements.csv")
	mustContain(t, "import again", e.ok("import", "measurements", "../../../../examples/saas-b2b/measurements.csv"),
		"imported 0 measurements; ", " were already stored and were not stored again")
	mustContain(t, "NaN", e.fails(ExitInput, "measure", "nrr", "--value", "NaN"), "is not a finite number")
	mustContain(t, "future", e.fails(ExitInput, "measure", "nrr", "--value", "1", "--at", "2030-01-01"), "is in the future")
	out = e.ok("get", "measurements", "nrr", "-o", "json")
	var ms []map[string]any
	if err := json.Unmarshal([]byte(out), &ms); err != nil || len(ms) != 1 || ms[0]["value"] != 104.6 {
		t.Errorf("measurements of nrr: %v %s", err, out)
	}
	mustContain(t, "derived KPI", e.ok("get", "measurements", "pipeline-per-dollar"), "okrmap (formula)", "5.38")
	mustContain(t, "recompute", e.ok("kpi", "recompute"), "No derived KPI has a new value.")
	mustContain(t, "tree after import", e.ok("tree", "--team", "customer-success"), "nrr · Net revenue retention [outcome, customer, customer-success] latest 104.6 percent on 2026-10-31")

	e.ok("checkin", "sme-sqls", "--value", "4000", "--confidence", "0.8", "--note", "webinars landed")
	out = e.ok("get", "kr", "sme-sqls")
	mustContain(t, "get kr", out, "sme-sqls", "4,000", "50%")
	out = e.ok("get", "checkins", "sme-sqls", "-o", "yaml")
	mustContain(t, "checkins", out, "value: 4000", "confidence: 0.8", "author: tester", "note: webinars landed")
	e.ok("measure", "sourced-pipeline", "--value", "8100000", "--at", "2026-11-20")

	// The quarter has not ended (today is in November): refused, previewed,
	// then closed with --force, reopened and closed again.
	mustContain(t, "close early", e.fails(ExitInput, "quarter", "close", "2026-Q4"), "period 2026-Q4 runs until 2026-12-31", "--force")
	out = e.ok("quarter", "close", "2026-Q4", "--roll-forward", "2027-Q1", "--dry-run")
	mustContain(t, "dry run", out, "Dry run: nothing was written.", "Closed 2026-Q4: 9 objectives", "key_result sme-sqls -> sme-sqls-2027-q1")
	mustContain(t, "after a dry run", e.ok("get", "objectives"), "active")
	e.fails(ExitInput, "get", "kr", "sme-sqls-2027-q1")
	e.ok("quarter", "close", "2026-Q4", "--roll-forward", "2027-Q1", "--force")
	mustContain(t, "reopen", e.ok("quarter", "reopen", "2026-Q4"), "Reopened 2026-Q4: 9 objectives active again; removed the roll-forward:", "mkt-pipeline-2027-q1")
	e.fails(ExitInput, "get", "kr", "sme-sqls-2027-q1")
	e.ok("checkin", "sme-sqls", "--value", "4000", "--at", "2026-11-21") // open again
	mustContain(t, "reopen twice", e.fails(ExitInput, "quarter", "reopen", "2026-Q4"), "period 2026-Q4 has no close to undo")
	out = e.ok("quarter", "close", "2026-Q4", "--roll-forward", "2027-Q1", "--force")
	mustContain(t, "close", out, "Closed 2026-Q4: 9 objectives, 21 key results scored.", "0.50",
		"Rolled forward into 2027-Q1", "key_result sme-sqls -> sme-sqls-2027-q1")
	e.fails(ExitInput, "checkin", "sme-sqls", "--value", "1")
	e.ok("checkin", "sme-sqls-2027-q1", "--value", "4100")
	// Re-applying the team files would drop the roll-forward's links: said.
	mustContain(t, "re-apply after roll-forward", e.ok(append([]string{"apply", "--dry-run", "-v"}, files...)...),
		"updated kpi sqls", "    links: [sme-sqls, sourced-pipeline, sme-sqls-2027-q1] -> [sme-sqls, sourced-pipeline]",
		"warning: kpi sqls would lose its links to sme-sqls-2027-q1")
	mustContain(t, "reopen after building on it", e.fails(ExitInput, "quarter", "reopen", "2026-Q4"), "sme-sqls-2027-q1, rolled forward by the close, has check-ins")
	e.ok("audit", "--period", "2026-Q4", "--fail-on", "never")
	mustContain(t, "board pack after close", e.ok("report", "--period", "2026-Q4"), "| SME sales-qualified leads | 3,000 -> 5,000 count | scored 0.50 |")

	export := filepath.Join(e.dir, "export.yaml")
	e.ok("export", "--out-file", export)
	fresh := newEnv(t)
	fresh.ok("apply", export)
	out = fresh.ok("apply", export)
	mustContain(t, "re-applied export", out, "No changes")
	mustContain(t, "export of Q1", e.ok("export", "--period", "2027-Q1", "-o", "json"), `"key": "mkt-pipeline-2027-q1"`)

	backup := filepath.Join(e.dir, "backup.db")
	e.ok("backup", backup)
	if _, err := os.Stat(backup); err != nil {
		t.Error(err)
	}
	e.fails(ExitInput, "backup", backup)
}

func TestInvalidPlanChangesNothing(t *testing.T) {
	e := newEnv(t)
	e.ok(append([]string{"apply"}, exampleFiles(t)...)...)
	before := e.ok("export")
	bad := e.write("bad.yaml", `version: 1
period: 2026-Q4
teams: [{key: new-team, name: New}]
kpis:
  - key: sourced-pipeline
    name: Renamed
    links: [{to: mkt-sorced-pipeline}]
`)
	errOut := e.fails(ExitInput, "apply", bad)
	mustContain(t, "apply error", errOut, bad+`:7:18: sourced-pipeline: to "mkt-sorced-pipeline": no key_result, objective, business_objective or kpi has this key; declare it or fix the spelling (did you mean "mkt-sourced-pipeline"?)`,
		"1 problem found; nothing was changed")
	if after := e.ok("export"); after != before {
		t.Error("a failed apply changed the database")
	}
	errOut = e.fails(ExitInput, "validate", bad)
	mustContain(t, "validate error", errOut, bad+":7:18:")
}

func TestUsageErrors(t *testing.T) {
	e := newEnv(t)
	e.ok("init")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"apply"}, "requires at least 1 arg"},
		{[]string{"get", "widgets"}, `unknown kind "widgets"`},
		{[]string{"get", "kpis", "-o", "xml"}, `unknown output format "xml"`},
		{[]string{"tree", "--period", "Q9"}, `"Q9" is not a period`},
		{[]string{"checkin", "x"}, "--value is required"},
		{[]string{"apply", "--bogus", "x"}, "unknown flag: --bogus"},
		{[]string{"get", "kpi", "nope"}, `no kpi with key "nope"`},
		{[]string{"tree", "--team", "nope"}, `no team "nope"`},
		{[]string{"import", "measurements", "/no/such.csv"}, "cannot read measurements"},
		{[]string{"measure", "nope", "--value", "1"}, `no KPI "nope"`},
		{[]string{"checkin", "x", "--value", "1", "--at", "soon"}, `"soon" is neither a date`},
	}
	for _, tt := range tests {
		errOut := e.fails(ExitInput, tt.args...)
		mustContain(t, strings.Join(tt.args, " "), errOut, tt.want)
	}
	t.Setenv("OKRMAP_LOG_LEVEL", "loud")
	mustContain(t, "bad env", e.fails(ExitInput, "get", "kpis"), "log.level")
}

func TestImportIsAllOrNothing(t *testing.T) {
	e := newEnv(t)
	e.ok(append([]string{"apply"}, exampleFiles(t)...)...)
	_, errOut, code := e.run("kpi,at,value\nnrr,2026-11-01,105\nnope,2026-11-01,1\nnrr,later,2\n", "import", "measurements", "-")
	if code != ExitInput {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	mustContain(t, "import errors", errOut, `-:3:1: no KPI "nope"`, `-:4:5: nrr: at "later"`, "2 problems found; nothing was changed")
	if out := e.ok("get", "measurements"); !strings.Contains(out, "(none)") {
		t.Errorf("a failed import recorded measurements:\n%s", out)
	}
}

func TestEmptyTree(t *testing.T) {
	e := newEnv(t)
	e.ok("init")
	mustContain(t, "empty tree", e.ok("tree"), "Apply a plan first")
}

// TestMissingDatabase: a mistyped --db is an error for every command that
// reads, not a new empty database that audits to a perfect score; apply
// --dry-run creates nothing; init and apply create it.
func TestMissingDatabase(t *testing.T) {
	e := newEnv(t)
	plan := exampleFiles(t)
	for _, args := range [][]string{{"audit"}, {"tree"}, {"get", "kpis"}, {"waive", "list"}, {"sync"}, {"quarter", "close", "2026-Q4"}, {"export"}} {
		mustContain(t, args[0], e.fails(ExitInput, args...), "no database at "+e.db+": run okrmap init")
		if _, err := os.Stat(e.db); err == nil {
			t.Fatalf("%s created the database", args[0])
		}
	}
	mustContain(t, "store copy", e.fails(ExitInput, "store", "copy", "--from", e.db, "--to", e.db+".copy"), "--from: no database at")
	mustContain(t, "apply --dry-run", e.ok(append([]string{"apply", "--dry-run"}, plan...)...), "kpi")
	if _, err := os.Stat(e.db); err == nil {
		t.Fatal("apply --dry-run created the database")
	}
	e.ok(append([]string{"apply"}, plan...)...)
	e.ok("audit", "--fail-on", "never")
}

func TestNewerDatabaseIsRefused(t *testing.T) {
	e := newEnv(t)
	e.ok("init")
	out := e.ok("init")
	mustContain(t, "init", out, fmt.Sprintf("database ready: %s (schema version %d)", e.db, sqlite.SchemaVersion()))
	// Pretend a newer okrmap migrated the database.
	e.ok("backup", filepath.Join(e.dir, "x.db"))
	setUserVersion(t, e.db, 99)
	mustContain(t, "newer database", e.fails(ExitInput, "get", "kpis"), "schema version 99", "upgrade okrmap")
}

func TestConfigFile(t *testing.T) {
	e := newEnv(t)
	cfg := e.write("config.yaml", "author: from-file\n")
	e.ok("--config", cfg, "init")
	e.ok("apply", e.write("p.yaml", "version: 1\nperiod: 2026-Q4\nobjectives: [{key: o, title: O, key_results: [{key: k, title: K}]}]\n"))
	t.Setenv("OKRMAP_AUTHOR", "")
	e.ok("--config", cfg, "checkin", "k", "--value", "1")
	mustContain(t, "author from config", e.ok("get", "checkins"), "from-file")
	bad := e.write("bad.yaml", "athor: x\n")
	mustContain(t, "unknown config key", e.fails(ExitInput, "--config", bad, "init"), "athor")
}

func TestDevGen(t *testing.T) {
	e := newEnv(t)
	path := filepath.Join(e.dir, "gen.json")
	e.ok("dev", "gen", "--kpis", "300", "-o", "json", "--out-file", path)
	out := e.ok("apply", path)
	mustContain(t, "apply generated", out, "kpi                        300")
	mustContain(t, "tree of generated", e.ok("tree"), "Every KPI reaches a business objective.")
}

func TestHelpHasExamples(t *testing.T) {
	e := newEnv(t)
	for _, cmd := range [][]string{{"apply"}, {"validate"}, {"get"}, {"tree"}, {"checkin"}, {"measure"},
		{"import", "measurements"}, {"kpi", "recompute"}, {"lint"}, {"rules", "list"}, {"rules", "test"}, {"quarter", "close"}, {"export"}, {"backup"}, {"init"}, {"dev", "gen"}} {
		out := e.ok(append(cmd, "--help")...)
		mustContain(t, strings.Join(cmd, " ")+" --help", out, "Examples:", "okrmap "+strings.Join(cmd, " "))
	}
	mustContain(t, "completion", e.ok("completion", "bash"), "__start_okrmap")
}

// TestDevLoad runs a small load test end to end: every route answers, no
// errors, and every acknowledged write is stored.
func TestDevLoad(t *testing.T) {
	e := newEnv(t)
	out := e.ok("dev", "load", "--kpis", "200", "--clients", "4", "--duration", "1500ms", "--audit-every", "500ms")
	mustContain(t, "dev load", out, "GET kpi", "GET tree", "GET scorecard", "POST measurements", "POST checkins",
		"; 0 errors; 0 \"database is locked\"", "acknowledged writes stored")
}

// TestCascadeExample: the cascade example applies; tree draws each
// function's objective under the CEO key result it serves; measuring a KPI
// moves the key result it measures; quarter close scores the cascade.
func TestCascadeExample(t *testing.T) {
	e := newEnv(t)
	file := "../../../../examples/cascade/gitlab-2018-q1.yaml"
	e.ok("apply", file)
	out := e.ok("tree")
	mustContain(t, "cascade tree", out,
		"│   ├── cro-growth · Grow the pipeline and the enterprise base (sales, 2018-Q1, active)",
		"├── cmo-sao-supply · Give every account executive enough opportunities (marketing, 2018-Q1, active)",
		"Every KPI reaches a business objective.")
	e.ok("measure", "saos-per-sae", "--value", "8", "--at", "2018-02-15")
	mustContain(t, "key result measured by its KPI", e.ok("get", "kr", "cmo-saos-per-sae"), "cmo-saos-per-sae", "8", "50%")
	mustContain(t, "close", e.ok("quarter", "close", "2018-Q1"), "Closed 2018-Q1: 7 objectives", "cmo-saos-per-sae      0.50")
}

// TestMachineReadableAndSuggestions: tree and version speak JSON, --version
// works, and a mistyped command gets a suggestion.
func TestMachineReadableAndSuggestions(t *testing.T) {
	e := newEnv(t)
	e.ok(append([]string{"apply"}, exampleFiles(t)...)...)
	var tr struct {
		Lines []struct {
			Kind, Title string
			Below       int
		}
	}
	if err := json.Unmarshal([]byte(e.ok("tree", "-o", "json", "--depth", "1")), &tr); err != nil || len(tr.Lines) == 0 ||
		tr.Lines[0].Kind != "pnl_line" || tr.Lines[0].Below == 0 {
		t.Errorf("tree -o json --depth 1: %+v %v", tr, err)
	}
	mustContain(t, "tree --depth", e.ok("tree", "--depth", "2"), "more below")
	var v map[string]any
	if err := json.Unmarshal([]byte(e.ok("version", "-o", "json")), &v); err != nil || v["schema_version"] != float64(sqlite.SchemaVersion()) {
		t.Errorf("version -o json: %v %v", v, err)
	}
	mustContain(t, "--version", e.ok("--version"), "okrmap version")
	mustContain(t, "did you mean", e.fails(ExitInput, "tre"), `unknown command "tre"; did you mean tree?`)
	mustContain(t, "subcommand typo", e.fails(ExitInput, "quarter", "clsoe", "2026-Q4"), `unknown command "clsoe"; did you mean close? Run 'okrmap quarter --help'`)
	mustContain(t, "audit typo", e.fails(ExitInput, "audit", "histroy"), `did you mean history?`)
}

// TestCompletion completes keys, teams and periods from the database.
func TestCompletion(t *testing.T) {
	e := newEnv(t)
	e.ok(append([]string{"apply"}, exampleFiles(t)...)...)
	mustContain(t, "checkin", e.ok("__complete", "checkin", "sme"), "sme-sqls\n")
	mustContain(t, "measure", e.ok("__complete", "measure", "sourced"), "sourced-pipeline\n")
	mustContain(t, "team", e.ok("__complete", "audit", "--team", "mark"), "marketing\n")
	mustContain(t, "period", e.ok("__complete", "quarter", "close", ""), "2026-Q4\n")
	mustContain(t, "format", e.ok("__complete", "audit", "--output", ""), "sarif\n")
}

// TestControlCharactersEscaped: a name carrying terminal escapes (here one
// that sets the window title) is shown escaped in text, and JSON output
// still decodes to the name as stored.
func TestControlCharactersEscaped(t *testing.T) {
	e := newEnv(t)
	name := "Pipeline \x1b]0;pwned\x07 \u009b31m"
	plan := "version: 1\nkpis: [{key: k, name: \"Pipeline \\e]0;pwned\\a \\u009b31m\"}]\n"
	e.ok("apply", e.write("p.yaml", plan))
	out := e.ok("get", "kpis")
	if strings.ContainsAny(out, "\x1b\x07\u009b") || !strings.Contains(out, `Pipeline \u001b]0;pwned\u0007 \u009b31m`) {
		t.Errorf("get kpis shows control characters raw: %q", out)
	}
	if out := e.ok("tree"); strings.ContainsAny(out, "\x1b\x07\u009b") {
		t.Errorf("tree shows control characters raw: %q", out)
	}
	var ks []map[string]any
	if err := json.Unmarshal([]byte(e.ok("get", "kpis", "-o", "json")), &ks); err != nil || len(ks) != 1 || ks[0]["name"] != name {
		t.Errorf("get kpis -o json: %v %v", ks, err)
	}
}

// TestStoreCopy copies a database into a new file: the copy prints the
// same tree and history, and copying into it again is refused.
func TestStoreCopy(t *testing.T) {
	e := newEnv(t)
	files, _ := filepath.Glob("../../../../examples/saas-b2b/*.yaml")
	e.ok(append([]string{"apply"}, files...)...)
	e.ok("checkin", "sme-sqls", "--value", "3400")
	e.ok("audit", "--fail-on", "never")
	copyDB := filepath.Join(e.dir, "copy.db")
	out := e.ok("store", "copy", "--from", e.db, "--to", "sqlite:"+copyDB)
	mustContain(t, "store copy", out, "counts and checksums match")
	for _, want := range []string{`(?m)^checkin +1 +[0-9a-f]{12}$`, `(?m)^audit_run +1 `, `(?m)^kpi +32 `} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("store copy's table has no line %s:\n%s", want, out)
		}
	}
	other := &env{t: t, db: copyDB, dir: e.dir}
	if a, b := e.ok("tree"), other.ok("tree"); a != b {
		t.Error("the copy prints another tree")
	}
	if a, b := e.ok("get", "checkins", "sme-sqls"), other.ok("get", "checkins", "sme-sqls"); a != b {
		t.Errorf("the copy's check-ins differ:\n%s\n%s", a, b)
	}
	errOut := e.fails(ExitInput, "store", "copy", "--from", e.db, "--to", copyDB)
	mustContain(t, "a second copy", errOut, "is not empty")
	e.fails(ExitInput, "store", "copy", "--from", e.db)
}
