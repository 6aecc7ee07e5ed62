package host

import (
	"context"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/resolve"
)

// Stage runs one pinned plugin as an audit stage (see audit.Stage).
type Stage struct{ Spec Spec }

// Name is the plugin's name.
func (s Stage) Name() string { return s.Spec.Name }

// Run checks the graph with the plugin.
func (s Stage) Run(ctx context.Context, g *resolve.Graph) ([]engine.Finding, engine.PackRef, error) {
	batches, keys := Batches(g)
	res, err := Run(ctx, s.Spec, batches, keys)
	if err != nil {
		return nil, engine.PackRef{}, err
	}
	d := res.Description
	return res.Findings, engine.PackRef{Name: d.GetName(), Version: d.GetVersion(), Rules: len(d.GetRules()), Plugin: true, SHA256: s.Spec.SHA256}, nil
}
