package rules

import (
	"context"
	"path/filepath"
	"testing"
)

func builtinSet(t testing.TB) *Set { return compiled(t)(LoadBuiltin()) }

// compiled compiles a pack just read, failing t on either error.
func compiled(t testing.TB) func(*Pack, error) *Set {
	return func(p *Pack, err error) *Set {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		s, err := Compile(p)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
}

// TestBuiltinCases runs the built-in pack's cases and checks that every
// built-in rule has a case that fires and one that stays quiet.
func TestBuiltinCases(t *testing.T) {
	s := builtinSet(t)
	files, _ := filepath.Glob("testdata/default/*.yaml")
	results, err := s.RunCases(context.Background(), files...)
	if err != nil {
		t.Fatal(err)
	}
	fires, quiet := map[string]bool{}, map[string]bool{}
	for _, r := range results {
		for _, f := range r.Failures {
			t.Errorf("%s: %s: %s", r.File, r.Name, f)
		}
	}
	// Coverage: read the cases again for what they expect.
	for _, r := range s.caseCoverage(t, files) {
		fires[r.rule] = fires[r.rule] || r.fires
		quiet[r.rule] = quiet[r.rule] || r.quiet
	}
	if len(s.Rules) < 25 {
		t.Errorf("the built-in pack has %d rules, want at least 25", len(s.Rules))
	}
	for _, r := range s.Rules {
		if !fires[r.ID] || !quiet[r.ID] {
			t.Errorf("rule %s lacks a case that fires (%v) or one that stays quiet (%v)", r.ID, fires[r.ID], quiet[r.ID])
		}
		if r.Doc == "" || r.Fix == "" || len(r.Tags) == 0 {
			t.Errorf("rule %s needs a doc line, a fix and tags", r.ID)
		}
	}
}
