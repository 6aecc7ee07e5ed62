package sqlite

import (
	"context"
	"database/sql"
	"slices"
	"strings"

	"github.com/okrmap/okrmap/engine"
)

// CloseResult says what closing a period did.
type CloseResult struct {
	Period string
	Scores []Score  // every key result of the period, scored
	Closed []string // objectives closed
	Next   string   // the roll-forward period, if any
	Rolled []Rolled // objectives and key results copied into Next
	Links  []Rolled // KPI links copied to rolled objectives and key results
}

// Score is a key result's score at close.
type Score struct {
	KeyResult string
	Objective string
	Score     float64
}

// Rolled is one entity copied forward: From in the closed period, To in the
// next. For links, From is the KPI and To the new target.
type Rolled struct {
	Kind engine.Kind
	From string
	To   string
}

// CloseQuarter scores every key result of the period's objectives (see
// engine.KeyResult.Progress) and closes the objectives, in one transaction.
// With next set, it also copies each objective with unfinished key results
// (score below 1) into next, with only those key results, their current
// value as the new baseline and due at the end of next; KPIs linked to a
// copied objective or key result are linked to the copy too. Copies get the
// key with the period suffix replaced or added (win-sme-2027-q1).
//
// Closing again re-scores and skips copies that already exist. An unknown
// period, or one with no objectives, fails with EINVALID or ENOTFOUND.
func (db *DB) CloseQuarter(ctx context.Context, period, next string) (*CloseResult, error) {
	per, err := engine.ParsePeriod(period)
	if err != nil {
		return nil, engine.Errorf(engine.EINVALID, "%v", err)
	}
	res := &CloseResult{Period: per.Name}
	var nextPer engine.Period
	if next != "" {
		if nextPer, err = engine.ParsePeriod(next); err != nil {
			return nil, engine.Errorf(engine.EINVALID, "roll-forward: %v", err)
		}
		if !nextPer.Start.After(per.End) {
			return nil, engine.Errorf(engine.EINVALID, "roll-forward period %s does not come after %s; name a later period, e.g. %s", nextPer.Name, per.Name, per.Next().Name)
		}
		res.Next = nextPer.Name
	}
	err = db.write(ctx, func(tx *sql.Tx) error {
		snap, err := loadSnapshot(ctx, tx)
		if err != nil {
			return err
		}
		upd := &engine.Plan{Version: 1}
		renamed := map[string]string{} // closed key -> rolled key
		var rolled []engine.Objective
		for _, o := range snap.plan.Objectives {
			if p, err := engine.ParsePeriod(o.Period); err != nil || p.Name != per.Name {
				continue
			}
			o.Status = "closed"
			// Score a copy: the key results are shared with the snapshot the
			// merge compares against.
			o.KeyResults = slices.Clone(o.KeyResults)
			var open []engine.KeyResult
			for i := range o.KeyResults {
				kr := &o.KeyResults[i]
				score := kr.Progress()
				kr.Score = &score
				res.Scores = append(res.Scores, Score{kr.Key, o.Key, score})
				if score < 1 {
					open = append(open, *kr)
				}
			}
			upd.Objectives = append(upd.Objectives, o)
			res.Closed = append(res.Closed, o.Key)
			if next != "" && len(open) > 0 {
				o.KeyResults = open
				rolled = append(rolled, o)
				renamed[o.Key] = rollKey(o.Key, per, nextPer)
				for _, kr := range open {
					renamed[kr.Key] = rollKey(kr.Key, per, nextPer)
				}
			}
		}
		if len(res.Closed) == 0 {
			return engine.NotFound("period", "no objectives in period %s", per.Name)
		}
		for _, o := range rolled {
			if _, exists := snap.ids[renamed[o.Key]]; exists {
				continue
			}
			res.Rolled = append(res.Rolled, Rolled{engine.KindObjective, o.Key, renamed[o.Key]})
			c := o
			c.Key, c.Period, c.Status = renamed[o.Key], nextPer.Name, "active"
			if p, ok := renamed[o.Parent]; ok {
				c.Parent = p
			}
			c.KeyResults = nil
			for _, kr := range o.KeyResults {
				res.Rolled = append(res.Rolled, Rolled{engine.KindKeyResult, kr.Key, renamed[kr.Key]})
				n := kr
				n.Key, n.Objective = renamed[kr.Key], c.Key
				if kr.Current != nil {
					n.Baseline = kr.Current
				}
				if !kr.Due.IsZero() {
					n.Due = nextPer.End
				}
				n.Current, n.Confidence, n.Score = nil, nil, nil
				c.KeyResults = append(c.KeyResults, n)
			}
			upd.Objectives = append(upd.Objectives, c)
		}
		for _, k := range snap.plan.KPIs {
			added := false
			k.Links = slices.Clone(k.Links)
			for _, l := range k.Links {
				to, ok := renamed[l.To]
				if !ok || slices.ContainsFunc(k.Links, func(x engine.Link) bool { return x.To == to }) {
					continue
				}
				if _, exists := snap.ids[to]; exists {
					continue
				}
				l.To = to
				k.Links = append(k.Links, l)
				res.Links = append(res.Links, Rolled{engine.KindKPI, k.Key, to})
				added = true
			}
			if added {
				upd.KPIs = append(upd.KPIs, k)
			}
		}
		_, err = applyTx(ctx, tx, snap, upd, true)
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// rollKey names the copy of key in period to: its suffix for period from is
// replaced, or the suffix for to is added.
func rollKey(key string, from, to engine.Period) string {
	suffix := "-" + strings.ToLower(to.Name)
	return strings.TrimSuffix(key, "-"+strings.ToLower(from.Name)) + suffix
}
