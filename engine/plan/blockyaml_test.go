package plan

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// blockPlans are the shipped plans and a generated one in block style, as
// okrmap writes YAML, and as the YAML library writes them with 4 spaces.
func blockPlans(t testing.TB) map[string][]byte {
	out := map[string][]byte{}
	for name, data := range jsonPlans(t) {
		var doc any
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		out[name+"/4"] = libraryYAML(t, doc, 4)
		set, err := Parse(name+".json", data)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := Write(&buf, set.Plan, "yaml"); err != nil {
			t.Fatal(err)
		}
		out[name] = buf.Bytes()
	}
	return out
}

func libraryYAML(t testing.TB, doc any, indent int) []byte {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(indent)
	if err := enc.Encode(doc); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sameAsLibrary reports whether the block path reads data; when it does,
// the YAML library must read the same plan with the same positions.
func sameAsLibrary(t testing.TB, data []byte) bool {
	js, at, ok := blockJSON(data)
	if !ok {
		return false
	}
	fast, _ := parseJSON("m.yaml", js)
	if fast == nil {
		return false
	}
	slow, slowAt, probs := readYAMLNodes("m.yaml", data)
	switch {
	case len(probs) > 0:
		t.Fatalf("the block path accepted what the YAML library refuses (%v):\n%s", probs, data)
	case !reflect.DeepEqual(fast, slow):
		t.Fatalf("the paths read the plan differently:\nfast %+v\nslow %+v\n%s", fast, slow, data)
	case !reflect.DeepEqual(at, slowAt):
		t.Fatalf("the paths place entities differently:\nfast %v\nslow %v\n%s", at, slowAt, data)
	}
	return true
}

// TestBlockYAMLReadsWrittenPlans: every plan okrmap writes in YAML takes
// the block path and reads as through the YAML library.
func TestBlockYAMLReadsWrittenPlans(t *testing.T) {
	for name, data := range blockPlans(t) {
		if !sameAsLibrary(t, data) {
			t.Errorf("%s: the block path declined a plan in block style:\n%.600s", name, data)
		}
	}
}

// TestBlockYAMLMutations sets every field of the shipped plans to edge
// values, one at a time, and writes each mutant in block style, indented
// by 2 or 4 in turn: what the block path reads, the YAML library reads the
// same.
func TestBlockYAMLMutations(t *testing.T) {
	edges := []any{nil, "", "x", "X y", "2026-Q4", "2026-11", "2026-02-30", "2026-03-01", "FY2026", strings.Repeat("k", 129),
		0.0, -1.0, 0.5, -0.5, 1.5, 1e6, 12345678901234567.0, true, "yes", "null", "~", "1_000", "0x1F", "+1", ".5", "1e3",
		"007", "http://x.example/a:b", "a: b", "a #b", "#x", "- x", "'q'", `back\slash`, "two\nlines", " lead", "Ünicode",
		"[]", "&a", "|", "%x", "$4M", "24.6% up", "90-day", "2026-12-31 x", []any{}, []any{"a", "b"}, map[string]any{}}
	var mutants, read, declined int
	mutateExamples(t, edges, func(doc any) {
		mutants++
		if sameAsLibrary(t, libraryYAML(t, doc, 2+2*(mutants%2))) { // indents of 2 and 4 in turn
			read++
		} else {
			declined++
		}
	})
	t.Logf("%d mutants: %d read by the block path, %d declined", mutants, read, declined)
	if read == 0 || declined == 0 {
		t.Fatalf("the mutants did not exercise both outcomes")
	}
}

// FuzzBlockYAML: whatever the block path reads, the YAML library reads the
// same, with entities at the same lines and columns.
func FuzzBlockYAML(f *testing.F) {
	for _, data := range blockPlans(f) {
		f.Add(data)
	}
	f.Add([]byte("version: 1\nteams:\n- key: a\n  name: A # the team\n# between\nkpis:\n  - key: k\n    name: 'K''s'\n    team: a\n    owner: \"o\"\n    tags: [a]\n"))
	f.Add([]byte("version: 1\nperiod: 2026-Q4\nobjectives:\n  - key: o\n    title: T\n      more\n"))
	f.Add([]byte("version: 1\nkpis:\n  - key: k\n    name: K\n    target: -0.5\n    links: []\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sameAsLibrary(t, data)
	})
}
