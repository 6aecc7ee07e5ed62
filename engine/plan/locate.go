package plan

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
	"go.yaml.in/yaml/v3"

	"github.com/okrmap/okrmap/engine"
)

// locateJSON sets the line and column of the problems in ps that point into
// file, a JSON document, in one pass of a tokenizer that skips every value
// no problem points into: a large plan is not parsed into a tree to place a
// few findings. A path that goes further than the document gets the
// position of its deepest value there, as lookup does. It returns false,
// changing nothing, when data is not one JSON document.
func locateJSON(data []byte, file string, ps engine.Problems) bool {
	root := &pathTrie{}
	for i := range ps {
		p := &ps[i]
		if p.File != file || p.Line > 0 {
			continue
		}
		t := root
		for _, tok := range strings.Split(strings.TrimPrefix(p.Path, "/"), "/") {
			if tok == "" {
				continue
			}
			tok = unescape(tok)
			if t.kids == nil {
				t.kids = map[string]*pathTrie{}
			}
			if t.kids[tok] == nil {
				t.kids[tok] = &pathTrie{}
			}
			t = t.kids[tok]
		}
		t.probs = append(t.probs, p)
	}
	w := &jsonWalker{data: data, dec: jsontext.NewDecoder(bytes.NewReader(data)), cur: newLineCursor(data)}
	if w.value(root) != nil {
		return false
	}
	root.place(nil)
	return true
}

// pathTrie holds the problems by the JSON pointer tokens of their paths,
// and where the walk found each path's value.
type pathTrie struct {
	kids  map[string]*pathTrie
	probs []*engine.Problem
	at    *position // nil when the document has no value there
}

// place gives each problem at or below t the position of its deepest path
// prefix found in the document; at is that of t's parent.
func (t *pathTrie) place(at *position) {
	if t.at != nil {
		at = t.at
	}
	for _, p := range t.probs {
		if at != nil {
			p.Line, p.Column = at.line, at.col
		}
	}
	for _, k := range t.kids {
		k.place(at)
	}
}

type jsonWalker struct {
	data []byte
	dec  *jsontext.Decoder
	cur  *lineCursor
}

type position struct{ line, col int }

// entityPositions returns where each entity of a plan's root mapping
// starts (/kpis/3, /objectives/0/key_results/1 ...): the problems of
// validation and of rules point there.
func entityPositions(root *yaml.Node) spots {
	at := spots{}
	var list func(n *yaml.Node, path string, nested map[string]bool)
	list = func(n *yaml.Node, path string, nested map[string]bool) {
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i, item := range n.Content {
			at.add(path, position{item.Line, item.Column})
			if item.Kind != yaml.MappingNode {
				continue
			}
			for j := 0; j+1 < len(item.Content); j += 2 {
				if k := item.Content[j].Value; nested[k] {
					list(item.Content[j+1], path+"/"+strconv.Itoa(i)+"/"+k, nil)
				}
			}
		}
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k := root.Content[i].Value
		list(root.Content[i+1], "/"+k, nestedLists)
	}
	return at
}

// value reads the next value, noting its position in t.
func (w *jsonWalker) value(t *pathTrie) error {
	if t == nil {
		return w.dec.SkipValue()
	}
	w.mark(t)
	if len(t.kids) == 0 {
		return w.dec.SkipValue()
	}
	tok, err := w.dec.ReadToken()
	if err != nil {
		return err
	}
	switch tok.Kind() {
	case '{':
		for w.dec.PeekKind() != '}' {
			name, err := w.dec.ReadToken()
			if err != nil {
				return err
			}
			if err := w.value(t.kids[name.String()]); err != nil {
				return err
			}
		}
		_, err = w.dec.ReadToken()
	case '[':
		for i := 0; w.dec.PeekKind() != ']'; i++ {
			if err := w.value(t.kids[strconv.Itoa(i)]); err != nil {
				return err
			}
		}
		_, err = w.dec.ReadToken()
	}
	return err
}

// mark notes in t the position of the next token.
func (w *jsonWalker) mark(t *pathTrie) {
	start := int(w.dec.InputOffset())
	for start < len(w.data) && strings.IndexByte(" \t\r\n,:", w.data[start]) >= 0 {
		start++
	}
	at := w.cur.at(start)
	t.at = &at
}

// spots holds where the entities of one file start: the position of each
// element of a list of entities, by the list's path (/kpis,
// /objectives/3/key_results ...). Locate places most problems with it
// without reading the file again.
type spots map[string][]position

// add notes where the next element of list starts.
func (s spots) add(list string, at position) { s[list] = append(s[list], at) }

// find returns where the entity at path (/kpis/7) starts.
func (s spots) find(path string) (position, bool) {
	i := strings.LastIndexByte(path, '/')
	if i < 0 {
		return position{}, false
	}
	l := s[path[:i]]
	n, err := strconv.Atoi(path[i+1:])
	if err != nil || n < 0 || n >= len(l) || l[n].line == 0 {
		return position{}, false
	}
	return l[n], true
}

// lineCursor turns offsets into data, taken in increasing order, into
// lines and columns (in runes, from 1).
type lineCursor struct {
	data      []byte
	off, line int
	col       int // runes between the start of the line and off
}

func newLineCursor(data []byte) *lineCursor { return &lineCursor{data: data, line: 1} }

// at returns the position of offset off; an offset before the last one
// asked for has none (line 0).
func (c *lineCursor) at(off int) position {
	if off < c.off || off > len(c.data) {
		return position{}
	}
	seg := c.data[c.off:off]
	if i := bytes.LastIndexByte(seg, '\n'); i >= 0 {
		c.line += bytes.Count(seg, []byte("\n"))
		c.col = utf8.RuneCount(seg[i+1:])
	} else {
		c.col += utf8.RuneCount(seg)
	}
	c.off = off
	return position{c.line, c.col + 1}
}

// jsonSpots returns where the entities of a JSON document start, from
// the lists topLists found in it.
func jsonSpots(data []byte, lists map[string]*jsonList) spots {
	ordered := make([]string, 0, len(lists))
	for name := range lists {
		ordered = append(ordered, name)
	}
	slices.SortFunc(ordered, func(a, b string) int { return lists[a].open - lists[b].open })
	s := spots{}
	c := newLineCursor(data)
	for _, name := range ordered {
		l := lists[name]
		path := "/" + name
		s[path] = make([]position, 0, len(l.starts))
		for i, off := range l.starts {
			s.add(path, c.at(off))
			if i < len(l.keyResults) && len(l.keyResults[i]) > 0 {
				krs := path + "/" + strconv.Itoa(i) + "/key_results"
				for _, off := range l.keyResults[i] {
					s.add(krs, c.at(off))
				}
			}
		}
	}
	return s
}
