package plan

import (
	"bytes"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/gen"
)

// jsonPlans returns the shipped examples, the test plan and a generated
// plan, written as JSON.
func jsonPlans(t testing.TB) map[string][]byte {
	plans := map[string]*engine.Plan{}
	files, _ := filepath.Glob("../../examples/saas-b2b/*.yaml")
	more, _ := filepath.Glob("../../examples/retail/*.yaml")
	files = append(files, more...)
	for _, f := range append(files, "") {
		var set *Set
		var err error
		if f == "" {
			set, err = Parse("valid.yaml", []byte(validPlan))
		} else {
			set, err = Load(f)
		}
		if err != nil {
			t.Fatal(err)
		}
		plans[filepath.Base(f)] = set.Plan
	}
	g, err := gen.Plan(gen.Options{KPIs: 300, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	plans["generated"] = g
	out := map[string][]byte{}
	for name, p := range plans {
		var buf bytes.Buffer
		if err := Write(&buf, p, "json"); err != nil {
			t.Fatal(err)
		}
		out[name] = buf.Bytes()
	}
	return out
}

// The JSON fast path reads every valid plan exactly as the YAML path does.
func TestJSONFastPathMatches(t *testing.T) {
	for name, data := range jsonPlans(t) {
		fast := parseJSON("plan.json", data)
		if fast == nil {
			t.Errorf("%s: the fast path refused a valid plan", name)
			continue
		}
		slow, probs := parseYAML("plan.json", data)
		if len(probs) > 0 {
			t.Fatalf("%s: %v", name, probs)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Errorf("%s: the fast path read the plan differently", name)
		}
	}
}

// What the fast path refuses is reported by the YAML path, with positions.
func TestJSONProblemsKeepPositions(t *testing.T) {
	for text, want := range map[string]string{
		"{\"version\": 1,\n \"version\": 1}\n":                                               `plan.json:2: not valid JSON: mapping key "version" already defined at line 1`,
		"{\"version\": 1,\n \"period\": \"2026-Q4\", \"x\": 1}":                              `plan.json:2:23: unknown field "x"`,
		"{\"version\": 1, \"kpis\": [{\"key\": \"k\", \"name\": \"K\", \"target\": 1e999}]}": `plan.json:1:61: k: target must be number`,
		"{\"version\": 1}\n{\"version\": 1}\n":                                               "one document",
	} {
		_, err := Parse("plan.json", []byte(text))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", text, err, want)
		}
	}
}

// FuzzJSONFastPath checks that whatever the fast path accepts, the YAML
// path accepts too and reads the same.
func FuzzJSONFastPath(f *testing.F) {
	for _, data := range jsonPlans(f) {
		f.Add(data)
	}
	f.Add([]byte(`{"version": 1, "period": "2026-Q4", "teams": [{"key": "a\u00e9\ud83d\ude00", "name": "A\/B \"q\""}]}`))
	f.Add([]byte(`{"version": 1.0, "kpis": [{"key": "k", "name": "K", "target": 1e2, "links": []}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fast := parseJSON("fuzz.json", data)
		if fast == nil {
			return
		}
		slow, probs := parseYAML("fuzz.json", data)
		if len(probs) > 0 {
			t.Fatalf("the fast path accepted what the YAML path refuses: %v", probs)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("the paths read the plan differently:\nfast %+v\nslow %+v", fast, slow)
		}
	})
}
