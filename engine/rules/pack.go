// Package rules loads rule packs, compiles their expr rules once against
// typed environments, and evaluates them over a resolved graph.
package rules

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/okrmap/okrmap/engine"
)

// Builtin is the name of the embedded default pack.
const Builtin = "okrmap-default"

//go:embed packs/okrmap-default.yaml
var builtinFS embed.FS

// RuleSpec is a rule as a pack file writes it.
type RuleSpec struct {
	ID       string   `yaml:"id"`
	Name     string   `yaml:"name"`
	Severity string   `yaml:"severity"`
	Scope    string   `yaml:"scope"`
	When     string   `yaml:"when"`
	Assert   string   `yaml:"assert"`
	Message  string   `yaml:"message"`
	Tags     []string `yaml:"tags"`
	Doc      string   `yaml:"doc"`
	Fix      string   `yaml:"fix"`
	// Replace lets a pack redefine a rule of a pack it extends.
	Replace bool `yaml:"replace"`

	pos map[string]position // field -> where its value starts
}

// Override changes a rule of an extended pack or, with Plugin set, a rule
// that plugin provides.
type Override struct {
	ID       string `yaml:"id"`
	Plugin   string `yaml:"plugin"`
	Severity string `yaml:"severity"`
	Disabled bool   `yaml:"disabled"`

	pos map[string]position
}

// Pack is a rule pack file.
type Pack struct {
	Name        string     `yaml:"pack"`
	Version     string     `yaml:"version"`
	Description string     `yaml:"description"`
	Extends     []string   `yaml:"extends"`
	Overrides   []Override `yaml:"overrides"`
	Rules       []RuleSpec `yaml:"rules"`

	File string `yaml:"-"` // where it was read from
}

// position is where a value starts in a pack file, and how its text maps
// to file columns.
type position struct {
	line, col int
	block     bool // a literal or folded block: text line n is file line+n
	quoted    bool
}

// LoadBuiltin returns the embedded default pack.
func LoadBuiltin() (*Pack, error) {
	b, err := builtinFS.ReadFile("packs/okrmap-default.yaml")
	if err != nil {
		return nil, err
	}
	return ParsePack(Builtin+".yaml", b)
}

// MaxPackSize bounds a rule pack file; a larger one is refused, not cut.
const MaxPackSize = 16 << 20

// LoadPack reads a pack file, which must be a regular file of at most
// MaxPackSize bytes.
func LoadPack(path string) (*Pack, error) {
	// Stat before opening: opening a FIFO waits for a writer.
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
		return nil, engine.Errorf(engine.EINVALID, "rule pack %s is not a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, engine.Errorf(engine.EINVALID, "cannot read rule pack: %v", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxPackSize+1))
	if err != nil {
		return nil, engine.Errorf(engine.EINVALID, "cannot read rule pack %s: %v", path, err)
	}
	if len(b) > MaxPackSize {
		return nil, engine.Errorf(engine.EINVALID, "rule pack %s is larger than %d MiB; split it into packs that extend each other", path, MaxPackSize>>20)
	}
	return ParsePack(path, b)
}

// ParsePack reads a pack from its content; file names it in problems. It
// checks the pack's shape; expressions are checked by Compile.
func ParsePack(file string, data []byte) (*Pack, error) {
	prob := func(line, col int, key, format string, args ...any) engine.Problems {
		return engine.Problems{{File: file, Line: line, Column: col, Key: key, Msg: fmt.Sprintf(format, args...)}}
	}
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, prob(0, 0, "", "the rule pack is empty; it starts with 'pack: NAME'")
		}
		return nil, prob(0, 0, "", "not valid YAML: %v", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return nil, prob(root.Line, root.Column, "", "a rule pack is a mapping that starts with 'pack: NAME'")
	}
	p := &Pack{File: file}
	strict := yaml.NewDecoder(bytes.NewReader(data))
	strict.KnownFields(true) // an unknown key is an error that names it
	if err := strict.Decode(p); err != nil {
		var probs engine.Problems
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for _, msg := range te.Errors {
				probs = append(probs, engine.Problem{File: file, Msg: "rule pack: " + quiet(msg)})
			}
			return nil, probs
		}
		return nil, prob(0, 0, "", "rule pack: %v", err)
	}
	rulesNode, overridesNode := child(root, "rules"), child(root, "overrides")
	for i := range p.Rules {
		p.Rules[i].pos = positions(item(rulesNode, i))
	}
	for i := range p.Overrides {
		p.Overrides[i].pos = positions(item(overridesNode, i))
	}
	var probs engine.Problems
	if p.Name == "" {
		probs = append(probs, prob(root.Line, root.Column, "", "missing 'pack: NAME'")...)
	}
	seen := map[string]bool{}
	for _, r := range p.Rules {
		at := r.pos["id"]
		switch {
		case !engine.ValidKey(r.ID):
			probs = append(probs, prob(at.line, at.col, r.ID, "rule id %q is not valid: use lower-case letters, digits, '-' and '_'", r.ID)...)
		case seen[r.ID]:
			probs = append(probs, prob(at.line, at.col, r.ID, "rule id %q appears twice in the pack", r.ID)...)
		}
		seen[r.ID] = true
		if !r.Replace || r.Severity != "" {
			if !slices.Contains(engine.Severities, r.Severity) {
				at := r.pos["severity"]
				probs = append(probs, prob(at.line, at.col, r.ID, "severity %q is not one of: %s", r.Severity, strings.Join(engine.Severities, ", "))...)
			}
		}
		if _, ok := scopes[r.Scope]; !ok {
			at := r.pos["scope"]
			probs = append(probs, prob(at.line, at.col, r.ID, "scope %q is not one of: %s", r.Scope, strings.Join(Scopes, ", "))...)
		}
		for _, f := range []struct{ name, value string }{{"name", r.Name}, {"assert", r.Assert}, {"message", r.Message}} {
			if strings.TrimSpace(f.value) == "" {
				probs = append(probs, prob(at.line, at.col, r.ID, "rule has no %s", f.name)...)
			}
		}
	}
	for _, o := range p.Overrides {
		if o.Severity != "" && !slices.Contains(engine.Severities, o.Severity) {
			at := o.pos["severity"]
			probs = append(probs, prob(at.line, at.col, o.ID, "severity %q is not one of: %s", o.Severity, strings.Join(engine.Severities, ", "))...)
		}
	}
	if len(probs) > 0 {
		return nil, probs
	}
	return p, nil
}

func child(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func item(n *yaml.Node, i int) *yaml.Node {
	if n == nil || n.Kind != yaml.SequenceNode || i >= len(n.Content) {
		return nil
	}
	return n.Content[i]
}

// positions records where each field's value starts in a rule mapping.
func positions(n *yaml.Node) map[string]position {
	out := map[string]position{}
	if n == nil || n.Kind != yaml.MappingNode {
		return out
	}
	out[""] = position{line: n.Line, col: n.Column}
	for i := 0; i+1 < len(n.Content); i += 2 {
		v := n.Content[i+1]
		out[n.Content[i].Value] = position{
			line:   v.Line,
			col:    v.Column,
			block:  v.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0,
			quoted: v.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0,
		}
	}
	return out
}

var (
	unknownField = regexp.MustCompile(`^line (\d+): field (.*) not found in type \S+$`)
	fieldName    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,40}$`)
	quotedValue  = regexp.MustCompile("`[^`]*`")
)

// quiet rewrites a YAML decoding message so that it never repeats the
// file's content beyond a field name: the file may not be a pack at all.
func quiet(msg string) string {
	if m := unknownField.FindStringSubmatch(msg); m != nil {
		if fieldName.MatchString(m[2]) {
			return fmt.Sprintf("line %s: field %s not found; check its spelling", m[1], m[2])
		}
		return fmt.Sprintf("line %s: an unknown field (not shown: this does not look like a rule pack)", m[1])
	}
	return quotedValue.ReplaceAllString(msg, "a value")
}

// extendsPath resolves a pack file named in extends: relative to the
// extending pack and inside its folder (symlinks followed), so a pack
// cannot make okrmap read /etc/shadow.
func extendsPath(from, ext string) (string, error) {
	refuse := func(why string) (string, error) {
		return "", engine.Errorf(engine.EINVALID, "%s extends %q: %s; name okrmap-default or a pack file in this pack's folder", from, ext, why)
	}
	if filepath.IsAbs(ext) {
		return refuse("an absolute path")
	}
	dir, err := filepath.EvalSymlinks(filepath.Dir(from))
	if err != nil {
		return "", err
	}
	path := filepath.Join(filepath.Dir(from), ext)
	resolved, err := filepath.EvalSymlinks(path)
	if err != nil {
		return refuse("no such file")
	}
	if rel, err := filepath.Rel(dir, resolved); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return refuse("it lies outside this pack's folder")
	}
	return path, nil
}

// resolvePacks loads each pack's extends, depth first, and returns every
// pack once in dependency order. Names are pack files, relative to the
// extending pack and inside its folder, or "okrmap-default".
func resolvePacks(packs []*Pack) ([]*Pack, error) {
	var out []*Pack
	seen := map[string]string{} // pack name -> its file
	var visit func(p *Pack, stack []string) error
	visit = func(p *Pack, stack []string) error {
		if slices.Contains(stack, p.Name) {
			return engine.Errorf(engine.EINVALID, "rule packs extend each other in a cycle: %s -> %s", strings.Join(stack, " -> "), p.Name)
		}
		where := p.File
		if abs, err := filepath.Abs(p.File); err == nil && p.File != Builtin+".yaml" {
			where = abs
		}
		if file, ok := seen[p.Name]; ok {
			if file != where {
				return engine.Errorf(engine.EINVALID, "two rule packs are named %s (%s and %s); pack names must be unique, and %s is the built-in pack's: rename one",
					p.Name, file, p.File, Builtin)
			}
			return nil
		}
		for _, ext := range p.Extends {
			var parent *Pack
			var err error
			if ext == Builtin {
				parent, err = LoadBuiltin()
			} else {
				if ext, err = extendsPath(p.File, ext); err != nil {
					return err
				}
				parent, err = LoadPack(ext)
			}
			if err != nil {
				return fmt.Errorf("%s extends %s: %w", p.File, ext, err)
			}
			if err := visit(parent, append(stack, p.Name)); err != nil {
				return err
			}
		}
		seen[p.Name] = where
		out = append(out, p)
		return nil
	}
	for _, p := range packs {
		if err := visit(p, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}
