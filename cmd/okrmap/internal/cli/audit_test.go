package cli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestAuditWorkflow(t *testing.T) {
	e := newEnv(t)
	files := exampleFiles(t)
	e.ok(append([]string{"apply"}, files...)...)
	e.ok("import", "measurements", "../../../../examples/saas-b2b/measurements.csv")

	out, errOut, code := e.run("", "audit", "--today", "2026-11-20")
	if code != ExitFindings {
		t.Fatalf("audit: exit %d\n%s%s", code, out, errOut)
	}
	mustContain(t, "first audit", out, "Audit run 1, scope all", "first run of this scope", "SCORECARD", "overall",
		"kpi-unlinked", "KPI email-open-rate (Newsletter email open rate) is linked to nothing",
		"kpi-opposite-directions", "business-objective-stale", "investment-no-return", "kr-no-baseline")
	mustContain(t, "audit stderr", errOut, "audit run 1 has findings at or above --fail-on error")

	// Nothing changed: --fail-on-new passes.
	out = e.ok("audit", "--today", "2026-11-20", "--fail-on-new")
	mustContain(t, "second audit", out, "since run 1: 0 new, 0 resolved")

	// Fix the orphan: the next run shows it resolved.
	fix := e.write("fix.yaml", `version: 1
kpis:
  - key: email-open-rate
    name: Newsletter email open rate
    unit: percent
    kind: activity
    category: brand
    owner: marketing-ops@northwind.example
    team: marketing
    frequency: weekly
    source: Marketo
    links: [{to: mqls, rationale: Engaged readers become MQLs.}]
`)
	e.ok("apply", fix)
	out = e.ok("audit", "--today", "2026-11-20", "--fail-on", "never", "-o", "json", "--out-file", e.dir+"/run3.json")
	if out != "" {
		t.Errorf("--out-file wrote to stdout: %q", out)
	}
	var rep struct {
		Run struct {
			ID       int
			Findings []struct{ Rule, Entity string }
		}
		Diff struct {
			From     int
			Resolved []struct{ Rule, Entity string }
			New      []struct{ Rule, Entity string }
		}
	}
	b, _ := os.ReadFile(e.dir + "/run3.json")
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Run.ID != 3 || rep.Diff.From != 2 || len(rep.Diff.Resolved) != 1 || rep.Diff.Resolved[0].Entity != "email-open-rate" {
		t.Errorf("run 3 json: run %d from %d resolved %+v", rep.Run.ID, rep.Diff.From, rep.Diff.Resolved)
	}

	// A new finding fails --fail-on-new at its severity.
	e.ok("apply", e.write("new.yaml", "version: 1\nkpis: [{key: fresh-orphan, name: Fresh orphan, kind: outcome}]\n"))
	_, errOut, code = e.run("", "audit", "--today", "2026-11-20", "--fail-on-new")
	if code != ExitFindings {
		t.Errorf("--fail-on-new with a new error: exit %d %s", code, errOut)
	}

	out = e.ok("audit", "history")
	mustContain(t, "history", out, "RUN", "SCOPE", "4 ", "all")
	mustContain(t, "diff", e.ok("audit", "diff", "2", "3"), "Run 2 -> run 3", "RESOLVED (1)", "kpi-unlinked email-open-rate")
	mustContain(t, "diff default", e.ok("audit", "diff"), "Run 3 -> run 4", "NEW", "fresh-orphan")
	// Persisting findings are counted by rule unless --all lists them.
	counted, listed := e.ok("audit", "diff"), e.ok("audit", "diff", "--all")
	mustContain(t, "diff persisting by rule", counted, "PERSISTING (", "(--all lists them)")
	mustContain(t, "diff --all", listed, "PERSISTING (", "investment-no-return partner-programme")
	if strings.Contains(counted, "investment-no-return partner-programme") || len(listed) <= len(counted) {
		t.Errorf("diff without --all lists persisting findings:\n%s", counted)
	}
	mustContain(t, "show", e.ok("audit", "show", "3"), "Audit run 3", "since run 2: 1 new, 1 resolved", "NEW kpi-stale")

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"audit", "-o", "pdf"}, `unknown output format "pdf"; use one of: html, json, junit, markdown, sarif, text`},
		{[]string{"audit", "--team", "nope"}, `no team "nope"; run 'okrmap get teams' for the list`},
		{[]string{"audit", "--period", "Q5"}, "is not a period"},
		{[]string{"audit", "--fail-on", "loud"}, `--fail-on "loud"`},
		{[]string{"audit", "show", "99"}, "no audit run 99"},
		{[]string{"audit", "show", "x"}, `"x" is not a run number`},
		{[]string{"audit", "diff", "1"}, "accepts no runs or two"},
		{[]string{"audit", "diff", "--team", "sales"}, "scope teams=sales has 0 stored run(s); a diff needs two"},
	} {
		mustContain(t, strings.Join(tt.args, " "), e.fails(ExitInput, tt.args...), tt.want)
	}
	mustContain(t, "report markdown", e.ok("report"), "# Alignment report", "Audit run 4", "## Objectives by P&L line", "| Area | Company |")
	mustContain(t, "report html", e.ok("report", "-o", "html"), "<svg id=\"tree\"", "Alignment report")
	for _, f := range []string{"junit", "sarif"} {
		if out := e.ok("audit", "show", "4", "-o", f); len(out) < 100 {
			t.Errorf("audit show -o %s: %q", f, out)
		}
	}
	mustContain(t, "report of an unaudited scope", e.fails(ExitInput, "report", "--team", "finance"), "no stored audit run of scope teams=finance")
	mustContain(t, "team scope", e.ok("audit", "--team", "sales", "--fail-on", "never", "--today", "2026-11-20"), "scope teams=sales")
}

// TestAuditsDuringWrites runs audits while plans are applied and check-ins
// recorded: nothing fails with "database is locked" and every run is stored.
func TestAuditsDuringWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	e := newEnv(t)
	files := exampleFiles(t)
	e.ok(append([]string{"apply"}, files...)...)
	var wg sync.WaitGroup
	errs := make(chan string, 100)
	run := func(args ...string) {
		defer wg.Done()
		for range 5 {
			out, errOut, code := e.run("", args...)
			if code != ExitOK && !(args[0] == "audit" && code == ExitFindings) {
				errs <- strings.Join(args, " ") + ": " + out + errOut
				return
			}
		}
	}
	wg.Add(4)
	go run("audit", "--today", "2026-11-20")
	go run("audit", "--today", "2026-11-20", "--team", "marketing")
	go run(append([]string{"apply"}, files...)...)
	go run("checkin", "sme-sqls", "--value", "3500")
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var runs []map[string]any
	if err := json.Unmarshal([]byte(e.ok("audit", "history", "--all", "-o", "json")), &runs); err != nil || len(runs) != 10 {
		t.Errorf("stored %d runs, want 10 (%v)", len(runs), err)
	}
	if out := e.ok("get", "checkins", "sme-sqls"); strings.Count(out, "3,500") != 5 {
		t.Errorf("check-ins lost:\n%s", out)
	}
}

func TestWaivers(t *testing.T) {
	e := newEnv(t)
	e.ok(append([]string{"apply"}, exampleFiles(t)...)...)
	out := e.ok("waive", "kpi-unlinked", "email-open-rate", "--reason", "Retired at quarter end", "--until", "2026-12-31")
	mustContain(t, "waive", out, "waiver 1: kpi-unlinked for email-open-rate until 2026-12-31")
	out, _, _ = e.run("", "audit", "--today", "2026-11-20")
	mustContain(t, "waived audit", out, "WAIVED (1)", "kpi-unlinked  email-open-rate  until 2026-12-31: Retired at quarter end", "1 waived")
	out, _, _ = e.run("", "audit", "--today", "2027-01-05")
	mustContain(t, "expired waiver", out, "KPI email-open-rate (Newsletter email open rate) is linked to nothing (waiver expired 2026-12-31)", "0 waived")
	mustContain(t, "bad waive", e.fails(ExitInput, "waive", "kpi-unlinked", "x", "--until", "2027-01-01"), "reason is missing")
	mustContain(t, "bad until", e.fails(ExitInput, "waive", "kpi-unlinked", "x", "--reason", "r", "--until", "soon"), "--until")

	// The same rule and entity replace the waiver; list shows what is stored.
	e.ok("waive", "kpi-unlinked", "email-open-rate", "--reason", "Retired in January", "--until", "2027-01-31")
	mustContain(t, "past expiry", e.fails(ExitInput, "waive", "kpi-stale", "legacy-*", "--reason", "Feed migrates", "--until", "2026-01-01"), "until 2026-01-01 is in the past")
	mustContain(t, "unknown rule", e.fails(ExitInput, "waive", "kpi-stael", "legacy-*", "--reason", "r", "--until", "2027-01-31"), `no rule "kpi-stael"`, "okrmap rules list")
	mustContain(t, "no match", e.ok("waive", "kpi-stale", "legacy-*", "--reason", "Feed migrates", "--until", "2027-01-31"), "note: legacy-* matches no entity now")
	e.ok("init")
	var ws []map[string]any
	if err := json.Unmarshal([]byte(e.ok("waive", "list", "-o", "json")), &ws); err != nil || len(ws) != 2 {
		t.Fatalf("waive list: %v %v", ws, err)
	}
	if ws[0]["reason"] != "Retired in January" || ws[1]["entity"] != "legacy-*" {
		t.Errorf("waive list: %v", ws)
	}
	mustContain(t, "remove", e.ok("waive", "remove", "2"), "removed waiver 2: kpi-stale for legacy-*")
	mustContain(t, "remove again", e.fails(ExitInput, "waive", "remove", "2"), "no waiver 2; run 'okrmap waive list' for the list")
	mustContain(t, "list after remove", e.ok("waive", "list"), "email-open-rate")
}

// TestWaiverFileImported: a waiver file from before waivers were stored in
// the database is imported once, whole, and not again after a removal.
func TestWaiverFileImported(t *testing.T) {
	e := newEnv(t)
	e.write("waivers.yaml", `waivers:
  - {rule: kpi-unlinked, entity: email-open-rate, reason: Retired, until: 2026-12-31, owner: cmo@example.com}
  - {rule: kpi-stale, entity: "legacy-*", reason: Feed migrates, until: 2027-01-31}
`)
	e.ok("init")
	var ws []map[string]any
	if err := json.Unmarshal([]byte(e.ok("waive", "list", "-o", "json")), &ws); err != nil || len(ws) != 2 {
		t.Fatalf("imported waivers: %v %v", ws, err)
	}
	if ws[0]["owner"] != "cmo@example.com" || ws[1]["entity"] != "legacy-*" {
		t.Errorf("imported waivers: %v", ws)
	}
	e.ok("waive", "remove", "1")
	if err := json.Unmarshal([]byte(e.ok("waive", "list", "-o", "json")), &ws); err != nil || len(ws) != 1 {
		t.Errorf("after a removal the file was imported again: %v %v", ws, err)
	}
}

func TestAuditNotify(t *testing.T) {
	e := newEnv(t)
	e.ok(append([]string{"apply"}, exampleFiles(t)...)...)
	var mu sync.Mutex
	var got []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		json.NewDecoder(r.Body).Decode(&m)
		mu.Lock()
		got = append(got, m)
		mu.Unlock()
	}))
	defer srv.Close()
	e.ok("audit", "--fail-on", "never", "--notify", srv.URL)
	e.ok("audit", "--fail-on", "never", "--notify", srv.URL) // nothing changed: no post
	e.ok("apply", e.write("orphan.yaml", "version: 1\nkpis: [{key: new-orphan, name: New orphan}]\n"))
	e.ok("audit", "--fail-on", "never", "--notify", srv.URL)
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || got[0]["run"] != 1.0 || got[1]["run"] != 3.0 || !strings.Contains(got[1]["text"].(string), "since run 2:") {
		t.Fatalf("notifications %v", got)
	}

	srv.Close()
	e.ok("apply", e.write("orphan2.yaml", "version: 1\nkpis: [{key: another-orphan, name: Another orphan}]\n"))
	_, errOut, code := e.run("", "audit", "--fail-on", "never", "--notify", srv.URL) // one try

	if code != ExitOK || !strings.Contains(errOut, "warning: notify") || !strings.Contains(errOut, "audit run 4 is stored") {
		t.Errorf("an unreachable webhook: exit %d, %s", code, errOut)
	}
}

// TestAuditNotifyTriesOnce: a failing webhook is tried once by a command
// line audit, which does not wait on it; the summary is kept and sent
// first by the next run once the webhook answers.
func TestAuditNotifyTriesOnce(t *testing.T) {
	e := newEnv(t)
	e.ok(append([]string{"apply"}, exampleFiles(t)...)...)
	var mu sync.Mutex
	var runs []float64
	failing := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		json.NewDecoder(r.Body).Decode(&m)
		mu.Lock()
		defer mu.Unlock()
		runs = append(runs, m["run"].(float64))
		if failing {
			http.Error(w, "busy", http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	_, errOut, code := e.run("", "audit", "--fail-on", "never", "--notify", srv.URL)
	if code != ExitOK || !strings.Contains(errOut, "kept to retry on the next run") {
		t.Errorf("a failing webhook: exit %d, %s", code, errOut)
	}
	mu.Lock()
	if len(runs) != 1 {
		t.Errorf("the webhook was tried %d times, want once", len(runs))
	}
	failing = false
	mu.Unlock()
	e.ok("apply", e.write("orphan.yaml", "version: 1\nkpis: [{key: new-orphan, name: New orphan}]\n"))
	e.ok("audit", "--fail-on", "never", "--notify", srv.URL)
	mu.Lock()
	defer mu.Unlock()
	if len(runs) != 3 || runs[1] != 1 || runs[2] != 2 {
		t.Errorf("runs posted %v, want 1 (failed), then 1 (kept) and 2", runs)
	}
}

// TestInternalFailureExitCode: a database whose pages are damaged (header
// intact) makes the audit fail inside SQLite: exit code 3, not 2.
func TestInternalFailureExitCode(t *testing.T) {
	e := newEnv(t)
	e.ok(append([]string{"apply"}, exampleFiles(t)...)...)
	e.ok("backup", e.dir+"/clean.db") // a self-contained copy, with no WAL beside it, to damage
	f, err := os.OpenFile(e.dir+"/clean.db", os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := f.Stat()
	junk := make([]byte, st.Size()-4096)
	for i := range junk {
		junk[i] = 0xA5
	}
	f.WriteAt(junk, 4096) // everything after the first page
	f.Close()
	out, errOut, code := e.run("", "--db", e.dir+"/clean.db", "audit")
	if code != ExitInternal {
		t.Errorf("audit of a damaged database: exit %d, want 3\n%s%s", code, out, errOut)
	}
}

// TestAuditNoStoreAndPrune: --no-store leaves no run; prune keeps the
// newest runs of every scope.
func TestAuditNoStoreAndPrune(t *testing.T) {
	e := newEnv(t)
	e.ok(append([]string{"apply"}, exampleFiles(t)...)...)
	out, _, code := e.run("", "audit", "--no-store")
	if code != ExitFindings || !strings.Contains(out, "Audit (not stored), scope all") {
		t.Errorf("audit --no-store: exit %d\n%s", code, out)
	}
	if out := e.ok("audit", "history", "--all"); strings.Contains(out, "all ") {
		t.Errorf("--no-store stored a run:\n%s", out)
	}
	for range 3 {
		e.run("", "audit", "--today", "2026-11-20")
		e.run("", "audit", "--today", "2026-11-20", "--team", "sales")
	}
	mustContain(t, "prune dry run", e.ok("audit", "prune", "--keep", "1", "--older-than", "0d", "--dry-run"), "would delete 4 audit runs")
	mustContain(t, "prune", e.ok("audit", "prune", "--keep", "1", "--older-than", "0d"), "deleted 4 audit runs")
	var runs []map[string]any
	if err := json.Unmarshal([]byte(e.ok("audit", "history", "--all", "-o", "json")), &runs); err != nil || len(runs) != 2 {
		t.Errorf("after prune: %v %v", runs, err)
	}
	mustContain(t, "keep 0", e.fails(ExitInput, "audit", "prune", "--keep", "0"), "keep at least")
}

// TestDeprecatedOutputSpellings: the spellings of the last release still
// work for one release, with a warning on stderr that names the new one.
func TestDeprecatedOutputSpellings(t *testing.T) {
	e := newEnv(t)
	e.ok(append([]string{"apply"}, exampleFiles(t)...)...)
	path := filepath.Join(e.dir, "report.html")
	out, errOut, code := e.run("", "audit", "--fail-on", "never", "--format", "html", "--output", path)
	if code != ExitOK || out != "" {
		t.Fatalf("old spellings: exit %d, stdout %q", code, out)
	}
	mustContain(t, "warnings", errOut, "--format is deprecated; use -o html", "--output PATH is deprecated; use --out-file "+path)
	if b, err := os.ReadFile(path); err != nil || !strings.Contains(string(b), "<svg") {
		t.Errorf("the report was not written to the old --output path: %v", err)
	}
	export := filepath.Join(e.dir, "plan.json")
	_, errOut, _ = e.run("", "export", "-o", "json", "-f", export)
	mustContain(t, "export -f", errOut, "-f/--file is deprecated; use --out-file "+export)
	if _, err := os.Stat(export); err != nil {
		t.Error(err)
	}
}

// TestDiffJSONHasLists: audit diff -o json gives empty lists, not null, as
// the audit schema's diff says.
func TestDiffJSONHasLists(t *testing.T) {
	e := newEnv(t)
	e.ok(append([]string{"apply"}, exampleFiles(t)...)...)
	e.run("", "audit", "--today", "2026-11-20")
	e.run("", "audit", "--today", "2026-11-20")
	var d map[string]any
	if err := json.Unmarshal([]byte(e.ok("audit", "diff", "-o", "json")), &d); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"new", "resolved", "persisting"} {
		if _, ok := d[k].([]any); !ok {
			t.Errorf("diff %s is %v, want a list", k, d[k])
		}
	}
}
