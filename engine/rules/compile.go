package rules

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/formula"
	"github.com/okrmap/okrmap/engine/resolve"
)

// MaxNodes bounds the size of one expression, so a hostile pack cannot
// stall an audit with a giant expression.
const MaxNodes = 2000

// Rule is a compiled rule.
type Rule struct {
	ID       string
	Name     string
	Severity string
	Scope    string
	Tags     []string
	Doc      string
	Fix      string
	Pack     string // the pack that defined it
	When     string // source of the filter, "" for none
	Assert   string
	Message  string

	when    *vm.Program
	assert  *vm.Program
	message []part
}

// part is a piece of a message template: literal text or an expression.
type part struct {
	text string
	prog *vm.Program
}

// Set is a compiled, ready-to-run set of rules.
type Set struct {
	Rules   []*Rule // in pack order; disabled rules are left out
	Packs   []*Pack // every pack involved, dependencies first
	byScope map[string][]*Rule
	// plugin holds overrides of plugin rules, by plugin and rule id.
	plugin map[[2]string]Override
	// Limits bound each rule's cost; zero fields take the defaults.
	Limits Limits
}

// Compile merges packs (with the packs they extend) into one rule set and
// compiles every expression against its scope's typed environment. Any
// problem in any pack is reported with file, line, rule id and column, and
// nothing is returned.
func Compile(packs ...*Pack) (*Set, error) {
	all, err := resolvePacks(packs)
	if err != nil {
		return nil, err
	}
	var order []string
	specs := map[string]RuleSpec{}
	owner := map[string]*Pack{}
	disabled := map[string]bool{}
	pluginOverrides := map[[2]string]Override{}
	var probs engine.Problems
	add := func(p *Pack, pos position, id, format string, args ...any) {
		probs = append(probs, engine.Problem{File: p.File, Line: pos.line, Column: pos.col, Key: id, Msg: fmt.Sprintf(format, args...)})
	}
	for _, p := range all {
		for _, r := range p.Rules {
			prev, exists := specs[r.ID]
			switch {
			case exists && !r.Replace:
				add(p, r.pos["id"], r.ID, "rule %q is already defined by pack %s; set replace: true to replace it", r.ID, owner[r.ID].Name)
				continue
			case !exists && r.Replace:
				add(p, r.pos["replace"], r.ID, "replace: no rule %q in the packs this one extends", r.ID)
				continue
			case !exists:
				order = append(order, r.ID)
			case r.Severity == "":
				r.Severity = prev.Severity
			}
			specs[r.ID], owner[r.ID] = r, p
		}
		for _, o := range p.Overrides {
			if o.Plugin != "" {
				pluginOverrides[[2]string{o.Plugin, o.ID}] = o
				continue
			}
			r, ok := specs[o.ID]
			if !ok {
				add(p, o.pos["id"], o.ID, "override: no rule %q in this pack or the packs it extends", o.ID)
				continue
			}
			if o.Severity != "" {
				r.Severity = o.Severity
				specs[o.ID] = r
			}
			disabled[o.ID] = o.Disabled
		}
	}
	set := &Set{Packs: all, byScope: map[string][]*Rule{}, plugin: pluginOverrides}
	for _, id := range order {
		if disabled[id] {
			continue
		}
		r, err := compileRule(specs[id], owner[id])
		if err != nil {
			var ps engine.Problems
			if errors.As(err, &ps) {
				probs = append(probs, ps...)
				continue
			}
			return nil, err
		}
		set.Rules = append(set.Rules, r)
		set.byScope[r.Scope] = append(set.byScope[r.Scope], r)
	}
	if len(probs) > 0 {
		return nil, probs
	}
	return set, nil
}

// WithoutTag returns the rules of s that do not carry tag, and the ids of
// those left out.
func (s *Set) WithoutTag(tag string) (*Set, []string) {
	out := &Set{Packs: s.Packs, byScope: map[string][]*Rule{}, plugin: s.plugin, Limits: s.Limits}
	var dropped []string
	for _, r := range s.Rules {
		if slices.Contains(r.Tags, tag) {
			dropped = append(dropped, r.ID)
			continue
		}
		out.Rules = append(out.Rules, r)
		out.byScope[r.Scope] = append(out.byScope[r.Scope], r)
	}
	return out, dropped
}

// PluginFindings applies the packs' overrides of a plugin's rules to its
// findings: a disabled rule's findings are dropped, a severity replaced.
func (s *Set) PluginFindings(plugin string, fs []engine.Finding) []engine.Finding {
	out := fs[:0]
	for _, f := range fs {
		o, ok := s.plugin[[2]string{plugin, f.Rule}]
		switch {
		case ok && o.Disabled:
			continue
		case ok && o.Severity != "":
			f.Severity = o.Severity
		}
		out = append(out, f)
	}
	return out
}

// Rule returns the rule with id, or nil.
func (s *Set) Rule(id string) *Rule {
	for _, r := range s.Rules {
		if r.ID == id {
			return r
		}
	}
	return nil
}

func compileRule(spec RuleSpec, p *Pack) (*Rule, error) {
	sc := scopes[spec.Scope]
	r := &Rule{ID: spec.ID, Name: spec.Name, Severity: spec.Severity, Scope: spec.Scope, Tags: spec.Tags,
		Doc: spec.Doc, Fix: spec.Fix, Pack: p.Name, When: spec.When, Assert: spec.Assert, Message: spec.Message}
	var probs engine.Problems
	compile := func(field, src string, offset int, ops ...expr.Option) *vm.Program {
		if err := formula.CheckSource(src); err != nil {
			probs = append(probs, exprProblem(p.File, spec, field, offset, err))
			return nil
		}
		opts := append([]expr.Option{expr.Env(sc.env), expr.MaxNodes(MaxNodes)}, functions...)
		opts = append(opts, ops...)
		// Checked as written first, so type errors name what the author
		// wrote; then compiled metered (see guard).
		if _, err := expr.Compile(src, opts...); err != nil {
			probs = append(probs, exprProblem(p.File, spec, field, offset, err))
			return nil
		}
		prog, err := expr.Compile(src, append(append(opts, expr.Patch(guard{})), budgetFunctions...)...)
		if err != nil {
			probs = append(probs, exprProblem(p.File, spec, field, offset, err))
		}
		return prog
	}
	if strings.TrimSpace(spec.When) != "" {
		r.when = compile("when", spec.When, 0, expr.AsBool())
	}
	r.assert = compile("assert", spec.Assert, 0, expr.AsBool())
	parts, err := parseTemplate(spec.Message)
	if err != nil {
		pos := spec.pos["message"]
		probs = append(probs, engine.Problem{File: p.File, Line: pos.line, Column: pos.col, Key: spec.ID, Msg: "message: " + err.Error()})
	}
	for _, pt := range parts {
		if pt.src == "" {
			r.message = append(r.message, part{text: pt.text})
			continue
		}
		r.message = append(r.message, part{prog: compile("message", pt.src, pt.offset)})
	}
	if len(probs) > 0 {
		return nil, probs
	}
	return r, nil
}

// exprProblem places an expr compile error in the pack file.
func exprProblem(fileName string, spec RuleSpec, field string, offset int, err error) engine.Problem {
	pos := spec.pos[field]
	p := engine.Problem{File: fileName, Line: pos.line, Key: spec.ID, Msg: field + ": " + err.Error()}
	var fe *file.Error
	if errors.As(err, &fe) {
		p.Msg = field + ": " + plainMessage(fe.Message) + fe.Snippet
		switch {
		case pos.block:
			p.Line = pos.line + fe.Line
		case fe.Line <= 1:
			p.Column = pos.col + offset + fe.Column
			if pos.quoted {
				p.Column++
			}
		default:
			p.Line = pos.line + fe.Line - 1
		}
	}
	return p
}

type templatePart struct {
	text   string
	src    string // expression, when this part is one
	offset int    // of src in the template
}

// parseTemplate splits "KPI {{ kpi.key }} is stale" into text and
// expression parts.
func parseTemplate(t string) ([]templatePart, error) {
	var parts []templatePart
	pos := 0
	for {
		i := strings.Index(t[pos:], "{{")
		if i < 0 {
			if strings.Contains(t[pos:], "}}") {
				return nil, fmt.Errorf("'}}' without '{{' at offset %d", pos+strings.Index(t[pos:], "}}"))
			}
			if pos < len(t) {
				parts = append(parts, templatePart{text: t[pos:]})
			}
			return parts, nil
		}
		if i > 0 {
			parts = append(parts, templatePart{text: t[pos : pos+i]})
		}
		start := pos + i + 2
		j := strings.Index(t[start:], "}}")
		if j < 0 {
			return nil, fmt.Errorf("'{{' at offset %d is not closed with '}}'", pos+i)
		}
		src := t[start : start+j]
		if strings.TrimSpace(src) == "" {
			return nil, fmt.Errorf("empty '{{ }}' at offset %d", pos+i)
		}
		parts = append(parts, templatePart{src: src, offset: start})
		pos = start + j + 2
	}
}

// goField matches expr's "type resolve.KPI has no field nme".
var goField = regexp.MustCompile(`type \*?resolve\.(\w+) has no field (\w+)`)

// scopeOfType names each resolved type as rules write it.
var scopeOfType = map[string]string{
	"KPI": "kpi", "KeyResult": "key_result", "Objective": "objective", "BusinessObjective": "business_objective",
	"Link": "link", "Team": "team", "Assumption": "assumption", "Investment": "investment", "Graph": "plan",
}

// plainMessage rewrites expr messages that name Go types in the words of
// rule authors: the scope, and the field names it has.
func plainMessage(msg string) string {
	m := goField.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	name, ok := scopeOfType[m[1]]
	if !ok {
		return msg
	}
	fields := fieldNames(m[1])
	out := fmt.Sprintf("%s has no field %s", name, m[2])
	if c := engine.Closest(m[2], fields); c != "" {
		out += fmt.Sprintf(" (did you mean %s.%s?)", name, c)
	}
	return out + fmt.Sprintf("; %s's fields: %s", name, strings.Join(fields, ", "))
}

// fieldNames lists the expr names of a resolved type's fields.
func fieldNames(typeName string) []string {
	types := map[string]reflect.Type{
		"KPI": reflect.TypeFor[resolve.KPI](), "KeyResult": reflect.TypeFor[resolve.KeyResult](),
		"Objective": reflect.TypeFor[resolve.Objective](), "BusinessObjective": reflect.TypeFor[resolve.BusinessObjective](),
		"Link": reflect.TypeFor[resolve.Link](), "Team": reflect.TypeFor[resolve.Team](),
		"Assumption": reflect.TypeFor[resolve.Assumption](), "Investment": reflect.TypeFor[resolve.Investment](),
		"Graph": reflect.TypeFor[resolve.Graph](),
	}
	var out []string
	for f := range types[typeName].Fields() {
		if tag := f.Tag.Get("expr"); tag != "" {
			out = append(out, tag)
		}
	}
	return out
}
