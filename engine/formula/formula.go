// Package formula reads derived-KPI formulas: expr expressions over other
// KPIs' keys, with '-' in a key written as '_' (sourced_pipeline / spend).
package formula

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"

	"github.com/okrmap/okrmap/engine"
)

// Names returns the KPI keys a formula refers to, in order of first use,
// with '_' turned back into '-' where the key uses it: a name n refers to
// the key k with k == n or strings.ReplaceAll(k, "-", "_") == n; callers
// match with Key.
func Names(src string) ([]string, error) {
	if err := CheckSource(src); err != nil {
		return nil, fmt.Errorf("formula %q: %w", short(src), err)
	}
	tree, err := parser.Parse(src)
	if err != nil {
		return nil, fmt.Errorf("formula %q: %w", short(src), err)
	}
	v := &visitor{callees: map[string]bool{}}
	ast.Walk(&tree.Node, v)
	var names []string
	for _, n := range v.names {
		if !v.callees[n] {
			names = append(names, n)
		}
	}
	return names, nil
}

// Name returns how a formula writes key.
func Name(key string) string { return strings.ReplaceAll(key, "-", "_") }

// visitor collects identifiers and the names of called functions.
type visitor struct {
	names   []string
	callees map[string]bool
}

func (v *visitor) Visit(n *ast.Node) {
	switch x := (*n).(type) {
	case *ast.IdentifierNode:
		if !slices.Contains(v.names, x.Value) {
			v.names = append(v.names, x.Value)
		}
	case *ast.CallNode:
		if id, ok := x.Callee.(*ast.IdentifierNode); ok {
			v.callees[id.Value] = true
		}
	}
}

// Check reports, for every KPI of p with a formula, a formula that does not
// parse, names no KPI, or depends on itself through other formulas.
func Check(p *engine.Plan) engine.Problems {
	byName := map[string]string{} // formula name -> key
	for _, k := range p.KPIs {
		byName[Name(k.Key)] = k.Key
	}
	var probs engine.Problems
	add := func(k engine.KPI, format string, args ...any) {
		probs = append(probs, engine.Problem{File: k.Src.File, Path: k.Src.Path + "/formula", Key: k.Key, Msg: fmt.Sprintf(format, args...)})
	}
	deps := map[string][]string{}
	src := map[string]engine.KPI{}
	for _, k := range p.KPIs {
		if k.Formula == "" {
			continue
		}
		names, err := Names(k.Formula)
		if err != nil {
			add(k, "formula does not parse: %v", firstLine(err))
			continue
		}
		src[k.Key] = k
		for _, n := range names {
			key, ok := byName[n]
			if !ok {
				add(k, "formula names %q, which is no KPI; write KPI keys with '-' as '_' (%s)", n, Name("sourced-pipeline"))
				continue
			}
			if key == k.Key {
				add(k, "formula refers to the KPI itself")
				continue
			}
			deps[k.Key] = append(deps[k.Key], key)
		}
	}
	for _, cycle := range engine.FindCycles(deps) {
		add(src[cycle[0]], "formulas depend on each other in a cycle: %s", strings.Join(append(cycle, cycle[0]), " -> "))
	}
	return probs
}

func firstLine(err error) string {
	line, _, _ := strings.Cut(err.Error(), "\n")
	return line
}

// Order returns the keys of deps (KPI -> KPIs its formula uses) so that
// every KPI comes after those it uses, or a cycle when there is none.
func Order(deps map[string][]string) ([]string, []string) {
	keys := slices.Sorted(maps.Keys(deps))
	waiting := map[string]int{}    // derived KPIs each key still waits for
	users := map[string][]string{} // derived KPI -> the derived KPIs using it
	for _, k := range keys {
		for _, d := range deps[k] {
			if _, derived := deps[d]; derived {
				waiting[k]++
				users[d] = append(users[d], k)
			}
		}
	}
	var order []string
	for _, k := range keys {
		if waiting[k] == 0 {
			order = append(order, k)
		}
	}
	for i := 0; i < len(order); i++ {
		for _, u := range users[order[i]] {
			if waiting[u]--; waiting[u] == 0 {
				order = append(order, u)
			}
		}
	}
	if len(order) < len(keys) {
		return nil, engine.FindCycles(deps)[0]
	}
	return order, nil
}

// Eval computes a formula from values keyed by formula name. ok is false
// when a value it uses is missing or the result is not a finite number
// (division by zero gives no value, not an error).
func Eval(src string, values map[string]float64) (v float64, ok bool, err error) {
	names, err := Names(src)
	if err != nil {
		return 0, false, err
	}
	env := make(map[string]any, len(names))
	for _, n := range names {
		x, ok := values[n]
		if !ok {
			return 0, false, nil
		}
		env[n] = x
	}
	out, err := expr.Eval(src, env)
	if err != nil {
		return 0, false, fmt.Errorf("formula %q: %w", short(src), err)
	}
	switch x := out.(type) {
	case float64:
		v = x
	case int:
		v = float64(x)
	default:
		return 0, false, fmt.Errorf("formula %q gives %T, not a number", src, out)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false, nil
	}
	return v, true, nil
}

// Bounds on an expression's source (a formula, or a rule's when, assert or
// message part), checked before it is parsed: the parser recurses.
const (
	maxSource  = 64 << 10
	maxNesting = 64
)

// CheckSource refuses an expression too long, or too deeply nested in
// brackets or repeated unary operators, to parse safely.
func CheckSource(src string) error {
	if len(src) > maxSource {
		return fmt.Errorf("the expression is %d bytes long; keep it under %d", len(src), maxSource)
	}
	depth, run := 0, 0
	for _, c := range src {
		switch c {
		case '(', '[', '{':
			depth++
			if depth > maxNesting {
				return fmt.Errorf("the expression nests brackets more than %d deep", maxNesting)
			}
		case ')', ']', '}':
			depth--
		}
		switch c {
		case '!', '-', '+':
			if run++; run > maxNesting {
				return fmt.Errorf("the expression repeats a unary operator more than %d times", maxNesting)
			}
		case ' ', '\t', '\n':
		default:
			run = 0
		}
	}
	return nil
}

// short is a formula cut for messages.
func short(src string) string {
	if len(src) > 80 {
		return src[:80] + "..."
	}
	return src
}
