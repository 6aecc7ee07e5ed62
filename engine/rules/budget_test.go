package rules

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/resolve"
)

// hostile compiles a pack of one kpi rule with assert (and message) and
// the limits given.
func hostile(t *testing.T, assert, message string, l Limits) *Set {
	t.Helper()
	text := fmt.Sprintf("pack: hostile\nrules:\n  - id: r1\n    name: R1\n    severity: warning\n    scope: kpi\n    assert: %q\n    message: %q\n", assert, message)
	p, err := ParsePack("hostile.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	s.Limits = l
	return s
}

func graphOf(n int) *resolve.Graph {
	p := &engine.Plan{}
	for i := range n {
		p.KPIs = append(p.KPIs, engine.KPI{Key: fmt.Sprintf("k%d", i), Name: "K"})
	}
	return resolve.Resolve(resolve.Input{Plan: p, Today: DefaultCaseDay})
}

// stopped evaluates s and checks that the limit stopped r1 with why.
func stopped(t *testing.T, s *Set, g *resolve.Graph, why string) {
	t.Helper()
	fs, err := s.Evaluate(context.Background(), g)
	var over *BudgetError
	if !errors.As(err, &over) || len(over.Rules) != 1 || over.Rules[0] != "r1" {
		t.Fatalf("want a BudgetError for r1, got %v", err)
	}
	if len(fs) == 0 || !strings.Contains(fs[0].Message, why) {
		t.Errorf("finding %+v, want it to say %q", fs, why)
	}
}

func TestTextCannotGrowUnbounded(t *testing.T) {
	// Doubling a string 40 times would need a terabyte.
	stopped(t, hostile(t, `len(reduce(1..40, #acc + #acc, "xx")) < 0`, "m", Limits{}), graphOf(1),
		"built text of more than 1048576 bytes (rules.max_text)")
	s := hostile(t, `false`, `{{ reduce(1..40, #acc + #acc, "x") }}`, Limits{Text: 4096})
	stopped(t, s, graphOf(1), "built text of more than 4096 bytes")
	// repeat is measured before it allocates.
	stopped(t, hostile(t, `len(repeat("abc", 1000000000)) < 0`, "m", Limits{}), graphOf(1), "rules.max_text")
	// Builtins that return text are measured too.
	stopped(t, hostile(t, `len(join(map(1..2000, "x"), "abcdefgh")) < 0`, "m", Limits{Text: 1024}), graphOf(1), "rules.max_text")
}

func TestLoopsAreBounded(t *testing.T) {
	g := graphOf(100) // three nested loops over 100 KPIs: 1,000,000 steps per KPI
	nested := `all(plan.kpis, {all(plan.kpis, {all(plan.kpis, {true})})})`
	stopped(t, hostile(t, nested, "m", Limits{Steps: 10_000}), g, "more than 10000 steps (rules.max_steps)")
	stopped(t, hostile(t, nested, "m", Limits{Timeout: 200 * time.Millisecond}), g, "ran past rules.timeout (200ms)")
}

func TestCancelStopsAnEvaluation(t *testing.T) {
	s := hostile(t, `all(plan.kpis, {all(plan.kpis, {all(plan.kpis, {true})})})`, "m", Limits{})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	done := make(chan error, 1)
	go func() {
		_, err := s.Evaluate(ctx, graphOf(300))
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("a cancelled evaluation returned %v", err)
		}
	case <-time.After(10 * time.Second): // it would run for hours
		t.Fatal("cancelling did not stop the evaluation")
	}
}

func TestExpressionShapeIsChecked(t *testing.T) {
	for _, tc := range []struct{ assert, want string }{
		{strings.Repeat("(", 100) + "true" + strings.Repeat(")", 100), "nests brackets more than 64 deep"},
		{"'" + strings.Repeat("!", 100000) + "true'", "the expression is 100004 bytes long"},
		{"'" + strings.Repeat("!", 1000) + "true'", "repeats a unary operator more than 64 times"},
	} {
		got := compileText(t, strings.Replace(goodRule, `kpi.owner != ""`, tc.assert, 1))
		if len(got) != 1 || !strings.Contains(got[0], tc.want) {
			t.Errorf("%.20s...: %q, want %q", tc.assert, got, tc.want)
		}
	}
	// Type errors still name what the author wrote.
	got := compileText(t, strings.Replace(goodRule, `kpi.owner != ""`, `kpi.name + 1 > 0`, 1))
	if len(got) != 1 || !strings.Contains(got[0], "mismatched types string and int") {
		t.Errorf("a type error: %q", got)
	}
}
