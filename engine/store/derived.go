package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/formula"
)

// FormulaAuthor is the author of measurements computed from formulas.
const FormulaAuthor = "okrmap (formula)"

// Recompute computes every derived KPI from the latest values of the KPIs
// its formula uses, in dependency order, and records a measurement where
// the value is new. It returns the keys of the KPIs it recorded. A formula
// that gives no value (a value missing, division by zero) records nothing.
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
	insert, err := tx.PrepareContext(ctx, "INSERT INTO measurement (kpi_id, at, value, author, note) VALUES (?, ?, ?, ?, ?)")
	if err != nil {
		return nil, err
	}
	defer insert.Close()
	type point struct {
		value float64
		at    time.Time
		ok    bool
	}
	cache := map[string]point{}
	get := func(key string) (point, error) {
		if p, ok := cache[key]; ok {
			return p, nil
		}
		var p point
		err := latest.QueryRowContext(ctx, ids[key]).Scan(&p.value, timestamp{&p.at})
		switch {
		case err == sql.ErrNoRows:
		case err != nil:
			return p, err
		default:
			p.ok = true
		}
		cache[key] = p
		return p, nil
	}
	var recorded []string
	for _, key := range order {
		values := map[string]float64{}
		var at time.Time
		for _, d := range deps[key] {
			p, err := get(d)
			if err != nil {
				return nil, err
			}
			if p.ok {
				values[formula.Name(d)] = p.value
				if p.at.After(at) {
					at = p.at
				}
			}
		}
		v, ok, err := formula.Eval(formulas[key], values)
		if err != nil {
			return nil, fmt.Errorf("kpi %s: %w", key, err)
		}
		if !ok {
			continue
		}
		prev, err := get(key)
		if err != nil {
			return nil, err
		}
		if prev.ok && prev.value == v && !prev.at.Before(at) {
			continue
		}
		if _, err := insert.ExecContext(ctx, ids[key], at.UTC().Format(timeLayout), v, FormulaAuthor, formulas[key]); err != nil {
			return nil, fmt.Errorf("record %s: %w", key, err)
		}
		if fol == nil {
			if fol, err = newFollower(ctx, tx, false); err != nil {
				return nil, err
			}
		}
		if err := fol.follow(ids[key], key, at, v, FormulaAuthor); err != nil {
			return nil, err
		}
		cache[key] = point{v, at, true}
		recorded = append(recorded, key)
	}
	return recorded, nil
}
