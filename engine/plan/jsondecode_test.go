package plan

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/okrmap/okrmap/engine"
)

func TestTopLists(t *testing.T) {
	data := []byte(`{"version": 1, "teams": [{"key": "a"}, {"key": "b", "tags": ["x", {"y": 1}]}],
		"note": "kpis: [{", "objectives": [{"title": "key_results", "key_results": [{"k": "{"}, {}]}, {"key_results": []}, {"x": [{}], "key_results": [{}]}], "kpis": [{"key": "k\"{", "links": [{"to": "o"}, {"to": "p"}]}, {}, {"a": {"b": {}}}],
		"meta": {"inner": [{"x": 1}]}}`)
	got := map[string]int{}
	for name, l := range topLists(data) {
		got[name] = len(l.starts)
		if data[l.open] != '[' || data[l.close] != ']' {
			t.Errorf("%s: spans %q to %q", name, data[l.open], data[l.close])
		}
		for _, s := range append(slices.Concat(l.keyResults...), l.starts...) {
			if data[s] != '{' {
				t.Errorf("%s: an element starts at %q", name, data[s])
			}
		}
		for i, krs := range l.keyResults {
			got[fmt.Sprintf("%s/%d/key_results", name, i)] = len(krs)
		}
	}
	want := map[string]int{"teams": 2, "objectives": 3, "kpis": 3,
		"objectives/0/key_results": 2, "objectives/1/key_results": 0, "objectives/2/key_results": 1}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("topLists counts %v, want %v", got, want)
	}
}

// FuzzTopLists: any bytes are scanned, and their entities placed, without
// a panic, and every offset lies inside them.
func FuzzTopLists(f *testing.F) {
	for _, s := range []string{`{"kpis": [{}]}`, `"`, `{"a": "\`, `]]]}}}{{[[`, `{"kpis": [{"k": "\\"}, {}]}`, `{"kpis": [{}, {}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		lists := topLists(data)
		jsonSpots(data, lists)
		for name, l := range lists {
			for _, s := range slices.Concat([]int{l.open, l.close}, l.starts, slices.Concat(l.keyResults...)) {
				if s < 0 || s >= len(data) {
					t.Errorf("%q: offset %d outside %d bytes", name, s, len(data))
				}
			}
		}
	})
}

// splitMatchesWhole reports whether decoding data with its KPI list in
// parts gives what decoding it whole gives: the same plan, or an error both
// ways.
func splitMatchesWhole(t testing.TB, data []byte) {
	t.Helper()
	defer func(n int) { splitKPIs = n }(splitKPIs)
	splitKPIs = 1 << 30
	whole, _, errWhole := decodeJSON(data)
	splitKPIs = 1
	split, _, errSplit := decodeJSON(data)
	if (errWhole == nil) != (errSplit == nil) {
		t.Fatalf("whole: %v; in parts: %v\n%.2000s", errWhole, errSplit, data)
	}
	if errWhole == nil && !reflect.DeepEqual(whole, split) {
		t.Fatalf("the KPIs decoded in parts differ from those decoded whole\n%.2000s", data)
	}
}

// TestSplitDecodeMatchesWhole: every mutant of the shipped plans decodes
// the same with its KPI list in parts as whole.
func TestSplitDecodeMatchesWhole(t *testing.T) {
	edges := []any{nil, "", "x", 1.0, true, []any{}, []any{"a"}, map[string]any{}}
	n := 0
	mutateExamples(t, edges, func(doc any) {
		data, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		n++
		splitMatchesWhole(t, data)
	})
	for name, data := range jsonPlans(t) {
		splitMatchesWhole(t, data)
		if l := topLists(data)["kpis"]; l != nil {
			if ok, err := decodeSplit(data, l, &engine.Plan{}); !ok || err != nil {
				t.Errorf("%s: the KPI list was not decoded in parts (%v)", name, err)
			}
		}
	}
	t.Logf("%d mutants", n)
}

func FuzzSplitDecode(f *testing.F) {
	for _, data := range jsonPlans(f) {
		f.Add(data)
	}
	f.Add([]byte(`{"kpis": [{"key": "a"} , 5, {"key": "b"}], "version": 1}`))
	f.Add([]byte(`{"kpis": [ {"key": "a"},{"key": "b"},{"key": "c"}], "kpis": []}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		splitMatchesWhole(t, data)
	})
}
