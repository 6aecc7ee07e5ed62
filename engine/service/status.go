package service

import (
	"context"
	"slices"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/audit"
	"github.com/okrmap/okrmap/engine/forecast"
)

// Status is where a scope's key results are heading, as of a day: the
// delivery an audit would judge, and each open key result with a target.
type Status struct {
	Scope      string            `json:"scope"`
	Today      engine.Date       `json:"today"`
	Delivery   engine.Delivery   `json:"delivery"`
	KeyResults []StatusKeyResult `json:"key_results"`
}

// StatusKeyResult is one key result, where it is and where it is heading.
type StatusKeyResult struct {
	Key       string      `json:"key"`
	Title     string      `json:"title"`
	Objective string      `json:"objective"`
	Team      string      `json:"team,omitempty"`
	Owner     string      `json:"owner,omitempty"`
	Unit      string      `json:"unit,omitempty"`
	Current   *float64    `json:"current,omitempty"`
	Target    float64     `json:"target"`
	Due       engine.Date `json:"due,omitzero"`
	Progress  float64     `json:"progress"`
	Expected  float64     `json:"expected_progress"`
	// Status is on_track, at_risk, off_track or no_data (see audit.Status).
	Status   string             `json:"status"`
	Forecast *forecast.Forecast `json:"forecast,omitempty"`
}

// Delivery judges where the key results in scope are heading as of today
// (the service's when zero), without listing them as Status does.
func (s *Service) Delivery(ctx context.Context, scope engine.Scope, today engine.Date) (engine.Delivery, error) {
	g, snap, err := s.Graph(ctx, today)
	if err != nil {
		return engine.Delivery{}, err
	}
	if err := checkTeams(snap.Plan, scope); err != nil {
		return engine.Delivery{}, err
	}
	return audit.Delivery(g, scope), nil
}

// Status judges the delivery of the key results in scope as of today (the
// service's today when zero), worst first: off track, at risk, without
// data, on track; within each, the least likely to land first.
func (s *Service) Status(ctx context.Context, scope engine.Scope, today engine.Date) (*Status, error) {
	g, snap, err := s.Graph(ctx, today)
	if err != nil {
		return nil, err
	}
	if err := checkTeams(snap.Plan, scope); err != nil {
		return nil, err
	}
	out := &Status{Scope: scope.String(), Today: engine.DateOf(g.Today), Delivery: audit.Delivery(g, scope), KeyResults: []StatusKeyResult{}}
	for _, o := range g.Objectives {
		if o.Status != "active" || !scope.Objective(o.Team, o.Period) {
			continue
		}
		for _, kr := range o.KeyResults {
			if !kr.HasTarget {
				continue
			}
			r := StatusKeyResult{Key: kr.Key, Title: kr.Title, Objective: o.Key, Team: o.Team, Owner: kr.Owner, Unit: kr.Unit,
				Target: kr.Target, Progress: kr.Progress, Expected: kr.ExpectedProgress, Status: audit.Status(kr)}
			if kr.HasCurrent {
				r.Current = &kr.Current
			}
			if kr.HasDue {
				r.Due = engine.DateOf(kr.Due)
			}
			if kr.HasForecast {
				r.Forecast = &forecast.Forecast{Value: kr.Forecast, Low: kr.ForecastLow, High: kr.ForecastHigh,
					Likelihood: kr.ForecastLikelihood, Method: forecast.Method}
			}
			out.KeyResults = append(out.KeyResults, r)
		}
	}
	rank := map[string]int{engine.OffTrack: 0, engine.AtRisk: 1, engine.NoData: 2, engine.OnTrack: 3}
	slices.SortStableFunc(out.KeyResults, func(a, b StatusKeyResult) int {
		if d := rank[a.Status] - rank[b.Status]; d != 0 {
			return d
		}
		la, lb := likelihoodOf(a), likelihoodOf(b)
		switch {
		case la < lb:
			return -1
		case la > lb:
			return 1
		}
		return 0
	})
	return out, nil
}

// likelihoodOf is a key result's forecast likelihood, or 1 without one:
// those with a forecast say more and come first.
func likelihoodOf(r StatusKeyResult) float64 {
	if r.Forecast == nil {
		return 1
	}
	return r.Forecast.Likelihood
}
