package plan

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

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
		enc := yaml.NewEncoder(&want)
		enc.SetIndent(2)
		if err := enc.Encode(p); err != nil {
			t.Fatal(err)
		}
		enc.Close()
		if err := Write(&got, p, "yaml"); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("plan %d written differently:\n--- got\n%s\n--- want\n%s", i, got.String(), want.String())
		}
	}
}
