package service

import (
	"fmt"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/connect"
	"github.com/okrmap/okrmap/engine/plan"
)

// checkSources refuses measures a plan may not read: an HTTP query that
// leaves its connector's url. A plan's author may have fewer rights than
// whoever configured the connector's credentials, so this is checked
// before a plan is stored, and again by the connector before each read.
func (s *Service) checkSources(set *plan.Set) error {
	var probs engine.Problems
	for i := range set.Plan.KPIs {
		k := &set.Plan.KPIs[i]
		if k.Measure == nil {
			continue
		}
		cfg, ok := s.opt.Connectors[k.Measure.From]
		if !ok {
			continue
		}
		if err := connect.CheckMeasure(k.Measure.From, cfg, k.Measure.Query); err != nil {
			probs = append(probs, engine.Problem{File: k.Src.File, Path: k.Src.Path + "/measure/query", Key: k.Key,
				Msg: fmt.Sprintf("%v (connector %s)", err, k.Measure.From)})
		}
	}
	if len(probs) == 0 {
		return nil
	}
	return set.Locate(probs)
}
