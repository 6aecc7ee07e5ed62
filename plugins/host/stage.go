package host

import (
	"context"
	"fmt"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/resolve"
	pb "github.com/okrmap/okrmap/plugins/proto/okrmap/plugin/v1"
)

// Stage runs one plugin as an audit stage (see audit.Stage). Dev marks an
// unpinned binary run in development mode; its PackRef says so.
type Stage struct {
	Spec Spec
	Dev  bool
	// History loads the history the plugin is sent with the graph; nil
	// sends none. Each kind reaches Days back (plugins.history_days), or
	// as far as the plugin declares it needs, up to MaxDays
	// (plugins.max_history_days), with a warning when that caps it.
	History       HistoryLoader
	Days, MaxDays int
}

// HistoryLoader returns the measurements of the days before today
// (measurementDays) and the check-ins (checkInDays).
type HistoryLoader func(measurementDays, checkInDays int) (*History, error)

// Name is the plugin's name.
func (s Stage) Name() string { return s.Spec.Name }

// Run checks the graph with the plugin.
func (s Stage) Run(ctx context.Context, g *resolve.Graph) ([]engine.Finding, engine.PackRef, error) {
	res, err := RunWith(ctx, s.Spec, func(d *pb.Description) ([]*pb.GraphBatch, Keys, error) {
		var h *History
		if s.History != nil {
			m, c := s.historyDays(d)
			var err error
			if h, err = s.History(m, c); err != nil {
				return nil, nil, fmt.Errorf("load the history it is sent: %w", err)
			}
		}
		batches, keys := Batches(g, h)
		return batches, keys, nil
	})
	if err != nil {
		return nil, engine.PackRef{Name: s.Spec.Name, Plugin: true, SHA256: s.Spec.SHA256, Failed: true, Dev: s.Dev}, err
	}
	d := res.Description
	return res.Findings, engine.PackRef{Name: d.GetName(), Version: d.GetVersion(), Rules: len(d.GetRules()), Plugin: true,
		SHA256: s.Spec.SHA256, Dev: s.Dev}, nil
}

// historyDays is how far back each kind of history the plugin gets
// reaches: Days, or what it declares, up to MaxDays.
func (s Stage) historyDays(d *pb.Description) (measurements, checkIns int) {
	h := d.GetHistory()
	measurements, checkIns = max(s.Days, int(h.GetMeasurementDays())), max(s.Days, int(h.GetCheckinDays()))
	if measurements > s.MaxDays || checkIns > s.MaxDays {
		if s.Spec.Log != nil {
			s.Spec.Log.Warn("the plugin asks for more history than plugins.max_history_days allows; its rules judge on less",
				"plugin", s.Spec.Name, "measurement_days", h.GetMeasurementDays(), "checkin_days", h.GetCheckinDays(), "max_history_days", s.MaxDays)
		}
		measurements, checkIns = min(measurements, s.MaxDays), min(checkIns, s.MaxDays)
	}
	return measurements, checkIns
}
