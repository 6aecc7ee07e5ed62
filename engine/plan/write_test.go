package plan

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/gen"
)

// Writing a list item at a time gives exactly what one yaml.Encoder gives.
func TestWriteYAMLMatchesTheEncoder(t *testing.T) {
	g, err := gen.Plan(gen.Options{KPIs: 300, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("a long rationale that runs past any line width ", 4)
	odd := &engine.Plan{Version: 1, Period: "2026-Q4",
		Teams: []engine.Team{{Key: "t", Name: "  leading spaces"}},
		KPIs: []engine.KPI{{Key: "k", Name: "K", Definition: "line one\nline two\n\nafter a blank line",
			Tags: []string{"a: colon", "- dash", "#hash"}, Links: []engine.Link{{To: "t", Rationale: long}}}}}
	plans := []*engine.Plan{g, odd, {Version: 1}}
	files, _ := filepath.Glob("../../examples/saas-b2b/*.yaml")
	more, _ := filepath.Glob("../../examples/retail/*.yaml")
	for _, f := range append(files, more...) {
		set, err := Load(f)
		if err != nil {
			t.Fatal(err)
		}
		plans = append(plans, set.Plan)
	}
	for i, p := range plans {
		var want, got bytes.Buffer
		if err := EncodeYAML(&want, p); err != nil {
			t.Fatal(err)
		}
		if err := Write(&got, p, "yaml"); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("plan %d written differently:\n--- got\n%s\n--- want\n%s", i, got.String(), want.String())
		}
	}
}

// TestPlainNumbers: numbers are written as plain decimals, and read back
// the same.
func TestPlainNumbers(t *testing.T) {
	target, small := 9e6, 2.5e-7
	p := &engine.Plan{Version: 1, KPIs: []engine.KPI{{Key: "k", Name: "K", Target: &target, Thresholds: &engine.Thresholds{Warning: &small}}}}
	var out bytes.Buffer
	if err := Write(&out, p, "yaml"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "target: 9000000\n") || !strings.Contains(out.String(), "warning: 0.00000025\n") || strings.Contains(out.String(), "!!float") {
		t.Errorf("numbers not plain:\n%s", out.String())
	}
	set, err := Parse("k.yaml", out.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if k := set.Plan.KPIs[0]; *k.Target != target || *k.Thresholds.Warning != small {
		t.Errorf("read back %v %v", *k.Target, *k.Thresholds.Warning)
	}
}
