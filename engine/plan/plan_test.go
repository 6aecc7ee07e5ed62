package plan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/schemas"
)

const validPlan = `version: 1
period: 2026-Q4
teams: [{key: marketing, name: Marketing, function: marketing}]
business_objectives:
  - {key: grow-arr, title: Grow ARR, category: revenue_growth, pnl_line: revenue, period: FY2026, reviewed_at: 2026-10-01}
objectives:
  - key: win-sme
    title: Win the SME segment
    team: marketing
    parent: grow-arr
    key_results:
      - {key: sme-sqls, title: SME qualified leads, unit: count, baseline: 3000, target: 5000, direction: increase, due: 2026-12-31}
kpis:
  - key: pipeline
    name: Pipeline
    links: [{to: sme-sqls, weight: 0.6, assumptions: [close-rate]}]
assumptions: [{key: close-rate, statement: Close rate holds, status: holding}]
investments:
  - {key: ads, name: Ads, amount: 100, objective: win-sme, expected_return: {kpi: pipeline, value: 1000}}
`

// problems loads and validates one file and returns its problems as
// "line:col key: message" strings.
func problems(t *testing.T, name, text string) []string {
	t.Helper()
	set, err := Parse(name, []byte(text))
	if err == nil {
		err = set.Validate()
	}
	var ps engine.Problems
	if err != nil && !errors.As(err, &ps) {
		t.Fatalf("want engine.Problems, got %T: %v", err, err)
	}
	var out []string
	for _, p := range ps {
		if p.File != name {
			t.Errorf("problem names file %q, want %q", p.File, name)
		}
		out = append(out, strings.TrimSpace(strings.TrimPrefix(p.String(), name+":")))
	}
	return out
}

func TestValidPlan(t *testing.T) {
	set, err := Parse("plan.yaml", []byte(validPlan))
	if err != nil {
		t.Fatal(err)
	}
	if err := set.Validate(); err != nil {
		t.Fatal(err)
	}
	p := set.Plan
	if p.Objectives[0].Period != "2026-Q4" {
		t.Errorf("objective period %q, want the file's 2026-Q4", p.Objectives[0].Period)
	}
	kr := p.Objectives[0].KeyResults[0]
	if kr.Objective != "win-sme" || kr.Due.String() != "2026-12-31" || *kr.Baseline != 3000 {
		t.Errorf("key result decoded as %+v", kr)
	}
	if got := p.KPIs[0].Links[0].Src; got.File != "plan.yaml" || got.Path != "/kpis/0/links/0" {
		t.Errorf("link source %+v", got)
	}
}

// TestProblems checks each problem class with its exact position. Each case
// replaces one line of validPlan.
func TestProblems(t *testing.T) {
	tests := []struct {
		name     string
		old, new string
		want     []string
	}{
		{"unknown reference with suggestion", "    parent: grow-arr", "    parent: grow-ar",
			[]string{`10:13: win-sme: parent "grow-ar": no objective, business_objective or key_result has this key; declare it or fix the spelling (did you mean "grow-arr"?)`}},
		{"reference to the wrong kind", "    team: marketing", "    team: grow-arr",
			[]string{`9:11: win-sme: team "grow-arr" is a business_objective, but must name a team`}},
		{"duplicate key across kinds", "  - key: pipeline", "  - key: marketing",
			[]string{`14:10: marketing: duplicate key "marketing": it is already used by a team; keys are unique across all kinds, so rename one`,
				`19:83: ads: kpi "pipeline": no kpi has this key; declare it or fix the spelling`}},
		{"key result due outside the period", "due: 2026-12-31}", "due: 2027-01-15}",
			[]string{`12:122: sme-sqls: due 2027-01-15 is outside the objective's period 2026-Q4 (2026-10-01 to 2026-12-31); move the date or the key result`}},
		{"bad enum value", "direction: increase", "direction: up",
			[]string{`12:107: sme-sqls: direction: value must be one of 'increase', 'decrease', 'maintain'`}},
		{"unknown field", "    name: Pipeline", "    nmae: Pipeline",
			[]string{`14:5: pipeline: missing required field "name"`, `15:5: pipeline: unknown field "nmae"; check its spelling against schemas/plan.schema.json`}},
		{"bad period", "period: 2026-Q4", "period: 2026-Q5",
			[]string{`2:9: period "2026-Q5" is not a period; write a quarter (2026-Q4), a half (2026-H1), a month (2026-11), a year (2026) or a fiscal year, quarter or half (FY2026, FY2026-Q4)`}},
		{"bad date", "reviewed_at: 2026-10-01}", "reviewed_at: 2026-13-01}",
			[]string{`5:112: grow-arr: reviewed_at 2026-13-01 is not a date; write it as YYYY-MM-DD`}},
		{"bad key", "  - key: win-sme", "  - key: Win SME",
			[]string{`7:10: Win SME: key "Win SME" is not a valid key: use lower-case letters, digits, '-' and '_', starting with a letter or digit`}},
		{"wrong type", "weight: 0.6", "weight: lots",
			[]string{`16:36: pipeline: weight must be number, not string`}},
		{"number above maximum", "weight: 0.6", "weight: 1.5",
			[]string{`16:36: pipeline: weight 1.5 is above the maximum 1`}},
		{"unknown assumption", "assumptions: [close-rate]", "assumptions: [close-rat]",
			[]string{`16:55: pipeline: assumptions "close-rat": no assumption has this key; declare it or fix the spelling (did you mean "close-rate"?)`}},
		{"self link", "    links: [{to: sme-sqls", "    links: [{to: pipeline",
			[]string{`16:18: pipeline: KPI links to itself; a driver link must name another KPI`}},
		{"version", "version: 1", "version: 2", []string{`1:10: version must be 1, the only plan format version`}},
		{"parent is self", "    parent: grow-arr", "    parent: win-sme",
			[]string{`10:13: win-sme: objective "win-sme" is its own parent; name a business objective or another objective`}},
		{"investment objective is a KPI", "objective: win-sme, expected", "objective: pipeline, expected",
			[]string{`19:51: ads: objective "pipeline" is a kpi, but must name an objective or business_objective`}},
		{"negative amount", "amount: 100,", "amount: -5,",
			[]string{`19:35: ads: amount -5 is below the minimum 0`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(validPlan, tt.old) {
				t.Fatalf("validPlan has no %q", tt.old)
			}
			got := problems(t, "plan.yaml", strings.Replace(validPlan, tt.old, tt.new, 1))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("problems:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

func TestCycles(t *testing.T) {
	text := `version: 1
period: 2026-Q4
objectives:
  - {key: a, title: A, parent: c}
  - {key: b, title: B, parent: a}
  - {key: c, title: C, parent: b}
kpis:
  - {key: k1, name: K1, links: [{to: k2}]}
  - {key: k2, name: K2, links: [{to: k1}]}
`
	got := problems(t, "cycle.yaml", text)
	want := []string{
		`4:32: a: objective parents form a cycle: a -> c -> b -> a; break it by giving one of them a business objective as parent`,
		`8:32: k1: KPI driver links form a cycle: k1 -> k2 -> k1; a KPI cannot drive itself, remove one link`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestSyntaxErrors(t *testing.T) {
	tests := []struct{ name, text, want string }{
		{"plan.yaml", "version: 1\nteams: [\n", "2: not valid YAML: did not find expected node content"},
		{"plan.json", "{\"version\": 1,\n \"teams\": [}\n", "1: not valid JSON: did not find expected node content"},
		{"empty.yaml", "", "the file is empty; a plan starts with 'version: 1'"},
		{"list.yaml", "- a\n- b\n", "1:1: a plan file is a mapping that starts with 'version: 1'"},
		{"two.yaml", "version: 1\n---\nversion: 1\n", "2: a plan file holds one document; split the documents after '---' into separate files"},
		{"dupkey.yaml", "version: 1\nversion: 1\n", "2: not valid YAML: mapping key \"version\" already defined at line 1"},
		{"inf.yaml", "version: 1\ninvestments: [{key: a, name: A, amount: .inf}]\n", "2:41: \".inf\" is not a finite number"},
	}
	for _, tt := range tests {
		got := problems(t, tt.name, tt.text)
		if len(got) != 1 || !strings.HasPrefix(got[0], tt.want) {
			t.Errorf("%s: problems %q, want one starting %q", tt.name, got, tt.want)
		}
	}
}

func TestAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: 1\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 12; i++ {
		b.WriteString("a" + string(rune('a'+i)) + ": &a" + string(rune('a'+i)) + " [")
		prev := "a0"
		if i > 1 {
			prev = "a" + string(rune('a'+i-1))
		}
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*" + prev)
		}
		b.WriteString("]\n")
	}
	got := problems(t, "bomb.yaml", b.String())
	if len(got) != 1 || !strings.Contains(got[0], "aliases expand the document too far") {
		t.Errorf("alias bomb: %q", got)
	}
}

func TestJSONPositions(t *testing.T) {
	text := `{
  "version": 1,
  "period": "2026-Q4",
  "objectives": [
    {"key": "o1", "title": "One", "parent": "nope"}
  ]
}`
	got := problems(t, "plan.json", text)
	want := []string{`5:45: o1: parent "nope": no objective, business_objective or key_result has this key; declare it or fix the spelling`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestLoadSeveralFiles(t *testing.T) {
	dir := t.TempDir()
	company := filepath.Join(dir, "company.yaml")
	team := filepath.Join(dir, "team.yaml")
	os.WriteFile(company, []byte("version: 1\nbusiness_objectives: [{key: grow, title: Grow, pnl_line: revenue}]\n"), 0o644)
	os.WriteFile(team, []byte("version: 1\nperiod: 2026-Q4\nobjectives:\n  - {key: o1, title: One, parent: grow}\n  - {key: o2, title: Two, parent: grwo}\n"), 0o644)
	set, err := Load(company, team)
	if err != nil {
		t.Fatal(err)
	}
	err = set.Validate()
	var ps engine.Problems
	if !errors.As(err, &ps) || len(ps) != 1 {
		t.Fatalf("want one problem, got %v", err)
	}
	if ps[0].File != team || ps[0].Line != 5 || ps[0].Key != "o2" {
		t.Errorf("problem %+v, want %s line 5 key o2", ps[0], team)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); engine.ErrorCode(err) != engine.EINVALID {
		t.Errorf("missing file: %v (code %q), want EINVALID", err, engine.ErrorCode(err))
	}
}

// TestExamples keeps every shipped plan valid against the schema and the
// semantic checks.
func TestExamples(t *testing.T) {
	saas, _ := filepath.Glob("../../examples/saas-b2b/*.yaml")
	files := append(saas, "../../examples/retail/plan.yaml")
	if len(files) < 2 {
		t.Fatalf("example plans: %v", files)
	}
	set, err := Load(files...)
	if err != nil {
		t.Fatal(err)
	}
	if err := set.Validate(); err != nil {
		t.Fatal(err)
	}
	if n := len(set.Plan.KPIs); n < 30 {
		t.Errorf("examples hold %d KPIs; the SaaS plan alone should have 20-40", n)
	}
	cascade, err := Load("../../examples/cascade/gitlab-2018-q1.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := cascade.Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestSchemaEnumsMatchEngine keeps the schema's enumerations and the
// engine's lists the same.
func TestSchemaEnumsMatchEngine(t *testing.T) {
	b, err := schemas.FS.ReadFile("plan.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Defs map[string]struct {
			Properties map[string]struct {
				Enum     []string `json:"enum"`
				Examples []string `json:"examples"` // open lists: the built-in values
			} `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		def, prop string
		want      []string
	}{
		{"team", "function", engine.Functions},
		{"team", "cadence", engine.Frequencies},
		{"business_objective", "category", engine.BusinessCategories},
		{"objective", "status", engine.ObjectiveStatuses},
		{"key_result", "direction", engine.Directions},
		{"key_result", "commitment", engine.Commitments},
		{"kpi", "kind", engine.KPIKinds},
		{"kpi", "category", engine.KPICategories},
		{"kpi", "frequency", engine.Frequencies},
		{"kpi", "attribution", engine.AttributionModels},
		{"kpi", "direction", engine.Directions},
		{"assumption", "status", engine.AssumptionStatuses},
	}
	for _, c := range checks {
		got := doc.Defs[c.def].Properties[c.prop].Enum
		if got == nil {
			got = doc.Defs[c.def].Properties[c.prop].Examples
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("schema %s.%s enum %v, engine has %v", c.def, c.prop, got, c.want)
		}
	}
}

func TestWriteRoundTrip(t *testing.T) {
	set, err := Parse("plan.yaml", []byte(validPlan))
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"yaml", "json"} {
		var buf bytes.Buffer
		if err := Write(&buf, set.Plan, format); err != nil {
			t.Fatal(err)
		}
		again, err := Parse("again."+format, buf.Bytes())
		if err != nil {
			t.Fatalf("%s: re-reading written plan: %v\n%s", format, err, buf.String())
		}
		_, cs, _ := engine.Merge(set.Plan, again.Plan)
		if cs.Changed() {
			t.Errorf("%s: written plan differs from the original: %v", format, cs)
		}
	}
}

// TestLocateReadsLoadedFileAgain: a set Load read keeps no file content; a
// problem inside an entity is placed by reading the file again, and only
// at its entity once the file has changed.
func TestLocateReadsLoadedFileAgain(t *testing.T) {
	for _, ext := range []string{".yaml", ".json"} {
		set, err := Parse("p"+ext, []byte(validPlan))
		if err != nil {
			t.Fatal(err)
		}
		var text strings.Builder
		if err := Write(&text, set.Plan, ext[1:]); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "plan"+ext)
		if err := os.WriteFile(path, []byte(text.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		if set, err = Load(path); err != nil {
			t.Fatal(err)
		}
		if len(set.data) != 0 {
			t.Fatalf("%s: Load kept %d files' content", ext, len(set.data))
		}
		ps := engine.Problems{{File: path, Path: "/kpis/0"}, {File: path, Path: "/kpis/0/links/0/weight"}}
		first := set.Locate(slices.Clone(ps))
		if first[0].Line == 0 || first[1].Line <= first[0].Line {
			t.Fatalf("%s: placed %d and %d, want the weight below its KPI", ext, first[0].Line, first[1].Line)
		}
		if err := os.WriteFile(path, []byte("\n\n"+text.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		again := set.Locate(slices.Clone(ps))
		if again[0].Line != first[0].Line || again[1].Line != 0 {
			t.Errorf("%s: after a change placed %d and %d, want %d and nothing", ext, again[0].Line, again[1].Line, first[0].Line)
		}
	}
}

// TestOnePass: validate reports the schema's problems and those of
// references, periods and vocabularies together, in file order, each once.
func TestOnePass(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plan.yaml")
	err := os.WriteFile(path, []byte(`version: 1
period: 2026-Q4
teams:
  - {key: mkt, name: Marketing, cadance: weekly}
objectives:
  - key: o1
    title: O
    team: mkt
    parent: nope
    key_results:
      - {key: kr1, title: K, direction: up, due: 2027-03-01}
kpis:
  - {key: k, name: K, links: [{to: o2}]}
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	_, err = LoadChecked(path)
	var probs engine.Problems
	if !errors.As(err, &probs) {
		t.Fatalf("LoadChecked: %v", err)
	}
	var got []string
	for _, p := range probs {
		got = append(got, fmt.Sprintf("%d:%d %s", p.Line, p.Column, p.Msg))
	}
	want := []string{
		`4:33 unknown field "cadance"`,
		`9:13 parent "nope": no objective`,
		`11:41 direction: value must be one of`,
		`11:50 due 2027-03-01 is outside the objective's period`,
		`13:36 to "o2": no key_result`,
	}
	if len(got) != len(want) {
		t.Fatalf("problems:\n%s", strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("problem %d: %s, want %s...", i, got[i], want[i])
		}
	}
}
