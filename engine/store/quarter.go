package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/okrmap/okrmap/engine"
)

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
func (db *DB) CloseQuarter(ctx context.Context, period, next string) (*engine.CloseResult, error) {
	return db.ClosePeriod(ctx, engine.CloseRequest{Period: period, Next: next, Force: true})
}

// closeUndo is what reopening a close restores: the objectives' statuses,
// the key results' scores, and the copies and links the roll-forward made.
type closeUndo struct {
	Statuses map[string]string   `json:"statuses"`
	Scores   map[string]*float64 `json:"scores"`
	Created  []string            `json:"created"` // rolled objectives and key results
	Copies   map[string]string   `json:"copies"`  // closed key -> its copy's key
	Links    [][2]string         `json:"links"`   // KPI, rolled key
}

// ClosePeriod scores and closes a period as CloseQuarter says, and records the
// close so Reopen can undo it.
func (db *DB) ClosePeriod(ctx context.Context, req engine.CloseRequest) (*engine.CloseResult, error) {
	period, next := req.Period, req.Next
	per, err := engine.ParsePeriod(period)
	if err != nil {
		return nil, engine.Errorf(engine.EINVALID, "%v", err)
	}
	res := &engine.CloseResult{Period: per.Name}
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
	if !req.Force && !req.DryRun && !req.Today.IsZero() && !req.Today.After(per.End) {
		return nil, engine.Errorf(engine.ECONFLICT, "period %s runs until %s; closing it now would stop its check-ins", per.Name, per.End)
	}
	run := db.write
	if req.DryRun {
		run = db.read
	}
	undo := closeUndo{Statuses: map[string]string{}, Scores: map[string]*float64{}, Copies: map[string]string{}}
	err = run(ctx, func(tx *Tx) error {
		snap, err := loadSnapshot(ctx, tx)
		if err != nil {
			return err
		}
		upd := &engine.Plan{Version: 1}
		renamed := map[string]string{} // closed key -> rolled key
		copies, copyOf, err := earlierCopies(ctx, tx, per.Name)
		if err != nil {
			return err
		}
		// A key is taken when something else has it: not a copy an earlier
		// close of the period made, which this close finds again.
		other := func(k string) bool { _, stored := snap.ids[k]; return stored && !copies[k] }
		chosen := map[string]bool{} // rolled keys
		rolledKey := func(key string) string {
			k, ok := req.Rename[key]
			if !ok {
				k, ok = copyOf[key]
			}
			if !ok {
				k = rollKey(key, per, nextPer, func(k string) bool { return other(k) || chosen[k] })
			}
			chosen[k] = true
			undo.Copies[key] = k
			return k
		}
		var rolled []engine.Objective
		for _, o := range snap.plan.Objectives {
			if p, err := engine.ParsePeriod(o.Period); err != nil || p.Name != per.Name {
				continue
			}
			undo.Statuses[o.Key] = o.Status
			o.Status = "closed"
			// engine.KRScore a copy: the key results are shared with the snapshot the
			// merge compares against.
			o.KeyResults = slices.Clone(o.KeyResults)
			var open []engine.KeyResult
			for i := range o.KeyResults {
				kr := &o.KeyResults[i]
				undo.Scores[kr.Key] = kr.Score
				score := kr.Progress()
				kr.Score = &score
				res.Scores = append(res.Scores, engine.KRScore{KeyResult: kr.Key, Objective: o.Key, Score: score})
				if score < 1 {
					open = append(open, *kr)
				}
			}
			upd.Objectives = append(upd.Objectives, o)
			res.Closed = append(res.Closed, o.Key)
			if next != "" && len(open) > 0 {
				o.KeyResults = open
				rolled = append(rolled, o)
				renamed[o.Key] = rolledKey(o.Key)
				for _, kr := range open {
					renamed[kr.Key] = rolledKey(kr.Key)
				}
			}
		}
		if len(res.Closed) == 0 {
			return engine.NotFound("period", "no objectives in period %s", per.Name)
		}
		if err := checkRenames(req.Rename, renamed, other, per); err != nil {
			return err
		}
		for _, o := range rolled {
			if _, exists := snap.ids[renamed[o.Key]]; exists {
				continue
			}
			res.Rolled = append(res.Rolled, engine.Rolled{Kind: engine.KindObjective, From: o.Key, To: renamed[o.Key]})
			undo.Created = append(undo.Created, renamed[o.Key])
			c := o
			c.Key, c.Period, c.Status = renamed[o.Key], nextPer.Name, "active"
			if p, ok := renamed[o.Parent]; ok {
				c.Parent = p
			} else if bo := nextBusinessObjective(snap.plan, o.Parent, nextPer); bo != "" {
				c.Parent = bo
			}
			// Alignments follow the key results that roll; the others close.
			c.AlignsTo = nil
			for _, a := range o.AlignsTo {
				if r, ok := renamed[a]; ok && r != c.Parent {
					c.AlignsTo = append(c.AlignsTo, r)
				}
			}
			c.KeyResults = nil
			for _, kr := range o.KeyResults {
				res.Rolled = append(res.Rolled, engine.Rolled{Kind: engine.KindKeyResult, From: kr.Key, To: renamed[kr.Key]})
				undo.Created = append(undo.Created, renamed[kr.Key])
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
				res.Links = append(res.Links, engine.Rolled{Kind: engine.KindKPI, From: k.Key, To: to})
				undo.Links = append(undo.Links, [2]string{k.Key, to})
				added = true
			}
			if added {
				upd.KPIs = append(upd.KPIs, k)
			}
		}
		if _, err := db.applyTx(ctx, tx, snap, upd, nil, engine.ApplyOptions{DryRun: req.DryRun}); err != nil || req.DryRun {
			return err
		}
		b, err := json.Marshal(undo)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "INSERT INTO quarter_close (period, next, closed_at, author, undo) VALUES (?, ?, ?, ?, ?)",
			per.Name, res.Next, db.stamp(), req.Author, string(b))
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// Reopen undoes the latest close of period in one transaction: objectives
// get their status back, key results their score, and the roll-forward's
// copies and links are deleted. It refuses (ECONFLICT) when something was
// built on the close since: a later close, check-ins on a copy, or an
// objective under a copy.
func (db *DB) Reopen(ctx context.Context, period string) (*engine.ReopenResult, error) {
	per, err := engine.ParsePeriod(period)
	if err != nil {
		return nil, engine.Errorf(engine.EINVALID, "%v", err)
	}
	res := &engine.ReopenResult{Period: per.Name}
	err = db.write(ctx, func(tx *Tx) error {
		var id int64
		var text string
		err := tx.QueryRowContext(ctx, "SELECT id, undo FROM quarter_close WHERE period = ? AND reopened_at = '' ORDER BY id DESC LIMIT 1", per.Name).Scan(&id, &text)
		if errors.Is(err, sql.ErrNoRows) {
			return engine.NotFound("period", "period %s has no close to undo", per.Name)
		}
		if err != nil {
			return err
		}
		var later string
		err = tx.QueryRowContext(ctx, "SELECT period FROM quarter_close WHERE id > ? AND reopened_at = '' ORDER BY id LIMIT 1", id).Scan(&later)
		if err == nil {
			return engine.Errorf(engine.ECONFLICT, "period %s was closed after %s; reopen %s first", later, per.Name, later)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var undo closeUndo
		if err := json.Unmarshal([]byte(text), &undo); err != nil {
			return fmt.Errorf("close %d: %w", id, err)
		}
		for _, key := range undo.Created {
			var n int
			err := tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM checkin c JOIN entity e ON e.id = c.key_result_id WHERE e.key = ?1)
				+ (SELECT count(*) FROM objective o JOIN entity p ON p.id = o.parent_id JOIN entity e ON e.id = o.id
				   WHERE p.key = ?1 AND e.key NOT IN (SELECT value FROM json_each(?2)))
				+ (SELECT count(*) FROM objective_align a JOIN entity k ON k.id = a.key_result_id JOIN entity e ON e.id = a.objective_id
				   WHERE k.key = ?1 AND e.key NOT IN (SELECT value FROM json_each(?2)))`, key, mustJSON(undo.Created)).Scan(&n)
			if err != nil {
				return err
			}
			if n > 0 {
				return engine.Errorf(engine.ECONFLICT, "%s, rolled forward by the close, has check-ins or objectives under it since; reopening would lose them", key)
			}
		}
		// Links to the copies, then the copies: key results before objectives.
		for i := len(undo.Created) - 1; i >= 0; i-- {
			key := undo.Created[i]
			if _, err := tx.ExecContext(ctx, "DELETE FROM link WHERE to_id = (SELECT id FROM entity WHERE key = ?)", key); err != nil {
				return err
			}
		}
		// Copies may be each other's parents: unhook them first.
		if _, err := tx.ExecContext(ctx, `UPDATE objective SET parent_id = NULL
			WHERE id IN (SELECT id FROM entity WHERE key IN (SELECT value FROM json_each(?)))`, mustJSON(undo.Created)); err != nil {
			return err
		}
		for _, kind := range []string{"key_result", "objective"} {
			for _, key := range undo.Created {
				r, err := tx.ExecContext(ctx, "DELETE FROM entity WHERE key = ? AND kind = ?", key, kind)
				if err != nil {
					return fmt.Errorf("remove %s: %w", key, err)
				}
				if n, _ := r.RowsAffected(); n > 0 && kind == "objective" {
					res.Removed = append(res.Removed, key)
				}
			}
		}
		for key, status := range undo.Statuses {
			if _, err := tx.ExecContext(ctx, "UPDATE objective SET status = ? WHERE id = (SELECT id FROM entity WHERE key = ?)", status, key); err != nil {
				return err
			}
			res.Reopened = append(res.Reopened, key)
		}
		for key, score := range undo.Scores {
			if _, err := tx.ExecContext(ctx, "UPDATE key_result SET score = ? WHERE id = (SELECT id FROM entity WHERE key = ?)", nullFloat(score), key); err != nil {
				return err
			}
		}
		slices.Sort(res.Reopened)
		_, err = tx.ExecContext(ctx, "UPDATE quarter_close SET reopened_at = ? WHERE id = ?", db.stamp(), id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// rollKey names the copy of key in period to: its suffix for period from is
// replaced, or the suffix for to is added.
// nextBusinessObjective is the business objective a rolled objective
// hangs under when its parent, key, is a business objective whose period
// does not cover next: the one business objective on the same P&L line
// whose period does, else "" (the parent stays).
func nextBusinessObjective(p *engine.Plan, key string, next engine.Period) string {
	i := slices.IndexFunc(p.BusinessObjectives, func(b engine.BusinessObjective) bool { return b.Key == key })
	if i < 0 {
		return ""
	}
	covers := func(b engine.BusinessObjective) bool {
		per, err := engine.ParsePeriod(b.Period)
		return b.Period == "" || err == nil && per.Covers(next)
	}
	if covers(p.BusinessObjectives[i]) {
		return ""
	}
	found := ""
	for _, b := range p.BusinessObjectives {
		if b.Key != key && b.PnLLine == p.BusinessObjectives[i].PnLLine && b.Period != "" && covers(b) {
			if found != "" {
				return "" // two candidates: the owner chooses
			}
			found = b.Key
		}
	}
	return found
}

// earlierCopies returns the keys of the copies that earlier closes of
// period, not reopened, rolled forward, and the copy of each closed key.
func earlierCopies(ctx context.Context, tx *Tx, period string) (map[string]bool, map[string]string, error) {
	out, copyOf := map[string]bool{}, map[string]string{}
	err := each(ctx, tx, "SELECT undo FROM quarter_close WHERE period = ? AND reopened_at = '' ORDER BY id", func(r *sql.Rows) error {
		var text string
		if err := r.Scan(&text); err != nil {
			return err
		}
		var undo closeUndo
		if err := json.Unmarshal([]byte(text), &undo); err != nil {
			return fmt.Errorf("a close of %s: %w", period, err)
		}
		for _, k := range undo.Created {
			out[k] = true
		}
		maps.Copy(copyOf, undo.Copies)
		return nil
	}, period)
	return out, copyOf, err
}

// checkRenames refuses renames of keys that do not roll, and new keys that
// are not keys, are taken or are given twice.
func checkRenames(rename, renamed map[string]string, taken func(string) bool, per engine.Period) error {
	olds := slices.Sorted(maps.Keys(rename))
	for _, old := range olds {
		k := rename[old]
		if _, ok := renamed[old]; !ok {
			return engine.Errorf(engine.EINVALID, "rename %s: it does not roll forward; only objectives of %s with unfinished key results, and those key results, do", old, per.Name)
		}
		if !engine.ValidKey(k) {
			return engine.Errorf(engine.EINVALID, "rename %s=%s: %q is not a key (lower-case letters, digits, - and _)", old, k, k)
		}
		if taken(k) {
			return engine.Errorf(engine.EINVALID, "rename %s=%s: the key %s is taken; choose another", old, k, k)
		}
	}
	seen := map[string]string{}
	for _, old := range slices.Sorted(maps.Keys(renamed)) {
		if first, ok := seen[renamed[old]]; ok {
			return engine.Errorf(engine.EINVALID, "%s and %s would both roll forward as %s; rename one", first, old, renamed[old])
		}
		seen[renamed[old]] = old
	}
	return nil
}

// rollKey names the copy of key in period to. A key that names the closed
// period as one of its dash-separated parts gets the next period's there:
// q4-net-revenue becomes q1-net-revenue, growth-2026-q4 growth-2027-q1.
// Otherwise, or when that key is taken, the next period is appended
// (sme-sqls-2027-q1).
func rollKey(key string, from, to engine.Period, taken func(string) bool) string {
	fromName, toName := strings.ToLower(from.Name), strings.ToLower(to.Name)
	_, fromPart, _ := strings.Cut(fromName, "-")
	_, toPart, _ := strings.Cut(toName, "-")
	for _, r := range [][2]string{{fromName, toName}, {fromPart, toPart}} {
		if r[0] == "" || r[1] == "" || r[0] == r[1] {
			continue
		}
		padded := "-" + key + "-"
		if strings.Contains(padded, "-"+r[0]+"-") {
			k := strings.Trim(strings.Replace(padded, "-"+r[0]+"-", "-"+r[1]+"-", 1), "-")
			if !taken(k) {
				return k
			}
		}
	}
	return strings.TrimSuffix(key, "-"+fromName) + "-" + toName
}
