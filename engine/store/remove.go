package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/formula"
)

// Remove deletes the entities keys name in one transaction, with what
// cannot stay without them (see engine.Plan.Remove). Without opts.Cascade
// it refuses with ECONFLICT, naming them, when anything else would go or
// lose a reference. What remains must be valid: a formula that uses a
// removed KPI returns engine.Problems. Deleted entities are archived with
// their check-ins or measurements. With opts.DryRun nothing is written.
func (db *DB) Remove(ctx context.Context, keys []string, opts engine.RemoveOptions) (engine.Removal, error) {
	var rm engine.Removal
	run := db.write
	if opts.DryRun {
		run = db.read
	}
	err := run(ctx, func(tx *Tx) error {
		snap, err := loadSnapshot(ctx, tx)
		if err != nil {
			return err
		}
		after, r, err := snap.plan.Remove(keys...)
		if err != nil {
			return err
		}
		rm = r
		if deps := r.Dependents(); len(deps) > 0 && !opts.Cascade {
			return engine.Errorf(engine.ECONFLICT, "%s cannot go alone: %s; change them first, or cascade: it deletes what cannot stay and cuts the other references (see the list with --cascade --dry-run)",
				r.Deleted[0], listed(deps, 10))
		}
		if probs := append(after.Validate(), formula.Check(after)...); len(probs) > 0 {
			return probs
		}
		if opts.DryRun {
			return nil
		}
		// What stays loses its references first, then what goes is
		// archived and deleted.
		var cs engine.Changes
		for _, c := range r.Cut {
			cs = append(cs, engine.Change{Kind: c.Kind, Key: c.Key, Action: engine.Updated})
		}
		if err := writeModel(ctx, tx, snap, cs, after); err != nil {
			return err
		}
		return deleteEntities(ctx, tx, snap.plan, snap.ids, r.Deleted, db.stamp(), opts.Author)
	})
	return rm, err
}

// listed joins up to max items, saying how many more there are.
func listed(items []string, max int) string {
	if len(items) <= max {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:max], ", "), len(items)-max)
}

// deleteEntities archives the entities refs name, as p defines them, with
// their history, and deletes them. Nothing that stays may refer to them.
func deleteEntities(ctx context.Context, tx *Tx, p *engine.Plan, ids map[string]int64, refs []engine.Ref, at, author string) error {
	// The history of all of them in two reads.
	var krs, kpis []string
	for _, r := range refs {
		switch r.Kind {
		case engine.KindKeyResult:
			krs = append(krs, r.Key)
		case engine.KindKPI:
			kpis = append(kpis, r.Key)
		}
	}
	const named = "e.key IN (SELECT value FROM json_each(?))"
	cs, err := checkInsWhere(ctx, tx, named, mustJSON(krs))
	if err != nil {
		return err
	}
	ms, err := measurementsWhere(ctx, tx, named, mustJSON(kpis))
	if err != nil {
		return err
	}
	history := map[string][]any{}
	for _, c := range cs {
		history[c.KeyResult] = append(history[c.KeyResult], c)
	}
	for _, m := range ms {
		history[m.KPI] = append(history[m.KPI], m)
	}
	ins := newInserter(tx, "archived_entity", []string{"kind", "key", "deleted_at", "author", "entity", "history"}, "")
	var idList []int64
	for _, r := range refs {
		def, err := json.Marshal(p.Definition(r.Key))
		if err != nil {
			return err
		}
		h := history[r.Key]
		if h == nil {
			h = []any{} // [], not null
		}
		if err := ins.add(ctx, string(r.Kind), r.Key, at, author, string(def), mustJSON(h)); err != nil {
			return fmt.Errorf("archive %s: %w", r, err)
		}
		idList = append(idList, ids[r.Key])
	}
	if err := ins.flush(ctx); err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	in := "IN (SELECT CAST(value AS BIGINT) FROM json_each(?))"
	list := mustJSON(idList)
	if _, err := tx.ExecContext(ctx, "DELETE FROM link WHERE kpi_id "+in+" OR to_id "+in, list, list); err != nil {
		return fmt.Errorf("delete links: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "UPDATE objective SET parent_id = NULL WHERE id "+in, list); err != nil {
		return fmt.Errorf("unhook objectives: %w", err)
	}
	// Each kind after those that refer to it.
	for _, kind := range []engine.Kind{engine.KindInvestment, engine.KindKeyResult, engine.KindObjective, engine.KindKPI,
		engine.KindAssumption, engine.KindBusinessObjective, engine.KindTeam} {
		if _, err := tx.ExecContext(ctx, "DELETE FROM entity WHERE kind = ? AND id "+in, string(kind), list); err != nil {
			return fmt.Errorf("delete %ss: %w", kind, err)
		}
	}
	return nil
}

// Archived lists deleted entities, newest first; those with key only when
// key is set.
func (db *DB) Archived(ctx context.Context, key string) ([]engine.Archived, error) {
	var out []engine.Archived
	err := db.read(ctx, func(tx *Tx) error {
		return each(ctx, tx, `SELECT kind, key, deleted_at, author, entity, history FROM archived_entity
			WHERE ?1 = '' OR key = ?1 ORDER BY id DESC`, func(r *sql.Rows) error {
			var a engine.Archived
			if err := r.Scan(&a.Kind, &a.Key, timestamp{&a.DeletedAt}, &a.Author, &a.Entity, &a.History); err != nil {
				return err
			}
			out = append(out, a)
			return nil
		}, key)
	})
	return out, err
}
