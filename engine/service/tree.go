package service

import (
	"context"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/tree"
)

// Tree returns the alignment tree of scope, as stored now and judged as of
// today.
func (s *Service) Tree(ctx context.Context, scope engine.Scope) (*tree.Tree, error) {
	g, snap, err := s.Graph(ctx, engine.Date{})
	if err != nil {
		return nil, err
	}
	if err := checkTeams(snap.Plan, scope); err != nil {
		return nil, err
	}
	return tree.Build(g, scope), nil
}
