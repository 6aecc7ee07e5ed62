package plan

import (
	"encoding/json"
	"reflect"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestYAMLFastPathMutations is TestJSONFastPathMutations for YAML files:
// whatever the typed fast path accepts, the schema path accepts and reads
// the same, and the fast path accepts the shipped plans themselves.
func TestYAMLFastPathMutations(t *testing.T) {
	edges := []any{nil, "", "x", "X y", "2026-Q4", "2026-02-30", "2026-03-01", 0.0, -1.0, 1.5, true, []any{}, []any{"a", "a"}, map[string]any{}}
	var mutants, fastOK int
	try := func(name string, doc any, wantFast bool) {
		data, err := yaml.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		var n yaml.Node
		if err := yaml.Unmarshal(data, &n); err != nil || len(n.Content) == 0 || n.Content[0].Kind != yaml.MappingNode {
			return
		}
		root := n.Content[0]
		mutants++
		fast := typedYAML(root)
		if wantFast && fast == nil {
			t.Fatalf("%s: the fast path refused a valid plan", name)
		}
		if fast == nil {
			return
		}
		fastOK++
		slow, probs := schemaYAML("m.yaml", root)
		if len(probs) > 0 {
			t.Fatalf("the fast path accepted what the schema refuses (%v):\n%s", probs, data)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("the paths read the plan differently:\n%s", data)
		}
	}
	for name, data := range jsonPlans(t) {
		if name == "generated" {
			continue
		}
		var doc any
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		try(name, doc, true)
		mutate(doc, edges, func() { try(name, doc, false) })
	}
	t.Logf("%d mutants, %d proved valid by the fast path", mutants, fastOK)
}

// FuzzYAMLFastPath checks that whatever the typed YAML fast path accepts,
// the schema path accepts and reads the same.
func FuzzYAMLFastPath(f *testing.F) {
	f.Add([]byte(validPlan))
	f.Add([]byte("version: 1\nteams:\n  - &t {key: a, name: A}\n  - *t\n"))
	f.Add([]byte("version: 1\nkpis: [{key: k, name: !!str 12, target: 0x10, tags: [a, 'b']}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var n yaml.Node
		if yaml.Unmarshal(data, &n) != nil || len(n.Content) == 0 || n.Content[0].Kind != yaml.MappingNode {
			return
		}
		fast := typedYAML(n.Content[0])
		if fast == nil {
			return
		}
		slow, probs := schemaYAML("fuzz.yaml", n.Content[0])
		if len(probs) > 0 || !reflect.DeepEqual(fast, slow) {
			t.Fatalf("the paths disagree (%v):\n%s", probs, data)
		}
	})
}
