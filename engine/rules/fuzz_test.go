package rules

import (
	"context"
	"errors"
	"testing"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/resolve"
)

// FuzzParsePack: the pack loader and compiler never panic and report
// failures as engine.Problems or *engine.Error.
func FuzzParsePack(f *testing.F) {
	f.Add([]byte(goodRule))
	b, _ := builtinFS.ReadFile("packs/okrmap-default.yaml")
	f.Add(b)
	f.Add([]byte("pack: x\nextends: [x]\nrules: [{id: a}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePack("fuzz.yaml", data)
		if err == nil {
			p.Extends = nil // do not read files the fuzzer names
			_, err = Compile(p)
		}
		var ps engine.Problems
		var e *engine.Error
		if err != nil && !errors.As(err, &ps) && !errors.As(err, &e) {
			t.Fatalf("unexpected error type %T: %v", err, err)
		}
	})
}

// FuzzMessage: any message template either fails to compile with a
// problem or renders without panicking.
func FuzzMessage(f *testing.F) {
	f.Add("KPI {{ kpi.key }} is {{ kpi.kind == '' ? 'undeclared' : kpi.kind }}")
	f.Add("{{ }}")
	f.Add("}} {{")
	f.Add("{{ 1/0 }} {{ kpi.links[5].to }} {{ map(kpi.links, .to) }}")
	g := resolve.Resolve(resolve.Input{Plan: &engine.Plan{KPIs: []engine.KPI{{Key: "k", Name: "K"}}}, Today: DefaultCaseDay})
	f.Fuzz(func(t *testing.T, msg string) {
		spec := RuleSpec{ID: "r", Name: "R", Severity: "info", Scope: "kpi", Assert: "false", Message: msg}
		r, err := compileRule(spec, &Pack{Name: "fuzz", File: "fuzz.yaml"})
		if err != nil {
			var ps engine.Problems
			if !errors.As(err, &ps) {
				t.Fatalf("unexpected error type %T: %v", err, err)
			}
			return
		}
		s := &Set{Rules: []*Rule{r}, byScope: map[string][]*Rule{"kpi": {r}}}
		if _, err := s.Evaluate(context.Background(), g); err != nil {
			t.Fatal(err)
		}
	})
}
