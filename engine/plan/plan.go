// Package plan reads and writes okrmap plan files (YAML or JSON). Reading
// checks each file against schemas/plan.schema.json and reports every
// problem with its file, line and column.
package plan

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"go.yaml.in/yaml/v3"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/formula"
	"github.com/okrmap/okrmap/schemas"
)

// MaxFileSize bounds one plan file; larger files are refused before parsing.
const MaxFileSize = 1 << 30

// Set is one or more plan files read together, with what is needed to point
// later problems (from Validate or the store) at a file, line and column.
type Set struct {
	Plan *engine.Plan // every file's entities, in file order
	// data holds the content of documents read from memory; Locate parses
	// it again only when a problem needs a position, so no node tree is
	// kept for large plans.
	data map[string][]byte
	// read holds a hash of each file Load read. Its content is not kept
	// (a large plan's bytes would outweigh its entities): Locate reads the
	// file again when a problem needs more than spots, and places nothing
	// deeper if the file has changed since.
	read map[string]uint64
	// at holds, per file, where each entity starts (see spots), which
	// places most problems without reading the file again.
	at map[string]spots
}

// Document is one plan file's name (used in problems) and content.
type Document struct {
	Name string
	Data []byte
}

// Load reads plan files. A file that cannot be read, parsed or that breaks
// the schema makes Load return engine.Problems naming all of them.
func Load(paths ...string) (*Set, error) {
	set, err := load(paths)
	if err != nil {
		return nil, err
	}
	return set, nil
}

// load is Load that, when every file decoded despite its problems,
// returns the set beside them, for LoadChecked.
func load(paths []string) (*Set, error) {
	docs := make([]Document, len(paths))
	for i, path := range paths {
		data, err := readFile(path)
		if err != nil {
			return nil, err
		}
		docs[i] = Document{path, data}
	}
	set, err := read(docs)
	if set == nil {
		return nil, err
	}
	set.read = make(map[string]uint64, len(docs))
	size := 0
	for i, d := range docs {
		set.read[d.Name] = maphash.Bytes(contentSeed, d.Data)
		delete(set.data, d.Name)
		size += len(d.Data)
		docs[i].Data = nil
	}
	if err != nil { // decoded despite its problems: for LoadChecked
		return set, err
	}
	if size >= collectFrom {
		// The files' bytes are garbage now. A collection that began while
		// they were still in use would let the heap grow to twice them and
		// the plan (at a million KPIs, 4 GB instead of 3, one run in four):
		// start one that finds them gone; it stands for the one the plan's
		// checks would start moments later.
		go runtime.GC()
	}
	return set, nil
}

// collectFrom is the size of plan files from which Load starts a garbage
// collection once their bytes are no longer needed.
const collectFrom = 64 << 20

var contentSeed = maphash.MakeSeed()

// content returns what the file named holds, as it was read.
func (s *Set) content(name string) ([]byte, bool) {
	if data, ok := s.data[name]; ok {
		return data, true
	}
	sum, ok := s.read[name]
	if !ok {
		return nil, false
	}
	data, err := readFile(name)
	if err != nil || maphash.Bytes(contentSeed, data) != sum {
		return nil, false
	}
	return data, true
}

// Read reads plan documents together, as Load reads files.
func Read(docs ...Document) (*Set, error) {
	set, err := read(docs)
	if err != nil {
		return nil, err
	}
	return set, nil
}

// LoadChecked reads plan files and validates them as a whole in one pass:
// the schema's problems and, when every file could be decoded despite
// them, the problems of references, periods and formulas too, each once.
func LoadChecked(paths ...string) (*Set, error) {
	set, err := load(paths)
	if err == nil {
		if err := set.Validate(); err != nil {
			return nil, err
		}
		return set, nil
	}
	var probs engine.Problems
	if set == nil || !errors.As(err, &probs) {
		return nil, err
	}
	var more engine.Problems
	errors.As(set.Validate(), &more)
	at := map[[3]any]bool{}
	for _, p := range probs {
		at[[3]any{p.File, p.Line, p.Column}] = true
	}
	for _, p := range more {
		if !at[[3]any{p.File, p.Line, p.Column}] { // the schema said it first
			probs = append(probs, p)
		}
	}
	slices.SortStableFunc(probs, func(a, b engine.Problem) int {
		return cmp.Or(strings.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	return nil, probs
}

// read is Read that, when every document decoded despite its problems,
// returns the set beside them, for LoadChecked.
func read(docs []Document) (*Set, error) {
	set := &Set{Plan: &engine.Plan{}, data: map[string][]byte{}, at: map[string]spots{}}
	var plans []*engine.Plan
	var probs engine.Problems
	for _, d := range docs {
		if len(d.Data) > MaxFileSize {
			return nil, tooLarge(d.Name)
		}
		p, at, ps := parse(d.Name, d.Data)
		probs = append(probs, ps...)
		if p != nil {
			plans = append(plans, p)
			set.data[d.Name] = d.Data
			set.at[d.Name] = at
		}
	}
	if len(probs) > 0 && len(plans) < len(docs) {
		return nil, probs
	}
	set.Plan = engine.Concat(plans...)
	if len(probs) > 0 {
		return set, probs
	}
	return set, nil
}

// Parse reads one plan file's content; name is used in problems.
func Parse(name string, data []byte) (*Set, error) {
	return Read(Document{name, data})
}

func readFile(path string) ([]byte, error) {
	// Stat before opening: opening a FIFO waits for a writer.
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
		return nil, engine.Errorf(engine.EINVALID, "plan file %s is not a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, engine.Errorf(engine.EINVALID, "cannot read plan file: %v", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, engine.Errorf(engine.EINVALID, "cannot read plan file %s: %v", path, err)
	}
	if st.Size() > MaxFileSize {
		return nil, tooLarge(path)
	}
	// One buffer of the file's size; a file that grows while read is cut at
	// the limit and refused.
	data := make([]byte, 0, st.Size()+1)
	for {
		n, err := f.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, engine.Errorf(engine.EINVALID, "cannot read plan file %s: %v", path, err)
		}
		if len(data) > MaxFileSize {
			return nil, tooLarge(path)
		}
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
	}
	return data, nil
}

func tooLarge(name string) error {
	return engine.Errorf(engine.EINVALID, "plan file %s is larger than %d MiB; split it into several files", name, MaxFileSize>>20)
}

// Validate checks the set as a whole (see engine.Plan.Validate and
// formula.Check) and returns the problems located in their files, or nil.
func (s *Set) Validate() error {
	return s.Locate(append(s.Plan.Validate(), formula.Check(s.Plan)...)).Err()
}

// Locate fills in line and column of problems that point into s's files.
func (s *Set) Locate(ps engine.Problems) engine.Problems {
	for i := range ps {
		p := &ps[i]
		if p.Line > 0 {
			continue
		}
		if at, ok := s.at[p.File].find(p.Path); ok {
			p.Line, p.Column = at.line, at.col
		}
	}
	type file struct {
		data   []byte // nil when it cannot be had
		json   bool   // its problems are placed
		root   *yaml.Node
		parsed bool
	}
	files := map[string]*file{}
	for i := range ps {
		p := &ps[i]
		if p.Line > 0 {
			continue
		}
		f := files[p.File]
		if f == nil {
			f = &file{}
			files[p.File] = f
			if data, ok := s.content(p.File); ok {
				f.data = data
				f.json = syntaxName(p.File) == "JSON" && locateJSON(data, p.File, ps)
			}
		}
		if f.data == nil || f.json {
			continue
		}
		if !f.parsed {
			f.root, f.parsed = parseNodes(f.data), true
		}
		if f.root == nil {
			continue
		}
		if n := lookup(f.root, p.Path); n != nil {
			p.Line, p.Column = n.Line, n.Column
		}
	}
	return ps
}

// parse reads one file, and where its entities start.
func parse(name string, data []byte) (*engine.Plan, spots, engine.Problems) {
	if strings.EqualFold(filepath.Ext(name), ".json") {
		if p, lists := parseJSON(name, data); p != nil {
			return p, jsonSpots(data, lists), nil
		}
	}
	return readYAML(name, data)
}

// parseJSON is the fast path for a valid JSON plan: one strict decode into
// engine.Plan (unknown fields, repeated keys and invalid UTF-8 refused),
// then the schema's constraints checked on the typed values (see shape). It
// returns nil for anything it cannot prove valid; parseYAML then reads the
// file again and reports each problem with its line and column. lists are
// the document's lists of entities, as topLists finds them.
func parseJSON(name string, data []byte) (p *engine.Plan, lists map[string]*jsonList) {
	// A typed value cannot tell null or "" from a missing field.
	if bytes.Contains(data, []byte("null")) || bytes.Contains(data, []byte(`""`)) {
		return nil, nil
	}
	check, err := planShape()
	if err != nil {
		return nil, nil
	}
	p, lists, err = decodeJSON(data)
	if err != nil || !check(reflect.ValueOf(p).Elem()) {
		return nil, nil
	}
	annotate(name, p)
	return p, lists
}

// parseYAML reads a YAML or JSON plan through a YAML node tree, so every
// problem gets a line and column.
func parseYAML(name string, data []byte) (*engine.Plan, engine.Problems) {
	p, _, probs := readYAML(name, data)
	return p, probs
}

// readYAML is parseYAML that also returns where each entity starts. A
// plan in block style goes the fast way, blockJSON and parseJSON; one
// that way cannot prove valid is read through the YAML library.
func readYAML(name string, data []byte) (*engine.Plan, spots, engine.Problems) {
	if js, at, ok := blockJSON(data); ok {
		if p, _ := parseJSON(name, js); p != nil {
			return p, at, nil
		}
	}
	return readYAMLNodes(name, data)
}

// readYAMLNodes is readYAML through the YAML library's node tree.
func readYAMLNodes(name string, data []byte) (*engine.Plan, spots, engine.Problems) {
	fail := func(line, col int, format string, args ...any) (*engine.Plan, spots, engine.Problems) {
		return nil, nil, engine.Problems{{File: name, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}}
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return fail(0, 0, "the file is empty; a plan starts with 'version: 1'")
		}
		return nil, nil, syntaxProblems(name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return fail(extra.Line, 0, "a plan file holds one document; split the documents after '---' into separate files")
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return fail(root.Line, root.Column, "a plan file is a mapping that starts with 'version: 1'")
	}
	p := typedYAML(root)
	var probs engine.Problems
	if p == nil {
		if p, probs = schemaYAML(name, root); p == nil {
			return nil, nil, probs
		}
	}
	annotate(name, p)
	return p, entityPositions(root), probs
}

// schemaYAML checks a plan's node tree against the plan schema, reporting
// every problem with its line, and decodes it.
func schemaYAML(name string, root *yaml.Node) (*engine.Plan, engine.Problems) {
	fail := func(line, col int, format string, args ...any) (*engine.Plan, engine.Problems) {
		return nil, engine.Problems{{File: name, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}}
	}
	val, err := toJSONValue(root, &budget{left: 64 * countNodes(root)})
	if err != nil {
		var pe *posError
		if errors.As(err, &pe) {
			return fail(pe.line, pe.col, "%s", pe.msg)
		}
		return fail(0, 0, "%v", err)
	}
	probs := schemaProblems(name, root, val)
	p := &engine.Plan{}
	if err := root.Decode(p); err != nil {
		if len(probs) > 0 {
			return nil, probs
		}
		return nil, syntaxProblems(name, err)
	}
	// With schema problems, p is what could be decoded, for LoadChecked.
	return p, probs
}

// parseNodes returns the root mapping of a file that parsed before, or nil.
func parseNodes(data []byte) *yaml.Node {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil || len(doc.Content) == 0 {
		return nil
	}
	return doc.Content[0]
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): `)

// syntaxProblems turns a YAML parse or decode error into problems, one per
// message, with the line the parser gives.
func syntaxProblems(name string, err error) engine.Problems {
	msgs := []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	var ps engine.Problems
	for _, msg := range msgs {
		p := engine.Problem{File: name}
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			p.Line, _ = strconv.Atoi(m[1])
			msg = msg[len(m[0]):]
		}
		p.Msg = fmt.Sprintf("not valid %s: %s", syntaxName(name), msg)
		ps = append(ps, p)
	}
	return ps
}

func syntaxName(name string) string {
	if strings.EqualFold(filepath.Ext(name), ".json") {
		return "JSON"
	}
	return "YAML"
}

// annotate records where each entity came from and applies file defaults.
func annotate(file string, p *engine.Plan) {
	src := func(format string, args ...any) engine.Source {
		return engine.Source{File: file, Path: fmt.Sprintf(format, args...)}
	}
	inherit := func(period *string) {
		if *period == "" {
			*period = p.Period
		}
	}
	for i := range p.Teams {
		p.Teams[i].Src = src("/teams/%d", i)
	}
	for i := range p.BusinessObjectives {
		b := &p.BusinessObjectives[i]
		b.Src = src("/business_objectives/%d", i)
		inherit(&b.Period)
	}
	for i := range p.Objectives {
		o := &p.Objectives[i]
		o.Src = src("/objectives/%d", i)
		inherit(&o.Period)
		for j := range o.KeyResults {
			o.KeyResults[j].Src = src("/objectives/%d/key_results/%d", i, j)
			o.KeyResults[j].Objective = o.Key
		}
	}
	for i := range p.KPIs {
		k := &p.KPIs[i]
		k.Src = src("/kpis/%d", i)
		for j := range k.Links {
			k.Links[j].Src = src("/kpis/%d/links/%d", i, j)
		}
	}
	for i := range p.Assumptions {
		p.Assumptions[i].Src = src("/assumptions/%d", i)
	}
	for i := range p.Investments {
		in := &p.Investments[i]
		in.Src = src("/investments/%d", i)
		inherit(&in.Period)
	}
}

// posError is a problem at a line of the file being parsed.
type posError struct {
	line, col int
	msg       string
}

func (e *posError) Error() string { return e.msg }

// budget bounds alias expansion so a small file cannot expand into a huge one.
type budget struct{ left int }

func countNodes(n *yaml.Node) int {
	c := 1
	for _, ch := range n.Content {
		c += countNodes(ch)
	}
	return c
}

// toJSONValue converts a YAML node into the values encoding/json produces,
// keeping dates as the strings they were written as.
func toJSONValue(n *yaml.Node, b *budget) (any, error) {
	if b.left--; b.left < 0 {
		return nil, &posError{n.Line, n.Column, "aliases expand the document too far; write the values out"}
	}
	switch n.Kind {
	case yaml.AliasNode:
		return toJSONValue(n.Alias, b)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				return nil, &posError{k.Line, k.Column, "mapping keys must be plain strings"}
			}
			if k.Tag == "!!merge" {
				return nil, &posError{k.Line, k.Column, "merge keys (<<) are not supported in plan files; write the fields out"}
			}
			val, err := toJSONValue(v, b)
			if err != nil {
				return nil, err
			}
			m[k.Value] = val
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, len(n.Content))
		for i, c := range n.Content {
			v, err := toJSONValue(c, b)
			if err != nil {
				return nil, err
			}
			s[i] = v
		}
		return s, nil
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return nil, nil
		case "!!bool":
			var v bool
			err := n.Decode(&v)
			return v, err
		case "!!int", "!!float":
			var v float64
			if err := n.Decode(&v); err != nil {
				return nil, &posError{n.Line, n.Column, fmt.Sprintf("%q is not a number", n.Value)}
			}
			if math.IsInf(v, 0) || math.IsNaN(v) {
				return nil, &posError{n.Line, n.Column, fmt.Sprintf("%q is not a finite number", n.Value)}
			}
			return json.Number(strconv.FormatFloat(v, 'g', -1, 64)), nil
		}
		return n.Value, nil
	}
	return nil, &posError{n.Line, n.Column, "unsupported YAML node"}
}

// planSchemaDoc is the plan schema as a JSON value.
var planSchemaDoc = sync.OnceValues(func() (any, error) {
	f, err := schemas.FS.Open("plan.schema.json")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return jsonschema.UnmarshalJSON(f)
})

var planSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := planSchemaDoc()
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(schemas.PlanURL, doc); err != nil {
		return nil, err
	}
	return c.Compile(schemas.PlanURL)
})

var printer = message.NewPrinter(language.English)

func schemaProblems(file string, root *yaml.Node, val any) engine.Problems {
	sch, err := planSchema()
	if err != nil {
		return engine.Problems{{File: file, Msg: fmt.Sprintf("internal error: plan schema: %v", err)}}
	}
	err = sch.Validate(val)
	var verr *jsonschema.ValidationError
	if err == nil || !errors.As(err, &verr) {
		if err != nil {
			return engine.Problems{{File: file, Msg: err.Error()}}
		}
		return nil
	}
	var probs engine.Problems
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		probs = append(probs, schemaProblem(file, root, e)...)
	}
	walk(verr)
	return probs
}

func schemaProblem(file string, root *yaml.Node, e *jsonschema.ValidationError) engine.Problems {
	path := pointer(e.InstanceLocation)
	at := func(path, msg string) engine.Problem {
		p := engine.Problem{File: file, Path: path, Key: enclosingKey(root, path), Msg: msg}
		if n := lookup(root, path); n != nil {
			p.Line, p.Column = n.Line, n.Column
		}
		return p
	}
	field := "the plan"
	if len(e.InstanceLocation) > 0 {
		field = e.InstanceLocation[len(e.InstanceLocation)-1]
	}
	switch k := e.ErrorKind.(type) {
	case *kind.AdditionalProperties:
		var ps engine.Problems
		for _, prop := range k.Properties {
			p := at(path+"/"+escape(prop), fmt.Sprintf("unknown field %q; check its spelling against schemas/plan.schema.json", prop))
			if n := lookupKey(root, path, prop); n != nil {
				p.Line, p.Column = n.Line, n.Column
			}
			ps = append(ps, p)
		}
		return ps
	case *kind.Required:
		return engine.Problems{at(path, fmt.Sprintf("missing required field %s", strings.Join(quoteAll(k.Missing), ", ")))}
	case *kind.Enum:
		return engine.Problems{at(path, fmt.Sprintf("%s: %s", field, k.LocalizedString(printer)))}
	case *kind.Const:
		if path == "/version" {
			return engine.Problems{at(path, "version must be 1, the only plan format version")}
		}
	case *kind.Pattern:
		switch {
		case strings.Contains(k.Want, "FY[0-9]{4}"):
			return engine.Problems{at(path, fmt.Sprintf("%s %q is not a period; write a quarter (2026-Q4), a half (2026-H1), a month (2026-11), a year (2026) or a fiscal year, quarter or half (FY2026, FY2026-Q4)", field, k.Got))}
		case strings.HasPrefix(k.Want, "^[a-z0-9]"):
			return engine.Problems{at(path, fmt.Sprintf("%s %q is not a valid key: use lower-case letters, digits, '-' and '_', starting with a letter or digit", field, k.Got))}
		}
	case *kind.Minimum:
		return engine.Problems{at(path, fmt.Sprintf("%s %s is below the minimum %s", field, ratString(k.Got), ratString(k.Want)))}
	case *kind.Maximum:
		return engine.Problems{at(path, fmt.Sprintf("%s %s is above the maximum %s", field, ratString(k.Got), ratString(k.Want)))}
	case *kind.Type:
		return engine.Problems{at(path, fmt.Sprintf("%s must be %s, not %s", field, strings.Join(k.Want, " or "), k.Got))}
	case *kind.Format:
		if k.Want == "date" {
			return engine.Problems{at(path, fmt.Sprintf("%s %v is not a date; write it as YYYY-MM-DD", field, k.Got))}
		}
	}
	return engine.Problems{at(path, fmt.Sprintf("%s: %s", field, e.ErrorKind.LocalizedString(printer)))}
}

func ratString(r *big.Rat) string {
	f, _ := r.Float64()
	return strconv.FormatFloat(f, 'g', -1, 64)
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strconv.Quote(s)
	}
	return out
}

// pointer renders path tokens as a JSON pointer.
func pointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(escape(t))
	}
	return b.String()
}

func escape(t string) string {
	return strings.ReplaceAll(strings.ReplaceAll(t, "~", "~0"), "/", "~1")
}

func unescape(t string) string {
	return strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
}

// lookup returns the node at a JSON pointer, or the deepest node on its way.
func lookup(n *yaml.Node, path string) *yaml.Node {
	for _, tok := range strings.Split(strings.TrimPrefix(path, "/"), "/") {
		if tok == "" {
			continue
		}
		next := child(n, unescape(tok))
		if next == nil {
			return n
		}
		n = next
	}
	return n
}

func child(n *yaml.Node, tok string) *yaml.Node {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == tok {
				return n.Content[i+1]
			}
		}
	case yaml.SequenceNode:
		if i, err := strconv.Atoi(tok); err == nil && i >= 0 && i < len(n.Content) {
			return n.Content[i]
		}
	}
	return nil
}

// lookupKey returns the key node of field in the mapping at path.
func lookupKey(root *yaml.Node, path, field string) *yaml.Node {
	n := lookup(root, path)
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == field {
			return n.Content[i]
		}
	}
	return nil
}

// enclosingKey returns the key of the innermost entity on path.
func enclosingKey(root *yaml.Node, path string) string {
	key := ""
	n := root
	for _, tok := range strings.Split(strings.TrimPrefix(path, "/"), "/") {
		if k := child(n, "key"); k != nil && k.Kind == yaml.ScalarNode {
			key = k.Value
		}
		if n = child(n, unescape(tok)); n == nil {
			break
		}
	}
	if n != nil {
		if k := child(n, "key"); k != nil && k.Kind == yaml.ScalarNode {
			key = k.Value
		}
	}
	return key
}
