package rules

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
)

// Limits bound what one rule may cost. The zero value takes the defaults.
type Limits struct {
	// Steps bounds the iterations of closures (all, any, filter, map,
	// reduce ...) in one rule on one entity.
	Steps int
	// Text bounds, in bytes, any text a rule builds (by +, or by functions
	// that return text), and each finding's message.
	Text int
	// Timeout bounds the evaluation of all rules in one audit or lint.
	Timeout time.Duration
}

// Default limits: generous for every rule of the built-in pack on 1,000,000
// KPIs, and far below what would exhaust the machine.
const (
	DefaultSteps   = 10_000_000
	DefaultText    = 1 << 20
	DefaultTimeout = 10 * time.Minute
)

func (l Limits) withDefaults() Limits {
	if l.Steps <= 0 {
		l.Steps = DefaultSteps
	}
	if l.Text <= 0 {
		l.Text = DefaultText
	}
	if l.Timeout <= 0 {
		l.Timeout = DefaultTimeout
	}
	return l
}

// budget is what one rule evaluation may still spend; each evaluating
// goroutine has its own, reset for every rule and entity. Rules reach it
// through the hidden __budget variable that the compiler's patch passes to
// __step and __text.
type budget struct {
	steps    int
	limits   Limits
	deadline time.Time
	stop     <-chan struct{}
	err      error // why the evaluation was stopped
}

func (b *budget) reset() { b.steps, b.err = 0, nil }

// step counts one closure iteration; every 4,096 it also checks the
// deadline and cancellation.
func (b *budget) step() error {
	b.steps++
	if b.steps > b.limits.Steps {
		b.err = &overBudget{fmt.Sprintf("more than %d steps (rules.max_steps)", b.limits.Steps)}
		return b.err
	}
	if b.steps&4095 == 0 {
		return b.check()
	}
	return nil
}

// check stops the evaluation when the audit is cancelled or past its
// deadline.
func (b *budget) check() error {
	select {
	case <-b.stop:
		b.err = errCancelled
		return b.err
	default:
	}
	if !b.deadline.IsZero() && time.Now().After(b.deadline) {
		b.err = &overBudget{fmt.Sprintf("the rules ran past rules.timeout (%s)", b.limits.Timeout)}
		return b.err
	}
	return nil
}

// text checks the size of text a rule built.
func (b *budget) text(v any) error {
	if s, ok := v.(string); ok && len(s) > b.limits.Text {
		b.err = &overBudget{fmt.Sprintf("it built text of more than %d bytes (rules.max_text)", b.limits.Text)}
		return b.err
	}
	return nil
}

// overBudget is a rule stopped by a limit.
type overBudget struct{ why string }

func (e *overBudget) Error() string { return "stopped: " + e.why }

var errCancelled = errors.New("stopped: the audit was cancelled")

// BudgetError says which rules were stopped by a limit; the findings
// Evaluate returns with it are complete otherwise.
type BudgetError struct{ Rules []string }

func (e *BudgetError) Error() string {
	return fmt.Sprintf("rule%s %s stopped by a limit (see their findings); the rest were evaluated", plural(len(e.Rules)), strings.Join(e.Rules, ", "))
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// budgetFunctions are __step and __text, typed so that wrapping a node
// keeps its type.
var budgetFunctions = []expr.Option{
	expr.Function("__step", func(args ...any) (any, error) {
		if err := args[0].(*budget).step(); err != nil {
			return nil, err
		}
		return args[1], nil
	}, new(func(*budget, bool) bool), new(func(*budget, int) int), new(func(*budget, float64) float64),
		new(func(*budget, string) string), new(func(*budget, any) any)),
	expr.Function("__repeat", func(args ...any) (any, error) {
		b, s, n := args[0].(*budget), args[1].(string), args[2].(int)
		if n < 0 {
			return nil, fmt.Errorf("repeat: %d is negative", n)
		}
		if n > 0 && len(s) > b.limits.Text/n {
			b.err = &overBudget{fmt.Sprintf("it built text of more than %d bytes (rules.max_text)", b.limits.Text)}
			return nil, b.err
		}
		return strings.Repeat(s, n), nil
	}, new(func(*budget, string, int) string)),
	expr.Function("__text", func(args ...any) (any, error) {
		if err := args[0].(*budget).text(args[1]); err != nil {
			return nil, err
		}
		return args[1], nil
	}, new(func(*budget, string) string), new(func(*budget, any) any)),
}

// guard is the compiler patch that meters rules: each closure body counts
// a step, and each + or builtin that may build text has its result
// measured.
type guard struct{}

var stringType = reflect.TypeOf("")

func (guard) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.PredicateNode:
		n.Node = call("__step", n.Node)
	case *ast.BinaryNode:
		if n.Operator == "+" && mayBeText(n.Type()) {
			ast.Patch(node, call("__text", n))
		}
	case *ast.BuiltinNode:
		switch {
		case n.Name == "repeat": // measured before it allocates
			ast.Patch(node, &ast.CallNode{Callee: &ast.IdentifierNode{Value: "__repeat"},
				Arguments: append([]ast.Node{&ast.IdentifierNode{Value: "__budget"}}, n.Arguments...)})
		case growsText[n.Name] && mayBeText(n.Type()):
			ast.Patch(node, call("__text", n))
		}
	}
}

// growsText are the builtins whose text result can be much larger than
// their arguments; the others (trim, lower ...) return at most what they
// were given.
var growsText = map[string]bool{"string": true, "replace": true, "join": true, "toJSON": true, "reduce": true,
	"first": true, "last": true, "get": true}

func mayBeText(t reflect.Type) bool {
	return t == nil || t == stringType || t.Kind() == reflect.Interface
}

func call(fn string, arg ast.Node) ast.Node {
	return &ast.CallNode{Callee: &ast.IdentifierNode{Value: fn}, Arguments: []ast.Node{&ast.IdentifierNode{Value: "__budget"}, arg}}
}
