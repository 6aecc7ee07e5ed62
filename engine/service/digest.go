package service

import (
	"context"
	"math"
	"slices"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/audit"
)

// Digest is a scope's recent days for the people who run it: what moved,
// what needs attention, and what the latest audit found.
type Digest struct {
	Scope    string               `json:"scope"`
	From     engine.Date          `json:"from"` // the first day of the window
	Today    engine.Date          `json:"today"`
	Delivery engine.DeliveryScore `json:"delivery"`
	// Moved are the key results checked in during the window, by how far
	// they moved (as a share of the way to target), most first.
	Moved []Moved `json:"moved"`
	// Attention are the key results off track or at risk, worst first.
	Attention []StatusKeyResult `json:"attention"`
	// Overdue are key results of active objectives not checked in within
	// their team's cadence, or never.
	Overdue []Overdue `json:"overdue"`
	// Audit is the newest stored audit of the scope (else of the whole
	// plan) and what changed since the run before it; nil without one.
	Audit *DigestAudit `json:"audit,omitempty"`
}

// Moved is a key result's move within the window.
type Moved struct {
	Key      string  `json:"key"`
	Title    string  `json:"title"`
	Team     string  `json:"team,omitempty"`
	Unit     string  `json:"unit,omitempty"`
	From     float64 `json:"from"` // before the window, else its baseline, else its first value in it
	To       float64 `json:"to"`
	Progress float64 `json:"progress_change"` // share of the way to target, -1 to 1
	CheckIns int     `json:"checkins"`
}

// Overdue is a key result whose check-in is due.
type Overdue struct {
	Key         string `json:"key"`
	Team        string `json:"team,omitempty"`
	Owner       string `json:"owner,omitempty"`
	DaysSince   int    `json:"days_since_checkin"` // -1: never
	CadenceDays int    `json:"cadence_days"`
}

// DigestAudit is the part of an audit run a digest shows.
type DigestAudit struct {
	Run      int64            `json:"run"`
	Today    engine.Date      `json:"today"`
	Scope    string           `json:"scope"`
	Previous int64            `json:"previous,omitempty"`
	New      []engine.Finding `json:"new"` // the first maxDigestFindings
	NewCount int              `json:"new_count"`
	Resolved int              `json:"resolved"`
}

// maxDigestFindings bounds the new findings a digest lists.
const maxDigestFindings = 10

// Digest gathers the days days up to today (the service's when zero) for
// scope.
func (s *Service) Digest(ctx context.Context, scope engine.Scope, today engine.Date, days int) (*Digest, error) {
	st, err := s.Status(ctx, scope, today)
	if err != nil {
		return nil, err
	}
	g, snap, err := s.Graph(ctx, today)
	if err != nil {
		return nil, err
	}
	d := &Digest{Scope: st.Scope, Today: st.Today, From: st.Today.AddDays(1 - max(days, 1)), Delivery: st.Delivery.Company,
		Moved: []Moved{}, Attention: []StatusKeyResult{}, Overdue: []Overdue{}}
	for _, r := range st.KeyResults {
		if r.Status == engine.OffTrack || r.Status == engine.AtRisk {
			d.Attention = append(d.Attention, r)
		}
	}
	byKR := map[string][]engine.CheckIn{}
	from, until := d.From.Time(), d.Today.AddDays(1).Time()
	for _, c := range snap.CheckIns {
		if !c.Comment && c.At.Before(until) {
			byKR[c.KeyResult] = append(byKR[c.KeyResult], c)
		}
	}
	for _, o := range g.Objectives {
		if o.Status != "active" || !scope.Objective(o.Team, o.Period) {
			continue
		}
		for _, kr := range o.KeyResults {
			if kr.DaysSinceCheckIn < 0 || kr.DaysSinceCheckIn > kr.CadenceDays {
				d.Overdue = append(d.Overdue, Overdue{Key: kr.Key, Team: kr.Team, Owner: kr.Owner, DaysSince: kr.DaysSinceCheckIn, CadenceDays: kr.CadenceDays})
			}
			cs := byKR[kr.Key]
			slices.SortStableFunc(cs, func(a, b engine.CheckIn) int { return a.At.Compare(b.At) })
			i := slices.IndexFunc(cs, func(c engine.CheckIn) bool { return !c.At.Before(from) })
			if i < 0 {
				continue
			}
			m := Moved{Key: kr.Key, Title: kr.Title, Team: kr.Team, Unit: kr.Unit, From: cs[i].Value, To: cs[len(cs)-1].Value, CheckIns: len(cs) - i}
			switch {
			case i > 0:
				m.From = cs[i-1].Value
			case kr.HasBaseline:
				m.From = kr.Baseline
			}
			if kr.HasBaseline && kr.HasTarget && kr.Target != kr.Baseline {
				m.Progress = (m.To - m.From) / (kr.Target - kr.Baseline)
			}
			d.Moved = append(d.Moved, m)
		}
	}
	slices.SortStableFunc(d.Moved, func(a, b Moved) int {
		switch x, y := math.Abs(a.Progress), math.Abs(b.Progress); {
		case x > y:
			return -1
		case x < y:
			return 1
		}
		return 0
	})
	d.Audit, err = s.digestAudit(ctx, scope)
	return d, err
}

// digestAudit summarises the newest run of scope, else of the whole plan.
func (s *Service) digestAudit(ctx context.Context, scope engine.Scope) (*DigestAudit, error) {
	run, err := s.LatestRun(ctx, scope)
	if engine.ErrorCode(err) == engine.ENOTFOUND && scope.String() != (engine.Scope{}).String() {
		run, err = s.LatestRun(ctx, engine.Scope{})
	}
	if engine.ErrorCode(err) == engine.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	prev, err := s.db.PreviousRun(ctx, run.Scope, run.ID)
	if err != nil {
		return nil, err
	}
	diff := audit.Compare(prev, run)
	out := &DigestAudit{Run: run.ID, Today: run.Today, Scope: run.Scope, New: diff.New[:min(len(diff.New), maxDigestFindings)],
		NewCount: len(diff.New), Resolved: len(diff.Resolved)}
	if prev != nil {
		out.Previous = prev.ID
	}
	return out, nil
}
