package report

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/audit"
	"github.com/okrmap/okrmap/engine/plan"
	"github.com/okrmap/okrmap/engine/resolve"
	"github.com/okrmap/okrmap/engine/rules"
	"github.com/okrmap/okrmap/schemas"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// exampleReport audits the SaaS example twice, the second time with the
// orphan KPI linked, as of a fixed day.
func exampleReport(t *testing.T) *Report {
	t.Helper()
	files, _ := filepath.Glob("../../examples/saas-b2b/*.yaml")
	set, err := plan.Load(files...)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := rules.LoadBuiltin()
	rs, err := rules.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)
	waivers := []engine.Waiver{
		{Rule: "kr-no-baseline", Entity: "case-*", Reason: "New programme; baseline after the first month", Owner: "brand@northwind.example", Until: engine.NewDate(2026, 12, 31)},
		{Rule: "link-no-rationale", Entity: "social-followers->grow-arr", Reason: "Under review", Until: engine.NewDate(2026, 11, 1)},
	}
	in := audit.Input{Resolve: resolve.Input{Plan: set.Plan, Today: engine.DateOf(now)}, Rules: rs, Waivers: waivers, Clock: func() time.Time { return now }}
	first, _, err := audit.Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	first.ID = 1
	for i := range set.Plan.KPIs {
		if k := &set.Plan.KPIs[i]; k.Key == "email-open-rate" {
			k.Links = []engine.Link{{To: "mqls", Rationale: "Engaged readers become MQLs."}}
		}
	}
	second, g, err := audit.Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	second.ID = 2
	return &Report{Run: second, Diff: audit.Compare(first, second), Graph: g}
}

func TestGolden(t *testing.T) {
	r := exampleReport(t)
	for _, format := range Formats() {
		t.Run(format, func(t *testing.T) {
			w, err := Get(format)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := w.Write(&buf, r); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "example."+format)
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got := buf.String(); got != string(want) {
				gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
				for i := range min(len(gl), len(wl)) {
					if gl[i] != wl[i] {
						t.Fatalf("%s report differs from %s at line %d:\n got: %s\nwant: %s\n(run go test ./engine/report -update and review the diff)", format, golden, i+1, gl[i], wl[i])
					}
				}
				t.Fatalf("%s report differs from %s in length (%d lines, want %d)", format, golden, len(gl), len(wl))
			}
		})
	}
	colored := exampleReport(t)
	colored.Color = true
	var buf bytes.Buffer
	textWriter{}.Write(&buf, colored)
	if !strings.Contains(buf.String(), "\x1b[1;31mERROR\x1b[0m (4)") || !strings.Contains(buf.String(), "\x1b[1;35mNEW\x1b[0m") {
		t.Error("colour on a terminal is missing")
	}
	if _, err := Get("pdf"); engine.ErrorCode(err) != engine.EINVALID {
		t.Errorf("unknown format: %v", err)
	}
}

// TestJSONMatchesSchema validates the JSON report against
// schemas/audit.schema.json.
func TestJSONMatchesSchema(t *testing.T) {
	raw, _ := schemas.FS.ReadFile("audit.schema.json")
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	c.AddResource(schemas.AuditURL, doc)
	sch, err := c.Compile(schemas.AuditURL)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := (jsonWriter{}).Write(&buf, exampleReport(t)); err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(v); err != nil {
		t.Error(err)
	}
}

// TestMarkdownNeutralisesUserText: names cannot carry HTML, links or images
// into a board pack: what would start one is backslash-escaped.
func TestMarkdownNeutralisesUserText(t *testing.T) {
	for in, bad := range map[string]string{
		`<script>alert(1)</script>`:           `(^|[^\\])<`,
		`[click](javascript:alert(1))`:        `(^|[^\\])\[`,
		`![t](https://tracker.example/p.gif)`: `(^|[^\\])!`,
		"a | b\nc":                            `(^|[^\\])\||\n`,
	} {
		if out := md(in); regexp.MustCompile(bad).MatchString(out) {
			t.Errorf("md(%q) = %q: unescaped %s", in, out, bad)
		}
	}
	if got := md("Grow ARR_2026 *now*"); got != `Grow ARR\_2026 \*now\*` {
		t.Errorf("md = %q", got)
	}
}

// TestBoardPackCascade: an objective under a key result says so, under
// its parent, and a key result without a target reads n/a, not "- -> -",
// 0% and 100%.
func TestBoardPackCascade(t *testing.T) {
	set, err := plan.Read(plan.Document{Name: "p.yaml", Data: []byte(`version: 1
period: 2026-Q4
business_objectives: [{key: bo, title: Grow, pnl_line: revenue}]
objectives:
  - {key: fn, title: Function objective, team: sales, parent: ceo-kr, key_results: [{key: fn-kr, title: Unnumbered}]}
  - {key: ceo, title: CEO objective, team: exec, parent: bo, key_results: [{key: ceo-kr, title: Double revenue, baseline: 1, target: 2, unit: USD}]}
teams: [{key: sales, name: Sales}, {key: exec, name: Exec}]
`)})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)
	p, _ := rules.LoadBuiltin()
	rs, _ := rules.Compile(p)
	run, g, err := audit.Run(context.Background(), audit.Input{Resolve: resolve.Input{Plan: set.Plan, Today: engine.DateOf(now)}, Rules: rs, Clock: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	w, _ := Get("markdown")
	var buf bytes.Buffer
	if err := w.Write(&buf, &Report{Run: run, Graph: g}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	ceo, fn := strings.Index(out, "| CEO objective |"), strings.Index(out, "| ↳ Function objective *(under KR ceo-kr)* |")
	if ceo < 0 || fn < ceo {
		t.Errorf("the cascade is not shown under its key result:\n%s", out)
	}
	if !strings.Contains(out, "| Unnumbered | n/a | n/a | n/a |") {
		t.Errorf("a key result without numbers:\n%s", out)
	}
}
