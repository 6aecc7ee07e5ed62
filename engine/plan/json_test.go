package plan

import (
	"bytes"
	"encoding/json"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
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
	for i := range g.Objectives { // columns count runes, not bytes
		g.Objectives[i].Title = "Grüße – € " + g.Objectives[i].Title
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
		fast, _ := parseJSON("plan.json", data)
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
		fast, _ := parseJSON("fuzz.json", data)
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

// TestJSONFastPathMutations changes every field of the shipped plans, one
// at a time, to edge values (and deletes it): whatever the fast path
// accepts, the schema path accepts and reads the same, and what the schema
// path refuses the fast path refuses too.
func TestJSONFastPathMutations(t *testing.T) {
	if _, err := planShape(); err != nil {
		t.Fatalf("the plan schema has no shape; the fast path would refuse every plan: %v", err)
	}
	edges := []any{nil, "", "x", "X y", "a-1", "2026-Q4", "2026-02-30", "2026-03-01", "USD",
		strings.Repeat("k", 129), "outcome", "increase", "marketing", 0.0, -1.0, 0.5, 1.0, 1.5, 3.0,
		true, []any{}, []any{"a", "a"}, []any{"a", "b"}, map[string]any{}}
	var mutants, fastOK, agreeBad int
	mutateExamples(t, edges, func(doc any) {
		data, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		mutants++
		fast, _ := parseJSON("m.json", data)
		slow, probs := parseYAML("m.json", data)
		switch {
		case fast != nil && len(probs) > 0:
			t.Fatalf("the fast path accepted what the schema refuses (%v):\n%s", probs, data)
		case fast != nil && !reflect.DeepEqual(fast, slow):
			t.Fatalf("the paths read the plan differently:\n%s", data)
		case fast != nil:
			fastOK++
		case len(probs) > 0:
			agreeBad++
		}
	})
	t.Logf("%d mutants: %d proved valid by the fast path, %d refused by both", mutants, fastOK, agreeBad)
	if fastOK == 0 || agreeBad == 0 {
		t.Fatalf("the mutants did not exercise both outcomes")
	}
}

// mutateExamples calls try with each mutant (see mutate) of each shipped
// plan as a generic JSON document.
func mutateExamples(t *testing.T, edges []any, try func(doc any)) {
	for name, data := range jsonPlans(t) {
		if name == "generated" {
			continue // the examples cover every field; keep the test quick
		}
		var doc any
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		mutate(doc, edges, func() { try(doc) })
	}
}

// mutate calls try once for each field of doc set to each edge value, once
// for each field deleted and once for each object given an unknown field,
// restoring doc after each. In lists it visits the first item.
func mutate(doc any, edges []any, try func()) {
	switch v := doc.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		for _, k := range keys {
			old := v[k]
			delete(v, k)
			try()
			for _, e := range edges {
				v[k] = e
				try()
			}
			v[k] = old
			mutate(old, edges, try)
		}
		v["unknown"] = 1
		try()
		delete(v, "unknown")
	case []any:
		// Entities in a list are alike: the first stands for all.
		for i, old := range v[:min(len(v), 1)] {
			for _, e := range edges[:4] {
				v[i] = e
				try()
			}
			v[i] = old
			mutate(old, edges, try)
		}
	}
}

// Problems in JSON files, indented or on one line, are placed where the
// YAML node tree places them; those at entities from the positions kept at
// parse time.
func TestLocateJSONMatchesYAML(t *testing.T) {
	plans := jsonPlans(t)
	for name, data := range maps.Clone(plans) {
		var line bytes.Buffer
		if err := json.Compact(&line, data); err != nil {
			t.Fatal(err)
		}
		plans[name+" on one line"] = line.Bytes()
	}
	for name, data := range plans {
		root := parseNodes(data)
		if root == nil {
			t.Fatalf("%s: no node tree", name)
		}
		set, err := Parse("plan.json", data)
		if err != nil {
			t.Fatal(err)
		}
		var ps engine.Problems
		set.Plan.EachEntity(func(_ engine.Kind, key string, s engine.Source) {
			if _, ok := set.at["plan.json"].find(s.Path); !ok {
				t.Fatalf("%s: no position kept for %s", name, s.Path)
			}
			ps = append(ps, engine.Problem{File: s.File, Path: s.Path, Key: key})
			ps = append(ps, engine.Problem{File: s.File, Path: s.Path + "/key"})
			ps = append(ps, engine.Problem{File: s.File, Path: s.Path + "/no_such_field/0"})
		})
		ps = append(ps, engine.Problem{File: "plan.json", Path: ""}, engine.Problem{File: "plan.json", Path: "/version"})
		got := set.Locate(slices.Clone(ps))
		for i, p := range got {
			n := lookup(root, p.Path)
			if p.Line != n.Line || p.Column != n.Column {
				t.Fatalf("%s: %s at %d:%d, the node tree says %d:%d", name, p.Path, p.Line, p.Column, n.Line, n.Column)
			}
			if ps[i].Line != 0 {
				t.Fatal("Locate changed its argument")
			}
		}
		if len(ps) < 10 {
			t.Fatalf("%s: only %d problems", name, len(ps))
		}
	}
}

// Problems at entities of YAML files are placed from the positions kept at
// parse time exactly where the node tree places them.
func TestLocateYAMLEntitiesMatchesTree(t *testing.T) {
	files, _ := filepath.Glob("../../examples/*/*.yaml")
	g, err := gen.Plan(gen.Options{KPIs: 300, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Write(&buf, g, "yaml"); err != nil {
		t.Fatal(err)
	}
	docs := []Document{{"generated.yaml", buf.Bytes()}}
	for _, f := range files {
		data, err := readFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(f, data); err == nil { // plans only, not configs
			docs = append(docs, Document{f, data})
		}
	}
	for _, d := range docs {
		set, err := Read(d)
		if err != nil {
			t.Fatal(err)
		}
		root := parseNodes(d.Data)
		var ps engine.Problems
		set.Plan.EachEntity(func(_ engine.Kind, key string, s engine.Source) {
			ps = append(ps, engine.Problem{File: s.File, Path: s.Path, Key: key})
		})
		for _, p := range ps {
			if _, ok := set.at[d.Name].find(p.Path); !ok {
				t.Fatalf("%s: no position kept for %s", d.Name, p.Path)
			}
		}
		for _, p := range set.Locate(ps) {
			n := lookup(root, p.Path)
			if p.Line != n.Line || p.Column != n.Column {
				t.Fatalf("%s: %s at %d:%d, the node tree says %d:%d", d.Name, p.Path, p.Line, p.Column, n.Line, n.Column)
			}
		}
	}
}
