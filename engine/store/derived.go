package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/formula"
)

// FormulaAuthor is the author of measurements computed from formulas.
const FormulaAuthor = "okrmap (formula)"

// Recompute computes every derived KPI, in dependency order, at each time
// one of the KPIs its formula uses was measured since its own latest value
// (each input's latest value as of that time), or, with none, from the
// latest inputs again; it records each value that is not stored yet. It
// returns the keys of the KPIs it recorded. A formula that gives no value
// (a value missing, division by zero) records nothing.
func (db *DB) Recompute(ctx context.Context) ([]string, error) {
	var out []string
	err := db.write(ctx, func(tx *Tx) error {
		var err error
		out, err = recompute(ctx, tx, nil)
		return err
	})
	return out, err
}

// recompute is Recompute inside a write transaction.
// fol, when not nil, is the transaction's follower; recompute makes its own
// otherwise.
func recompute(ctx context.Context, tx *Tx, fol *follower) ([]string, error) {
	formulas := map[string]string{} // key -> formula
	err := each(ctx, tx, "SELECT e.key, k.formula FROM kpi k JOIN entity e ON e.id = k.id WHERE k.formula != ''", func(r *sql.Rows) error {
		var key, f string
		err := r.Scan(&key, &f)
		formulas[key] = f
		return err
	})
	if err != nil || len(formulas) == 0 {
		return nil, err
	}
	ids, err := kpiIDs(ctx, tx)
	if err != nil {
		return nil, err
	}
	byName := make(map[string]string, len(ids))
	for key := range ids {
		byName[formula.Name(key)] = key
	}
	deps := map[string][]string{}
	for key, f := range formulas {
		names, err := formula.Names(f)
		if err != nil {
			return nil, fmt.Errorf("kpi %s: %w", key, err)
		}
		deps[key] = []string{}
		for _, n := range names {
			if d, ok := byName[n]; ok {
				deps[key] = append(deps[key], d)
			}
		}
	}
	order, cycle := formula.Order(deps)
	if cycle != nil {
		return nil, engine.Errorf(engine.EINVALID, "derived KPIs depend on each other in a cycle: %v", cycle)
	}
	latest, err := tx.PrepareContext(ctx, "SELECT value, at FROM measurement WHERE kpi_id = ? ORDER BY at DESC, id DESC LIMIT 1")
	if err != nil {
		return nil, err
	}
	defer latest.Close()
	asOf, err := tx.PrepareContext(ctx, "SELECT value FROM measurement WHERE kpi_id = ? AND at <= ? ORDER BY at DESC, id DESC LIMIT 1")
	if err != nil {
		return nil, err
	}
	defer asOf.Close()
	since, err := tx.PrepareContext(ctx, "SELECT DISTINCT at FROM measurement WHERE kpi_id = ? AND at > ?")
	if err != nil {
		return nil, err
	}
	defer since.Close()
	insert, err := tx.PrepareContext(ctx, "INSERT INTO measurement (kpi_id, at, value, author, note) VALUES (?, ?, ?, ?, ?)")
	if err != nil {
		return nil, err
	}
	defer insert.Close()
	// times returns, oldest first, when any of deps was measured after
	// after: each is a time the derived KPI has a value of its own.
	times := func(deps []string, after time.Time) ([]time.Time, error) {
		set := map[time.Time]bool{}
		for _, d := range deps {
			rows, err := since.QueryContext(ctx, ids[d], after.UTC().Format(timeLayout))
			if err != nil {
				return nil, err
			}
			for rows.Next() {
				var t time.Time
				if err := rows.Scan(timestamp{&t}); err != nil {
					rows.Close()
					return nil, err
				}
				set[t] = true
			}
			if err := rows.Close(); err != nil {
				return nil, err
			}
		}
		out := make([]time.Time, 0, len(set))
		for t := range set {
			out = append(out, t)
		}
		slices.SortFunc(out, time.Time.Compare)
		return out, nil
	}
	// valueAt computes key's formula from its inputs' latest values at t.
	valueAt := func(key string, t time.Time) (float64, bool, error) {
		values := map[string]float64{}
		for _, d := range deps[key] {
			var v float64
			err := asOf.QueryRowContext(ctx, ids[d], t.UTC().Format(timeLayout)).Scan(&v)
			switch {
			case err == sql.ErrNoRows:
			case err != nil:
				return 0, false, err
			default:
				values[formula.Name(d)] = v
			}
		}
		v, ok, err := formula.Eval(formulas[key], values)
		if err != nil {
			return 0, false, fmt.Errorf("kpi %s: %w", key, err)
		}
		return v, ok, nil
	}
	var recorded []string
	for _, key := range order {
		var prev struct {
			value float64
			at    time.Time
			ok    bool
		}
		err := latest.QueryRowContext(ctx, ids[key]).Scan(&prev.value, timestamp{&prev.at})
		switch {
		case err == sql.ErrNoRows:
		case err != nil:
			return nil, err
		default:
			prev.ok = true
		}
		// A value at every time an input was measured since the last
		// computed one, so nine weeks of imported inputs are nine points.
		// With none, the latest inputs again: a changed formula.
		ts, err := times(deps[key], prev.at)
		if err != nil {
			return nil, err
		}
		if len(ts) == 0 && prev.ok {
			ts = []time.Time{prev.at}
		}
		for _, t := range ts {
			v, ok, err := valueAt(key, t)
			if err != nil {
				return nil, err
			}
			if !ok || prev.ok && prev.value == v && !t.After(prev.at) {
				continue // no value, or this one is stored
			}
			if _, err := insert.ExecContext(ctx, ids[key], t.UTC().Format(timeLayout), v, FormulaAuthor, formulas[key]); err != nil {
				return nil, fmt.Errorf("record %s: %w", key, err)
			}
			if fol == nil {
				if fol, err = newFollower(ctx, tx, false); err != nil {
					return nil, err
				}
			}
			if err := fol.follow(ids[key], key, t, v, FormulaAuthor); err != nil {
				return nil, err
			}
			prev.value, prev.at, prev.ok = v, t, true
			if len(recorded) == 0 || recorded[len(recorded)-1] != key {
				recorded = append(recorded, key)
			}
		}
	}
	return recorded, nil
}
