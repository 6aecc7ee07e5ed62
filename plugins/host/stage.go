package host

import (
	"context"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/resolve"
)

// Stage runs one plugin as an audit stage (see audit.Stage). Dev marks an
// unpinned binary run in development mode; its PackRef says so. History,
// if set, goes to the plugin with the graph.
type Stage struct {
	Spec    Spec
	Dev     bool
	History *History
}

// Name is the plugin's name.
func (s Stage) Name() string { return s.Spec.Name }

// Run checks the graph with the plugin.
func (s Stage) Run(ctx context.Context, g *resolve.Graph) ([]engine.Finding, engine.PackRef, error) {
	batches, keys := Batches(g, s.History)
	res, err := Run(ctx, s.Spec, batches, keys)
	if err != nil {
		return nil, engine.PackRef{Name: s.Spec.Name, Plugin: true, SHA256: s.Spec.SHA256, Failed: true, Dev: s.Dev}, err
	}
	d := res.Description
	return res.Findings, engine.PackRef{Name: d.GetName(), Version: d.GetVersion(), Rules: len(d.GetRules()), Plugin: true,
		SHA256: s.Spec.SHA256, Dev: s.Dev}, nil
}
