// Package formula reads derived-KPI formulas: expr expressions over other
// KPIs' keys, with '-' in a key written as '_' (sourced_pipeline / spend).
package formula

import (
	"fmt"
	"slices"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
)

// Names returns the KPI keys a formula refers to, in order of first use,
// with '_' turned back into '-' where the key uses it: a name n refers to
// the key k with k == n or strings.ReplaceAll(k, "-", "_") == n; callers
// match with Key.
func Names(src string) ([]string, error) {
	tree, err := parser.Parse(src)
	if err != nil {
		return nil, fmt.Errorf("formula %q: %w", src, err)
	}
	var names []string
	v := &visitor{names: &names}
	ast.Walk(&tree.Node, v)
	return names, nil
}

// Name returns how a formula writes key.
func Name(key string) string { return strings.ReplaceAll(key, "-", "_") }

type visitor struct{ names *[]string }

func (v *visitor) Visit(n *ast.Node) {
	if id, ok := (*n).(*ast.IdentifierNode); ok && !slices.Contains(*v.names, id.Value) {
		*v.names = append(*v.names, id.Value)
	}
}
