package plan

import (
	"encoding"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/okrmap/okrmap/engine"
)

// A shape is the plan schema compiled against engine.Plan's Go types: it
// checks a decoded plan's values in place of validating a generic JSON
// tree. It returns false when it cannot prove a value valid; the caller then
// validates the file with the schema itself. Typed values cannot tell a
// missing field from an empty string or a null, so callers must only use a
// shape on input that holds neither.
type shape func(v reflect.Value) bool

// planShape is the shape of engine.Plan, built once from the embedded schema.
var planShape = sync.OnceValues(func() (shape, error) {
	doc, err := planSchemaDoc()
	if err != nil {
		return nil, err
	}
	root, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("plan schema is not an object")
	}
	b := &shapeBuilder{root: root}
	return b.build(reflect.TypeFor[engine.Plan](), root, "#")
})

type shapeBuilder struct{ root map[string]any }

// ignored are annotation keywords, and those whose checks decoding makes
// (additionalProperties: false, with unknown fields refused).
var ignored = map[string]bool{"$schema": true, "$id": true, "title": true, "description": true,
	"examples": true, "default": true, "$comment": true, "deprecated": true, "additionalProperties": true, "$defs": true}

// resolve merges s with the schemas its $refs name, so that one map holds
// every keyword that applies. Keywords both define must agree.
func (b *shapeBuilder) resolve(s map[string]any, at string) (map[string]any, error) {
	ref, ok := s["$ref"].(string)
	if !ok {
		return s, nil
	}
	name, ok := strings.CutPrefix(ref, "#/$defs/")
	defs, _ := b.root["$defs"].(map[string]any)
	target, found := defs[name].(map[string]any)
	if !ok || !found {
		return nil, fmt.Errorf("%s: $ref %q is not a local definition", at, ref)
	}
	target, err := b.resolve(target, ref)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	for k, v := range target {
		out[k] = v
	}
	for k, v := range s {
		if k == "$ref" || ignored[k] {
			continue
		}
		if old, dup := out[k]; dup && !reflect.DeepEqual(old, v) {
			return nil, fmt.Errorf("%s: %q differs from %s's", at, k, ref)
		}
		out[k] = v
	}
	return out, nil
}

// build returns the shape of Go type t under schema s (at names s in errors).
// An error means the schema uses what build does not know, or t and s
// disagree; a test keeps that from shipping.
func (b *shapeBuilder) build(t reflect.Type, s map[string]any, at string) (shape, error) {
	s, err := b.resolve(s, at)
	if err != nil {
		return nil, err
	}
	if t.Kind() == reflect.Pointer {
		elem, err := b.build(t.Elem(), s, at)
		if err != nil {
			return nil, err
		}
		return func(v reflect.Value) bool { return v.IsNil() || elem(v.Elem()) }, nil
	}
	var checks []shape
	add := func(c shape) { checks = append(checks, c) }
	if t.Implements(reflect.TypeFor[encoding.TextMarshaler]()) {
		if err := b.textChecks(t, s, at, add); err != nil {
			return nil, err
		}
	} else {
		if err := b.kindChecks(t, s, at, add); err != nil {
			return nil, err
		}
	}
	return func(v reflect.Value) bool {
		for _, c := range checks {
			if !c(v) {
				return false
			}
		}
		return true
	}, nil
}

// textChecks checks a value written as text (engine.Date) with the schema
// itself: such values are few.
func (b *shapeBuilder) textChecks(t reflect.Type, s map[string]any, at string, add func(shape)) error {
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("shape.json", s); err != nil {
		return fmt.Errorf("%s: %w", at, err)
	}
	sch, err := c.Compile("shape.json")
	if err != nil {
		return fmt.Errorf("%s: %w", at, err)
	}
	add(func(v reflect.Value) bool {
		text, err := v.Interface().(encoding.TextMarshaler).MarshalText()
		return err == nil && sch.Validate(string(text)) == nil
	})
	return nil
}

func (b *shapeBuilder) kindChecks(t reflect.Type, s map[string]any, at string, add func(shape)) error {
	want := map[reflect.Kind]string{reflect.String: "string", reflect.Float64: "number", reflect.Int: "integer",
		reflect.Slice: "array", reflect.Struct: "object"}[t.Kind()]
	if want == "" {
		return fmt.Errorf("%s: Go type %s has no shape", at, t)
	}
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		val := s[k]
		if ignored[k] {
			continue
		}
		var err error
		switch k {
		case "type":
			if val != want && !(val == "number" && want == "integer") {
				err = fmt.Errorf("type %v, but Go type %s", val, t)
			}
		case "enum":
			err = enumCheck(t, val, add)
		case "const":
			err = enumCheck(t, []any{val}, add)
		case "pattern":
			err = patternCheck(t, val, add)
		case "minLength", "maxLength":
			err = lengthCheck(t, k, val, add)
		case "minimum", "maximum":
			err = rangeCheck(t, k, val, add)
		case "items":
			err = b.itemsCheck(t, val, at, add)
		case "uniqueItems":
			err = uniqueCheck(t, val, add)
		case "properties":
			err = b.propertiesCheck(t, s, at, add)
		case "required":
			// propertiesCheck reads it.
		default:
			err = fmt.Errorf("keyword %q has no shape", k)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", at, err)
		}
	}
	return nil
}

func number(v reflect.Value) float64 {
	if v.Kind() == reflect.Int {
		return float64(v.Int())
	}
	return v.Float()
}

func enumCheck(t reflect.Type, val any, add func(shape)) error {
	list, ok := val.([]any)
	if !ok {
		return fmt.Errorf("enum is not a list")
	}
	switch t.Kind() {
	case reflect.String:
		set := map[string]bool{}
		for _, e := range list {
			s, ok := e.(string)
			if !ok {
				return fmt.Errorf("enum of %s holds %v", t, e)
			}
			set[s] = true
		}
		add(func(v reflect.Value) bool { return set[v.String()] })
	case reflect.Int, reflect.Float64:
		var set []float64
		for _, e := range list {
			f, ok := jsonNumber(e)
			if !ok {
				return fmt.Errorf("enum of %s holds %v", t, e)
			}
			set = append(set, f)
		}
		add(func(v reflect.Value) bool { return slices.Contains(set, number(v)) })
	default:
		return fmt.Errorf("enum of %s", t)
	}
	return nil
}

func jsonNumber(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case fmt.Stringer: // json.Number
		var f float64
		_, err := fmt.Sscan(n.String(), &f)
		return f, err == nil
	}
	return 0, false
}

func patternCheck(t reflect.Type, val any, add func(shape)) error {
	src, ok := val.(string)
	if !ok || t.Kind() != reflect.String {
		return fmt.Errorf("pattern on %s", t)
	}
	if src == engine.KeyPattern { // the pattern of every key, checked often
		add(func(v reflect.Value) bool { return engine.MatchesKeyPattern(v.String()) })
		return nil
	}
	re, err := regexp.Compile(src)
	if err != nil {
		return err
	}
	add(func(v reflect.Value) bool { return re.MatchString(v.String()) })
	return nil
}

func lengthCheck(t reflect.Type, k string, val any, add func(shape)) error {
	f, ok := jsonNumber(val)
	if !ok || t.Kind() != reflect.String {
		return fmt.Errorf("%s on %s", k, t)
	}
	n := int(f)
	if k == "minLength" {
		add(func(v reflect.Value) bool { return utf8.RuneCountInString(v.String()) >= n })
	} else {
		add(func(v reflect.Value) bool { return len(v.String()) <= n || utf8.RuneCountInString(v.String()) <= n })
	}
	return nil
}

func rangeCheck(t reflect.Type, k string, val any, add func(shape)) error {
	limit, ok := jsonNumber(val)
	if !ok || (t.Kind() != reflect.Float64 && t.Kind() != reflect.Int) {
		return fmt.Errorf("%s on %s", k, t)
	}
	if k == "minimum" {
		add(func(v reflect.Value) bool { return number(v) >= limit })
	} else {
		add(func(v reflect.Value) bool { return number(v) <= limit })
	}
	return nil
}

func (b *shapeBuilder) itemsCheck(t reflect.Type, val any, at string, add func(shape)) error {
	s, ok := val.(map[string]any)
	if !ok || t.Kind() != reflect.Slice {
		return fmt.Errorf("items on %s", t)
	}
	item, err := b.build(t.Elem(), s, at+"/items")
	if err != nil {
		return err
	}
	add(func(v reflect.Value) bool {
		for i := range v.Len() {
			if !item(v.Index(i)) {
				return false
			}
		}
		return true
	})
	return nil
}

func uniqueCheck(t reflect.Type, val any, add func(shape)) error {
	if val != true {
		return nil
	}
	if t.Kind() != reflect.Slice || t.Elem().Kind() != reflect.String {
		return fmt.Errorf("uniqueItems on %s", t)
	}
	add(func(v reflect.Value) bool {
		seen := make(map[string]bool, v.Len())
		for i := range v.Len() {
			s := v.Index(i).String()
			if seen[s] {
				return false
			}
			seen[s] = true
		}
		return true
	})
	return nil
}

// propertiesCheck checks each field of struct t under its property in s.
// Every JSON field of t must have a property and every property a field.
func (b *shapeBuilder) propertiesCheck(t reflect.Type, s map[string]any, at string, add func(shape)) error {
	props, ok := s["properties"].(map[string]any)
	if !ok || t.Kind() != reflect.Struct {
		return fmt.Errorf("properties on %s", t)
	}
	required := map[string]bool{}
	if list, ok := s["required"].([]any); ok {
		for _, r := range list {
			name, _ := r.(string)
			required[name] = true
		}
	} else if s["required"] != nil {
		return fmt.Errorf("required is not a list")
	}
	if s["additionalProperties"] != false {
		return fmt.Errorf("%s allows other properties, which decoding refuses", t)
	}
	seen := map[string]bool{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		ps, ok := props[name].(map[string]any)
		if !ok {
			return fmt.Errorf("%s.%s (%q) is not in the schema", t, f.Name, name)
		}
		seen[name] = true
		check, err := b.build(f.Type, ps, at+"/properties/"+name)
		if err != nil {
			return err
		}
		index, req := i, required[name]
		add(func(v reflect.Value) bool {
			fv := v.Field(index)
			switch {
			case !fv.IsZero():
				return check(fv)
			case fv.Kind() == reflect.Int || fv.Kind() == reflect.Float64:
				return !req && check(fv) // valid whether 0 was written or not
			}
			return !req
		})
	}
	for name := range props {
		if !seen[name] && name != "$schema" {
			return fmt.Errorf("property %q has no field in %s", name, t)
		}
	}
	for name := range required {
		if !seen[name] {
			return fmt.Errorf("required %q has no field in %s", name, t)
		}
	}
	return nil
}

// typedYAML is the fast path for a YAML plan: when plainYAML proves that
// decoding reads the node tree as the schema path does, the tree is decoded
// into engine.Plan and checked by the schema's shape. nil means the schema
// path must decide, and report.
func typedYAML(root *yaml.Node) *engine.Plan {
	check, err := planShape()
	if err != nil || !plainYAML(root, reflect.TypeFor[engine.Plan]()) {
		return nil
	}
	p := &engine.Plan{}
	if root.Decode(p) != nil || !check(reflect.ValueOf(p).Elem()) {
		return nil
	}
	return p
}

// plainYAML reports whether node holds what Go type t decodes to without
// YAML's conversions: mappings of known fields (each once), sequences, and
// scalars tagged as their field's type; no aliases, no nulls and no empty
// strings, which a typed value cannot tell from a missing field.
func plainYAML(n *yaml.Node, t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Implements(reflect.TypeFor[encoding.TextUnmarshaler]()) || reflect.PointerTo(t).Implements(reflect.TypeFor[encoding.TextUnmarshaler]()) {
		return n.Kind == yaml.ScalarNode && n.Value != "" && (n.ShortTag() == "!!str" || n.ShortTag() == "!!timestamp")
	}
	switch t.Kind() {
	case reflect.String:
		return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" && n.Value != ""
	case reflect.Int, reflect.Float64:
		tag := n.ShortTag()
		if n.Kind != yaml.ScalarNode || (tag != "!!int" && (tag != "!!float" || t.Kind() == reflect.Int)) {
			return false
		}
		var f float64
		return n.Decode(&f) == nil && !math.IsInf(f, 0) && !math.IsNaN(f)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return false
		}
		for _, item := range n.Content {
			if !plainYAML(item, t.Elem()) {
				return false
			}
		}
		return true
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return false
		}
		fields := yamlFields(t)
		seen := make(map[string]bool, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			f, ok := fields[k.Value]
			if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" || !ok || seen[k.Value] || !plainYAML(n.Content[i+1], f) {
				return false
			}
			seen[k.Value] = true
		}
		return true
	}
	return false
}

var yamlFieldCache sync.Map // reflect.Type -> map[string]reflect.Type

// yamlFields maps the YAML names of t's fields to their types.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	if fs, ok := yamlFieldCache.Load(t); ok {
		return fs.(map[string]reflect.Type)
	}
	fs := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name != "-" && name != "" && f.IsExported() {
			fs[name] = f.Type
		}
	}
	yamlFieldCache.Store(t, fs)
	return fs
}
