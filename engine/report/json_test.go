package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/audit"
)

// The streamed report is valid, indented JSON with the same content as
// encoding/json gives for the run and diff, with empty lists as [].
func TestJSONStreamsTheWholeReport(t *testing.T) {
	for name, r := range map[string]*Report{
		"example": exampleReport(t),
		"empty":   {Run: &engine.AuditRun{ID: 1}, Diff: audit.Diff{To: 1}},
		"large":   largeReport(1301), // lists longer than one run of encoding per core
	} {
		var buf bytes.Buffer
		if err := (jsonWriter{}).Write(&buf, r); err != nil {
			t.Fatal(err)
		}
		out := buf.Bytes()
		if !json.Valid(out) || strings.Contains(buf.String(), `\u0000`) {
			t.Fatalf("%s: invalid JSON or a leftover placeholder:\n%s", name, out)
		}
		var indented bytes.Buffer
		if err := json.Indent(&indented, out, "", "  "); err != nil || !bytes.Equal(bytes.TrimSpace(indented.Bytes()), bytes.TrimSpace(out)) {
			t.Errorf("%s: the output is not indented as json.Indent would", name)
		}
		var got, want map[string]any
		json.Unmarshal(out, &got)
		run, d := *r.Run, r.Diff
		for _, l := range []*[]engine.Finding{&run.Findings, &d.New, &d.Resolved, &d.Persisting} {
			if *l == nil {
				*l = []engine.Finding{}
			}
		}
		plain, _ := json.Marshal(map[string]any{"run": run, "diff": d})
		json.Unmarshal(plain, &want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: streamed report differs from the encoded run and diff", name)
		}
	}
}

// Every format writes a run with no scorecard, no graph and no previous
// run (as an old or partial stored run may be) without failing.
func TestFormatsOnABareRun(t *testing.T) {
	run := &engine.AuditRun{ID: 7, Findings: []engine.Finding{{Rule: "bare-rule", Severity: "error", Scope: "kpi", Entity: "kpi-x", Message: "m"}}}
	for _, format := range Formats() {
		w, _ := Get(format)
		var buf bytes.Buffer
		if err := w.Write(&buf, &Report{Run: run, Diff: audit.Compare(nil, run)}); err != nil {
			t.Errorf("%s: %v", format, err)
		}
		if !strings.Contains(buf.String(), "bare-rule") {
			t.Errorf("%s: the finding is missing:\n%s", format, buf.String())
		}
	}
}

// largeReport is a report of a run with n findings, all new.
func largeReport(n int) *Report {
	run := &engine.AuditRun{ID: 2}
	for i := range n {
		key := fmt.Sprintf("kpi-%04d", i)
		run.Findings = append(run.Findings, engine.Finding{Rule: "kpi-stale", Severity: "warning", Scope: "kpi", Entity: key,
			Message: "never measured: " + key, Trace: []string{key, "bo"}, Fingerprint: engine.Fingerprint("kpi-stale", "kpi", key)})
	}
	return &Report{Run: run, Diff: audit.Compare(nil, run)}
}
