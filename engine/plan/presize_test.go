package plan

import (
	"maps"
	"testing"
)

func TestListLengths(t *testing.T) {
	data := []byte(`{"version": 1, "teams": [{"key": "a"}, {"key": "b", "tags": ["x", {"y": 1}]}],
		"note": "kpis: [{", "objectives": [], "kpis": [{"key": "k\"{", "links": [{"to": "o"}, {"to": "p"}]}, {}, {"a": {"b": {}}}],
		"meta": {"inner": [{"x": 1}]}}`)
	want := map[string]int{"teams": 2, "kpis": 3}
	if got := listLengths(data); !maps.Equal(got, want) {
		t.Errorf("listLengths = %v, want %v", got, want)
	}
}

// FuzzListLengths: any bytes are counted without a panic.
func FuzzListLengths(f *testing.F) {
	for _, s := range []string{`{"kpis": [{}]}`, `"`, `{"a": "\`, `]]]}}}{{[[`, `{"kpis": [{"k": "\\"}, {}]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for name, n := range listLengths(data) {
			if n < 1 || n > len(data) {
				t.Errorf("%q: count %d out of range for %d bytes", name, n, len(data))
			}
		}
	})
}
