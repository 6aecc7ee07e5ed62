package dashboard

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/tree"
)

// The alignment map renders the tree lazily: the P&L lines and business
// objectives at first, a node's children when it is opened (fetched by
// the script, or by following the link without it), and long child lists
// in chunks. A search opens the path to every match.
const (
	chunk      = 50 // children rendered at once
	maxMatches = 50 // search matches opened
	maxOpen    = 20 // paths kept open through links
)

// nodeView is a node as rendered: its path addresses it in the tree (a
// group letter, then child indexes: l.0.2).
type nodeView struct {
	*tree.Node
	Path     string
	Open     bool // its children are rendered
	Hit      bool // it matches the search
	Children []nodeView
	Count    int // its children
	List     rendered
}

// rendered says how much of a node's (or group's) children is rendered.
type rendered struct {
	Next int // when > 0, the index of the first child not rendered
	// Filtered is true when only the children on a search's paths are
	// rendered.
	Filtered bool
}

type mapGroup struct {
	ID, Title, Note string
	Nodes           []nodeView
	Count           int
	List            rendered
}

type mapData struct {
	Query      string
	Matches    []mapMatch
	MatchTotal int
	Groups     []mapGroup
	KPIs       int
	Empty      bool
}

type mapMatch struct {
	Path  string
	Node  *tree.Node
	Trail []string // titles above it
}

// groups are the tree's top-level lists by path letter.
func groups(t *tree.Tree) map[string][]*tree.Node {
	return map[string][]*tree.Node{"l": t.Lines, "u": t.Unparented, "a": t.Unaligned}
}

func (d *Dashboard) alignmentMap(r *http.Request, v *view) (content, error) {
	t, err := d.svc.Tree(r.Context(), v.Scope, 0)
	if err != nil {
		return content{}, err
	}
	q := r.URL.Query()
	data := mapData{Query: strings.TrimSpace(q.Get("q")), KPIs: t.KPIs, Empty: t.Empty}
	b := renderer{open: map[string]bool{}, found: map[string]bool{}, hits: map[string]bool{}, all: map[string]bool{}}
	for i, p := range q["open"] {
		if i < maxOpen && validPath(p) {
			markOpen(b.open, p)
		}
	}
	for i, p := range q["all"] {
		if i < maxOpen && (validPath(p) || groups(t)[p] != nil) {
			b.all[p] = true
		}
	}
	if data.Query != "" {
		data.Matches, data.MatchTotal = search(t, strings.ToLower(data.Query))
		for _, m := range data.Matches {
			b.hits[m.Path] = true
			markOpen(b.found, parent(m.Path))
		}
	}
	for _, g := range []struct{ id, title, note string }{
		{"l", "P&L lines", "Business objectives by the P&L line they sit on, with everything below them."},
		{"u", "Objectives that reach no business objective", "Their parent chain stops short of a business objective on a P&L line."},
		{"a", "KPIs that reach nothing", "Their links reach no business objective on a P&L line: link them, or retire them."},
	} {
		ns := groups(t)[g.id]
		mg := mapGroup{ID: g.id, Title: g.title, Note: g.note, Count: len(ns)}
		mg.Nodes, mg.List = b.children(ns, g.id, 0, g.id == "l")
		data.Groups = append(data.Groups, mg)
	}
	return content{template: "map", title: "Alignment map", nav: "map", data: data}, nil
}

// children answers the script's request for the children of a node, from
// an index on, as an HTML fragment.
func (d *Dashboard) children(w http.ResponseWriter, r *http.Request) {
	v := d.newView(w, r)
	if v.Who.Role == "" {
		http.Error(w, "sign in to read", http.StatusUnauthorized)
		return
	}
	if v.scopeErr != nil {
		http.Error(w, v.scopeErr.Error(), http.StatusBadRequest)
		return
	}
	t, err := d.svc.Tree(r.Context(), v.Scope, 0)
	if err != nil {
		d.fail(w, r, v, err)
		return
	}
	p := r.URL.Query().Get("path")
	from, _ := strconv.Atoi(r.URL.Query().Get("from"))
	var ns []*tree.Node
	if len(p) == 1 {
		ns = groups(t)[p]
	} else if n := lookup(t, p); n != nil {
		ns = n.Children
	} else {
		http.Error(w, "the plan has changed since this page was loaded: reload it", http.StatusNotFound)
		return
	}
	if from < 0 || from > len(ns) {
		from = 0
	}
	nodes, l := renderer{}.children(ns, p, from, false)
	var buf bytes.Buffer
	err = d.pages["map"].ExecuteTemplate(&buf, "nodes", map[string]any{"Nodes": nodes, "List": l, "Parent": p,
		"Count": len(ns), "View": v})
	if err != nil {
		d.log.Error("rendering map nodes", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes())
}

// renderer decides which nodes of the map are rendered: a chunk of each
// rendered list, the children of nodes opened through links (open, and
// all for whole lists), and the paths to search matches (found, hits).
type renderer struct {
	open, found, hits, all map[string]bool
}

// children renders ns, the children of the node (or group) at prefix,
// from index from; openAll opens each of them too (the P&L lines).
//
// A list opened only by a search shows just the nodes on its paths. Any
// other shows a chunk, widened to reach the open and matching nodes in
// it, or all of it when asked.
func (b renderer) children(ns []*tree.Node, prefix string, from int, openAll bool) ([]nodeView, rendered) {
	var l rendered
	end := len(ns)
	if l.Filtered = b.found[prefix] && !b.open[prefix] && !b.all[prefix]; !l.Filtered && !b.all[prefix] {
		end = min(len(ns), from+chunk)
		for i := end; i < len(ns); i++ {
			if p := childPath(prefix, i); b.open[p] || b.found[p] || b.hits[p] {
				end = i + 1
			}
		}
		if end < len(ns) {
			l.Next = end
		}
	}
	var out []nodeView
	for i := from; i < end; i++ {
		p := childPath(prefix, i)
		if l.Filtered && !b.found[p] && !b.hits[p] {
			continue
		}
		nv := nodeView{Node: ns[i], Path: p, Hit: b.hits[p], Count: len(ns[i].Children)}
		if nv.Count > 0 && (openAll || b.open[p] || b.found[p]) {
			nv.Open = true
			nv.Children, nv.List = b.children(ns[i].Children, p, 0, false)
		}
		out = append(out, nv)
	}
	return out, l
}

func childPath(prefix string, i int) string { return prefix + "." + strconv.Itoa(i) }

// search finds nodes whose key or title contains q (lower case): the
// first maxMatches with their trails, and how many there are. An entity
// the tree shows in several places (a KPI linked to several key results)
// is a match once per period, its trail naming the period.
func search(t *tree.Tree, q string) ([]mapMatch, int) {
	var out []mapMatch
	total := 0
	seen := map[string]bool{} // key and period of a match
	var walk func(ns []*tree.Node, prefix string, trail []string, period string)
	walk = func(ns []*tree.Node, prefix string, trail []string, period string) {
		for i, n := range ns {
			p := childPath(prefix, i)
			per := period
			if n.Kind == string(engine.KindObjective) && n.Period != "" {
				per = n.Period
			}
			if strings.Contains(strings.ToLower(n.Key), q) || strings.Contains(strings.ToLower(n.Title), q) {
				if id := n.Kind + ":" + n.Key + "@" + per; n.Key == "" || !seen[id] {
					seen[id] = true
					total++
					if len(out) < maxMatches {
						out = append(out, mapMatch{Path: p, Node: n, Trail: append([]string(nil), trail...)})
					}
				}
			}
			walk(n.Children, p, append(trail, label(n)), per)
		}
	}
	for _, id := range []string{"l", "u", "a"} {
		walk(groups(t)[id], id, nil, "")
	}
	return out, total
}

func label(n *tree.Node) string {
	if n.Kind == tree.KindPnLLine {
		if n.Title == "" {
			return "No P&L line"
		}
		return "P&L line " + words(n.Title)
	}
	if n.Kind == string(engine.KindObjective) && n.Period != "" {
		return n.Title + " · " + n.Period
	}
	return n.Title
}

// lookup returns the node at path p, or nil.
func lookup(t *tree.Tree, p string) *tree.Node {
	parts := strings.Split(p, ".")
	ns := groups(t)[parts[0]]
	var n *tree.Node
	for _, s := range parts[1:] {
		i, err := strconv.Atoi(s)
		if err != nil || i < 0 || i >= len(ns) {
			return nil
		}
		n = ns[i]
		ns = n.Children
	}
	return n
}

func validPath(p string) bool {
	if len(p) > 200 {
		return false
	}
	parts := strings.Split(p, ".")
	if len(parts) < 2 || parts[0] != "l" && parts[0] != "u" && parts[0] != "a" {
		return false
	}
	for _, s := range parts[1:] {
		if _, err := strconv.Atoi(s); err != nil {
			return false
		}
	}
	return true
}

// markOpen opens p and every path above it.
func markOpen(open map[string]bool, p string) {
	for strings.Contains(p, ".") {
		open[p] = true
		p = parent(p)
	}
}

func parent(p string) string {
	if i := strings.LastIndexByte(p, '.'); i >= 0 {
		return p[:i]
	}
	return p
}

// entityURL is the page of an entity of kind; objectives and business
// objectives open in the map.
func entityURL(kind, key string) string {
	switch engine.Kind(kind) {
	case engine.KindKPI:
		return "/kpis/" + url.PathEscape(key)
	case engine.KindKeyResult:
		return "/key-results/" + url.PathEscape(key)
	case engine.KindTeam:
		return "/teams/" + url.PathEscape(key)
	case "":
		return ""
	}
	return "/map?q=" + url.QueryEscape(key)
}
