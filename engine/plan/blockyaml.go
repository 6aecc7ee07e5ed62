package plan

import (
	"bytes"
	"encoding"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/okrmap/okrmap/engine"
)

// blockJSON is the fast path for a YAML plan written in block style, as
// okrmap writes plans and as large plans are generated: it turns the file
// into JSON in one pass over its lines, with where each entity starts, for
// parseJSON to decode. Every scalar must read as the YAML library would
// read it into its field (the rules of plainYAML). Anything else - flow
// collections, block scalars, anchors, tags, multi-line plain scalars,
// nulls, a scalar whose type is in doubt - makes it return ok false, and
// the caller reads the file with the YAML library.
func blockJSON(data []byte) (js []byte, at spots, ok bool) {
	b := &blockReader{out: make([]byte, 0, len(data)+len(data)/2), at: spots{}}
	if !b.read(data) {
		return nil, nil, false
	}
	return b.out, b.at, true
}

// frame is an open mapping or sequence.
type frame struct {
	indent int          // the column of its keys or dashes
	seq    bool         // a sequence, not a mapping
	n      int          // entries so far
	typ    reflect.Type // what it decodes into: the struct, or the slice
	path   string       // its path from the root, for positions: /kpis/3
	// depth places entities: 1 for the root's lists and their items, 2
	// for their key_results and links and those lists' items, 3 below;
	// the root is 0.
	depth int
}

type blockReader struct {
	out   []byte
	at    spots
	stack []frame
	// pending is a key whose value is the block on the lines below it.
	pending *pendingKey
}

type pendingKey struct {
	indent int
	typ    reflect.Type
	path   string
	depth  int // of the list it holds, if it holds one
}

func (b *blockReader) read(data []byte) bool {
	for line := 1; len(data) > 0; line++ {
		var text []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			text, data = data[:i], data[i+1:]
		} else {
			text, data = data, nil
		}
		indent := 0
		for indent < len(text) && text[indent] == ' ' {
			indent++
		}
		content := text[indent:]
		if len(content) == 0 || content[0] == '#' {
			continue
		}
		if !b.line(line, indent, content) {
			return false
		}
	}
	if b.pending != nil || len(b.stack) == 0 {
		return false
	}
	for len(b.stack) > 0 {
		b.close()
	}
	return true
}

// line reads one line holding something at column indent.
func (b *blockReader) line(line, indent int, content []byte) bool {
	for _, c := range content {
		if c < 0x20 || c == 0x7f { // tabs, carriage returns: the library decides
			return false
		}
	}
	if len(b.stack) == 0 && b.pending == nil {
		if indent != 0 || bytes.HasPrefix(content, []byte("---")) {
			return false
		}
		b.open(frame{indent: 0, typ: reflect.TypeFor[engine.Plan]()})
	}
	dash := content[0] == '-' && (len(content) == 1 || content[1] == ' ')
	if p := b.pending; p != nil {
		b.pending = nil
		switch {
		case dash && indent >= p.indent && p.typ.Kind() == reflect.Slice:
			b.open(frame{indent: indent, seq: true, typ: p.typ, path: p.path, depth: p.depth})
		case !dash && indent > p.indent && p.typ.Kind() == reflect.Struct:
			b.open(frame{indent: indent, typ: p.typ, path: p.path, depth: 3})
		default:
			return false // a null, or a block of the wrong kind
		}
	}
	for len(b.stack) > 1 && b.top().indent > indent {
		b.close()
	}
	if top := b.top(); top.seq && top.indent == indent && !dash && len(b.stack) > 1 {
		b.close() // a sequence at its key's column ends at the next key
	}
	top := b.top()
	if top.indent != indent {
		return false
	}
	if dash {
		if !top.seq || len(content) < 3 || content[2] == ' ' {
			return false
		}
		b.entry(top)
		path := top.path + "/" + strconv.Itoa(top.n-1)
		col := indent + 2
		if top.depth == 1 || top.depth == 2 {
			b.at.add(top.path, position{line, col + 1})
		}
		rest := content[2:]
		elem := top.typ.Elem()
		for elem.Kind() == reflect.Pointer {
			elem = elem.Elem()
		}
		key, _, ok := splitKey(rest)
		if !ok {
			return false
		}
		if key != nil {
			if elem.Kind() != reflect.Struct {
				return false
			}
			b.open(frame{indent: col, typ: elem, path: path, depth: top.depth})
			return b.keyValue(col, rest)
		}
		return b.scalar(rest, elem)
	}
	if top.seq {
		return false
	}
	return b.keyValue(indent, content)
}

// keyValue reads "key: value" or "key:" into the mapping on top.
func (b *blockReader) keyValue(indent int, content []byte) bool {
	key, value, ok := splitKey(content)
	if !ok || key == nil {
		return false
	}
	top := b.top()
	t, known := yamlFields(top.typ)[string(key)]
	if !known {
		return false
	}
	b.entry(top)
	b.out = append(b.out, '"')
	b.out = append(b.out, key...)
	b.out = append(b.out, '"', ':')
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if len(value) == 0 {
		depth := 3
		switch {
		case top.depth == 0:
			depth = 1
		case top.depth == 1 && nestedLists[string(key)]:
			depth = 2
		}
		b.pending = &pendingKey{indent: indent, typ: t, path: top.path + "/" + string(key), depth: depth}
		return true
	}
	return b.scalar(value, t)
}

// nestedLists are the lists inside entities whose items are entities too.
var nestedLists = map[string]bool{"key_results": true, "links": true}

var (
	keyName        = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
	jsonInt        = regexp.MustCompile(`^-?(0|[1-9][0-9]{0,14})$`)
	jsonNumberText = regexp.MustCompile(`^-?(0|[1-9][0-9]{0,14})(\.[0-9]{1,15})?([eE][-+]?[0-9]{1,3})?$`)
	isoDate        = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
	// digitText is text starting with a digit that YAML reads as a string:
	// quarters, halves and months (2026-Q4, 2026-H1, 2026-11).
	digitText = regexp.MustCompile(`^[0-9]{4}-(Q[1-4]|H[12]|[0-9]{2})$`)
)

// splitKey splits "key: value" or "key:" at the first colon followed by
// a space or the end. key is nil when there is none: content is a scalar.
// ok is false when the text before that colon is not a plain key.
func splitKey(content []byte) (key, value []byte, ok bool) {
	for i := 0; i < len(content); i++ {
		if content[i] != ':' || i+1 < len(content) && content[i+1] != ' ' {
			continue
		}
		if !keyName.Match(content[:i]) {
			return nil, nil, false
		}
		return content[:i], bytes.TrimLeft(content[i+1:], " "), true
	}
	return nil, nil, true
}

// scalar writes one scalar value of type t, if YAML reads it as such.
func (b *blockReader) scalar(value []byte, t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	text, quoted, ok := scalarText(value)
	if !ok || len(text) == 0 {
		return false // an empty or null value: a typed value cannot tell it from none
	}
	textual := t.Implements(textUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler)
	switch {
	case textual:
		if !quoted && !plainString(text) && !isoDate.Match(text) {
			return false
		}
	case t.Kind() == reflect.String:
		if !quoted && !plainString(text) {
			return false
		}
	case t.Kind() == reflect.Int && !quoted && jsonInt.Match(text),
		t.Kind() == reflect.Float64 && !quoted && jsonNumberText.Match(text):
		if bytes.HasPrefix(text, []byte("-0")) {
			return false // YAML reads -0 as the integer 0
		}
		b.out = append(b.out, text...)
		return true
	case t.Kind() == reflect.Slice && !quoted && string(text) == "[]":
		b.out = append(b.out, '[', ']')
		return true
	default:
		return false
	}
	out, err := jsontext.AppendQuote(b.out, text)
	if err != nil {
		return false
	}
	b.out = out
	return true
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

// scalarText returns a value's text: a plain scalar without its comment,
// or a quoted one unquoted. ok is false for any other kind of value.
func scalarText(value []byte) (text []byte, quoted, ok bool) {
	switch value[0] {
	case '\'':
		end := 1
		var s []byte
		for {
			i := bytes.IndexByte(value[end:], '\'')
			if i < 0 {
				return nil, false, false
			}
			s = append(s, value[end:end+i]...)
			end += i + 1
			if end < len(value) && value[end] == '\'' {
				s = append(s, '\'')
				end++
				continue
			}
			break
		}
		return s, true, afterScalar(value[end:])
	case '"':
		i := 1
		for i < len(value) && value[i] != '"' {
			if value[i] == '\\' { // escapes differ between YAML and JSON
				return nil, false, false
			}
			i++
		}
		if i == len(value) {
			return nil, false, false
		}
		return value[1:i], true, afterScalar(value[i+1:])
	}
	if i := bytes.Index(value, []byte(" #")); i >= 0 {
		value = value[:i]
	}
	value = bytes.TrimRight(value, " ")
	if bytes.Contains(value, []byte(": ")) || bytes.HasSuffix(value, []byte(":")) {
		return nil, false, false
	}
	return value, false, true
}

// afterScalar reports whether what follows a quoted scalar is nothing or
// a comment.
func afterScalar(rest []byte) bool {
	rest = bytes.TrimLeft(rest, " ")
	return len(rest) == 0 || rest[0] == '#'
}

// plainString reports whether the YAML library reads a plain scalar as a
// string. Text starting with a letter is one unless it is a boolean or a
// null; text starting with a digit is one when it is no number (as the
// library parses numbers) and does not start like a date, quarters,
// halves and months (2026-Q4) aside. Of other first characters only a few
// that start nothing else are let through; the rest are left to the
// library.
func plainString(text []byte) bool {
	switch c := text[0]; {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		switch string(text) {
		case "true", "True", "TRUE", "false", "False", "FALSE", "null", "Null", "NULL",
			"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF":
			return false
		}
		return true
	case '0' <= c && c <= '9':
		if digitText.Match(text) {
			return true
		}
		if len(text) > 4 && text[4] == '-' && isoDigits(text[:4]) {
			return false // a date or a time, maybe
		}
		plain := strings.ReplaceAll(string(text), "_", "")
		if _, err := strconv.ParseInt(plain, 0, 64); err == nil {
			return false
		}
		if _, err := strconv.ParseUint(plain, 0, 64); err == nil {
			return false
		}
		return !yamlFloat.MatchString(plain) && !strings.HasPrefix(plain, "0b") && !strings.HasPrefix(plain, "0o")
	case c == '$' || c == '(' || c == '/':
		return true
	}
	return false
}

// yamlFloat is what the YAML library reads as a float.
var yamlFloat = regexp.MustCompile(`^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`)

func isoDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func (b *blockReader) top() *frame { return &b.stack[len(b.stack)-1] }

func (b *blockReader) open(f frame) {
	if f.seq {
		b.out = append(b.out, '[')
	} else {
		b.out = append(b.out, '{')
	}
	b.stack = append(b.stack, f)
}

func (b *blockReader) close() {
	if b.top().seq {
		b.out = append(b.out, ']')
	} else {
		b.out = append(b.out, '}')
	}
	b.stack = b.stack[:len(b.stack)-1]
}

// entry starts the next entry of f.
func (b *blockReader) entry(f *frame) {
	if f.n > 0 {
		b.out = append(b.out, ',')
	}
	f.n++
}
