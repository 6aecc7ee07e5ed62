package service

import (
	"context"
	"maps"
	"slices"
	"sync"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/resolve"
	"github.com/okrmap/okrmap/engine/tree"
)

// Tree returns the alignment tree of scope, as stored now and judged as of
// today, cut below depth levels when depth is positive (see tree.Limit).
// Trees are cached with the graph they were built from.
func (s *Service) Tree(ctx context.Context, scope engine.Scope, depth int) (*tree.Tree, error) {
	g, snap, err := s.Graph(ctx, engine.Date{})
	if err != nil {
		return nil, err
	}
	if err := checkTeams(snap.Plan, scope); err != nil {
		return nil, err
	}
	return s.treeEntry(g, scope.String()).get(g, scope, depth), nil
}

// treeEntry is one scope's tree of one graph, built once however many
// requests ask for it at the same time.
type treeEntry struct {
	mu      sync.Mutex // held while the tree is built
	tree    *tree.Tree
	limited map[int]*tree.Tree // by depth
	used    bool               // a reader asked for it
}

// get returns the tree of scope in g cut at depth, building it on first
// use; the same *tree.Tree for the same depth, so front ends can cache
// what they render from it.
func (e *treeEntry) get(g *resolve.Graph, scope engine.Scope, depth int) *tree.Tree {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.used = true
	return e.build(g, scope, depth)
}

// build is get without marking the entry used; e.mu is held.
func (e *treeEntry) build(g *resolve.Graph, scope engine.Scope, depth int) *tree.Tree {
	if e.tree == nil {
		e.tree = tree.Build(g, scope)
	}
	return e.limit(depth)
}

// limit is get's cut; e.mu is held.
func (e *treeEntry) limit(depth int) *tree.Tree {
	if depth <= 0 {
		return e.tree
	}
	if t, ok := e.limited[depth]; ok {
		return t
	}
	if e.limited == nil {
		e.limited = map[int]*tree.Tree{}
	}
	t := e.tree.Limit(depth)
	e.limited[depth] = t
	return t
}

// treeEntry returns the cache entry of scope for graph g; an entry that is
// not cached when g is no longer the cached graph.
func (s *Service) treeEntry(g *resolve.Graph, scope string) *treeEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.graph
	if c == nil || c.graph != g {
		return &treeEntry{}
	}
	if c.trees == nil {
		c.trees = map[string]*treeEntry{}
	}
	e := c.trees[scope]
	if e == nil {
		e = &treeEntry{}
		c.trees[scope] = e
	}
	return e
}

// rebuildTrees builds for g the trees of entries (an older graph's) that
// readers asked for, at the depths they asked; a tree nobody read since the
// last refresh is dropped.
func rebuildTrees(g *resolve.Graph, entries map[string]*treeEntry) map[string]*treeEntry {
	out := map[string]*treeEntry{}
	for key, old := range entries {
		scope, err := engine.ParseScope(key)
		old.mu.Lock()
		used, depths := old.used, slices.Collect(maps.Keys(old.limited))
		old.mu.Unlock()
		if err != nil || !used {
			continue
		}
		e := &treeEntry{}
		for _, d := range append(depths, 0) {
			e.build(g, scope, d)
		}
		out[key] = e
	}
	return out
}
