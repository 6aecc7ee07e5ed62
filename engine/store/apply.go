package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/formula"
)

// Apply upserts the plan's entities by key in one transaction and returns
// what it created, updated and left unchanged (see engine.Merge). The merged
// model is validated first: on any problem Apply returns engine.Problems and
// writes nothing. With dryRun it reports the changes and writes nothing.
func (db *DB) Apply(ctx context.Context, p *engine.Plan, dryRun bool) (engine.Changes, error) {
	return db.ApplyAs(ctx, p, dryRun, "")
}

// ApplyAs is Apply that records who applied, with the counts, in the same
// transaction when something changed.
func (db *DB) ApplyAs(ctx context.Context, p *engine.Plan, dryRun bool, author string) (engine.Changes, error) {
	return db.applyAs(ctx, p, engine.ApplyOptions{DryRun: dryRun, Author: author}, nil)
}

// ApplyFrom is ApplyAs of the plan load returns, with opts' plan set. The
// stored model is read while load runs, so a large plan's parsing and the
// model's reading overlap; the write uses that read when no write came
// between, and reads the model again when one did.
func (db *DB) ApplyFrom(ctx context.Context, load func() (*engine.Plan, error), opts engine.ApplyOptions) (engine.Changes, error) {
	readCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	pre := db.prefetch(readCtx)
	p, err := load()
	if err != nil {
		cancel()
		<-pre
		return nil, err
	}
	return db.applyAs(ctx, p, opts, <-pre)
}

// prefetch begins reading the stored model now and finishes in the
// background. The read's snapshot starts before prefetch returns, so a
// write after it always shows in the revision. The channel yields the
// model, or nil when the read failed (the write then reads it itself).
func (db *DB) prefetch(ctx context.Context) <-chan *prefetched {
	out := make(chan *prefetched, 1)
	tx, err := db.beginRead(ctx)
	var rev int64
	if err == nil {
		if rev, err = revisionOf(ctx, tx); err != nil {
			tx.Rollback()
		}
	}
	if err != nil {
		out <- nil
		return out
	}
	go func() {
		defer tx.Rollback()
		snap, err := loadSnapshot(ctx, tx)
		if err != nil {
			out <- nil
			return
		}
		out <- &prefetched{snap, rev}
	}()
	return out
}

// prefetched is the stored model read before a write, at revision rev.
type prefetched struct {
	snap *snapshot
	rev  int64
}

// applyAs is ApplyAs, using pre when it is still current.
func (db *DB) applyAs(ctx context.Context, p *engine.Plan, opts engine.ApplyOptions, pre *prefetched) (engine.Changes, error) {
	if opts.Prune && opts.Set == "" {
		return nil, engine.Errorf(engine.EINVALID, "prune needs the name of the plan set whose entities it may delete (apply --set NAME --prune)")
	}
	var cs engine.Changes
	run := db.write
	if opts.DryRun {
		run = db.read
	}
	err := run(ctx, func(tx *Tx) error {
		snap, err := current(ctx, tx, pre)
		if err != nil {
			return err
		}
		var pruned []string
		if opts.Prune {
			if pruned, err = prunable(ctx, tx, p, opts.Set); err != nil {
				return err
			}
		}
		cs, err = db.applyTx(ctx, tx, snap, p, pruned, opts)
		if err != nil || opts.DryRun {
			return err
		}
		if err := claim(ctx, tx, p, opts.Set); err != nil || !cs.Changed() {
			return err
		}
		_, err = tx.ExecContext(ctx, "INSERT INTO apply_log (at, author, created, updated, unchanged) VALUES (?, ?, ?, ?, ?)",
			db.stamp(), opts.Author, cs.Total(engine.Created), cs.Total(engine.Updated), cs.Total(engine.Unchanged))
		return err
	})
	if err != nil {
		return nil, err
	}
	return cs, nil
}

// prunable returns the keys of set's entities that p does not name.
func prunable(ctx context.Context, tx *Tx, p *engine.Plan, set string) ([]string, error) {
	named := map[string]bool{}
	p.EachEntity(func(_ engine.Kind, key string, _ engine.Source) { named[key] = true })
	var out []string
	err := each(ctx, tx, "SELECT key FROM entity WHERE plan_set = ? ORDER BY id", func(r *sql.Rows) error {
		var key string
		if err := r.Scan(&key); err != nil {
			return err
		}
		if !named[key] {
			out = append(out, key)
		}
		return nil
	}, set)
	return out, err
}

// claim marks the entities p names as set's, when set is given.
func claim(ctx context.Context, tx *Tx, p *engine.Plan, set string) error {
	if set == "" {
		return nil
	}
	var keys []string
	p.EachEntity(func(_ engine.Kind, key string, _ engine.Source) { keys = append(keys, key) })
	_, err := tx.ExecContext(ctx, "UPDATE entity SET plan_set = ? WHERE plan_set <> ? AND key IN (SELECT value FROM json_each(?))",
		set, set, mustJSON(keys))
	if err != nil {
		return fmt.Errorf("mark the plan set's entities: %w", err)
	}
	return nil
}

// current returns pre's model if no write came since it was read, else
// the model read in tx.
func current(ctx context.Context, tx *Tx, pre *prefetched) (*snapshot, error) {
	if pre != nil {
		rev, err := revisionOf(ctx, tx)
		if err != nil {
			return nil, err
		}
		if rev == pre.rev {
			return pre.snap, nil
		}
	}
	return loadSnapshot(ctx, tx)
}

// applyTx merges p into the snapshot, removes the pruned keys, validates
// the result when it changed and, unless a dry run, writes the created and
// updated entities and deletes the pruned ones.
func (db *DB) applyTx(ctx context.Context, tx *Tx, snap *snapshot, p *engine.Plan, pruned []string, opts engine.ApplyOptions) (engine.Changes, error) {
	merged, cs, probs := engine.Merge(snap.plan, p)
	if len(probs) > 0 {
		return nil, probs
	}
	var gone []engine.Ref
	if len(pruned) > 0 {
		after, rm, err := merged.Remove(pruned...)
		if err != nil {
			return nil, err
		}
		if deps := rm.Dependents(); len(deps) > 0 {
			return nil, engine.Errorf(engine.ECONFLICT, "pruning %s would leave what depends on them: %s; change those first (okrmap delete --cascade shows what a cascade takes), or keep the entities in the files",
				listed(pruned, 10), listed(deps, 10))
		}
		merged, gone = after, rm.Deleted
		for _, d := range gone {
			cs = append(cs, engine.Change{Kind: d.Kind, Key: d.Key, Action: engine.Deleted})
		}
	}
	if !cs.Changed() { // merged is the stored model, checked when it was stored
		return cs, nil
	}
	// The model is validated while it is written: the transaction is
	// rolled back when it is not valid, and its problems come first.
	valid := make(chan engine.Problems, 1)
	go func() { valid <- append(merged.Validate(), formula.Check(merged)...) }()
	var err error
	if !opts.DryRun {
		err = writeModel(ctx, tx, snap, cs, merged)
		if err == nil && len(gone) > 0 {
			err = deleteEntities(ctx, tx, snap.plan, snap.ids, gone, db.stamp(), opts.Author)
		}
	}
	if probs := <-valid; len(probs) > 0 {
		return nil, probs
	}
	if err != nil {
		return nil, err
	}
	return cs, nil
}

// writeModel writes the entities cs creates and updates in merged.
func writeModel(ctx context.Context, tx *Tx, snap *snapshot, cs engine.Changes, merged *engine.Plan) error {
	w := &writer{ctx: rowCtx(ctx), tx: tx, ids: snap.ids, changed: map[string]engine.Action{}}
	for _, c := range cs {
		if c.Action == engine.Created || c.Action == engine.Updated {
			w.changed[c.Key] = c.Action
		}
	}
	if err := w.entities(cs); err != nil {
		return err
	}
	return w.plan(merged)
}

type writer struct {
	ctx     context.Context
	tx      *Tx
	ids     map[string]int64
	changed map[string]engine.Action // created or updated keys
}

// entities inserts an entity row for every created key, numbered after
// the largest id: writers take turns, so no other write numbers rows
// meanwhile, and no row comes back to be read.
func (w *writer) entities(cs engine.Changes) error {
	var last int64
	if err := w.tx.QueryRowContext(w.ctx, "SELECT coalesce(max(id), 0) FROM entity").Scan(&last); err != nil {
		return fmt.Errorf("create entities: %w", err)
	}
	ins := newInserter(w.tx, "entity", []string{"id", "kind", "key"}, "")
	for _, c := range cs {
		if c.Action != engine.Created {
			continue
		}
		last++
		w.ids[c.Key] = last
		if err := ins.add(w.ctx, last, string(c.Kind), c.Key); err != nil {
			return fmt.Errorf("create entities: %w", err)
		}
	}
	if err := ins.flush(w.ctx); err != nil {
		return fmt.Errorf("create entities: %w", err)
	}
	return nil
}

// id returns the entity id of key, or NULL for "".
func (w *writer) id(key string) sql.NullInt64 {
	if key == "" {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: w.ids[key], Valid: true}
}

// rows writes each changed item of list, inserting it or updating the
// row with its id.
func rows[T any](w *writer, list []T, key func(T) string, table string, cols []string, args func(T) []any) error {
	set := make([]string, len(cols))
	for i, c := range cols {
		set[i] = c + " = excluded." + c
	}
	ins := newInserter(w.tx, table, append([]string{"id"}, cols...), "ON CONFLICT (id) DO UPDATE SET "+strings.Join(set, ", "))
	for _, item := range list {
		k := key(item)
		if w.changed[k] == "" {
			continue
		}
		if err := ins.add(w.ctx, append([]any{w.ids[k]}, args(item)...)...); err != nil {
			return fmt.Errorf("write %s: %w", table, err)
		}
	}
	if err := ins.flush(w.ctx); err != nil {
		return fmt.Errorf("write %s: %w", table, err)
	}
	return nil
}

func (w *writer) plan(p *engine.Plan) error {
	err := rows(w, p.Teams, func(t engine.Team) string { return t.Key },
		"team", []string{"name", "function", "cadence", "lead"},
		func(t engine.Team) []any { return []any{t.Name, t.Function, t.Cadence, t.Lead} })
	if err != nil {
		return err
	}
	err = rows(w, p.BusinessObjectives, func(b engine.BusinessObjective) string { return b.Key },
		"business_objective", []string{"title", "description", "category", "pnl_line", "owner", "period", "target", "unit", "reviewed_at"},
		func(b engine.BusinessObjective) []any {
			return []any{b.Title, b.Description, b.Category, b.PnLLine, b.Owner, b.Period, nullFloat(b.Target), b.Unit, b.ReviewedAt.String()}
		})
	if err != nil {
		return err
	}
	err = rows(w, p.Assumptions, func(a engine.Assumption) string { return a.Key },
		"assumption", []string{"statement", "owner", "status", "evidence", "review_by"},
		func(a engine.Assumption) []any {
			return []any{a.Statement, a.Owner, a.Status, a.Evidence, a.ReviewBy.String()}
		})
	if err != nil {
		return err
	}
	err = rows(w, p.Objectives, func(o engine.Objective) string { return o.Key },
		"objective", []string{"title", "description", "team_id", "owner", "period", "parent_id", "standalone_reason", "status"},
		func(o engine.Objective) []any {
			return []any{o.Title, o.Description, w.id(o.Team), o.Owner, o.Period, w.id(o.Parent), o.StandaloneReason, o.Status}
		})
	if err != nil {
		return err
	}
	var krs []engine.KeyResult
	for _, o := range p.Objectives {
		krs = append(krs, o.KeyResults...)
	}
	err = rows(w, krs, func(kr engine.KeyResult) string { return kr.Key },
		"key_result", []string{"objective_id", "title", "owner", "unit", "baseline", "target", "direction", "due",
			"commitment", "current", "confidence", "score", "measured_by_id", "description"},
		func(kr engine.KeyResult) []any {
			return []any{w.ids[kr.Objective], kr.Title, kr.Owner, kr.Unit, nullFloat(kr.Baseline), nullFloat(kr.Target),
				kr.Direction, kr.Due.String(), kr.Commitment, nullFloat(kr.Current), nullFloat(kr.Confidence), nullFloat(kr.Score),
				w.id(kr.MeasuredBy), kr.Description}
		})
	if err != nil {
		return err
	}
	if err := w.aligns(p.Objectives); err != nil {
		return err
	}
	var tagErr error
	err = rows(w, p.KPIs, func(k engine.KPI) string { return k.Key },
		"kpi", []string{"name", "definition", "unit", "kind", "category", "owner", "team_id", "frequency", "source",
			"attribution", "direction", "target", "warning", "critical", "formula", "tags", "measure"},
		func(k engine.KPI) []any {
			var warn, crit *float64
			if k.Thresholds != nil {
				warn, crit = k.Thresholds.Warning, k.Thresholds.Critical
			}
			tags, measure := "", ""
			if len(k.Tags) > 0 {
				b, err := json.Marshal(k.Tags)
				tagErr = errors.Join(tagErr, err)
				tags = string(b)
			}
			if k.Measure != nil {
				b, err := json.Marshal(k.Measure)
				tagErr = errors.Join(tagErr, err)
				measure = string(b)
			}
			return []any{k.Name, k.Definition, k.Unit, k.Kind, k.Category, k.Owner, w.id(k.Team), k.Frequency, k.Source,
				k.Attribution, k.Direction, nullFloat(k.Target), nullFloat(warn), nullFloat(crit), k.Formula, tags, measure}
		})
	if err != nil {
		return err
	}
	if tagErr != nil {
		return tagErr
	}
	if err := w.links(p.KPIs); err != nil {
		return err
	}
	return rows(w, p.Investments, func(i engine.Investment) string { return i.Key },
		"investment", []string{"name", "amount", "currency", "period", "owner", "objective_id", "return_kpi_id", "return_value"},
		func(i engine.Investment) []any {
			kpi, ret := sql.NullInt64{}, sql.NullFloat64{}
			if r := i.ExpectedReturn; r != nil {
				kpi, ret = w.id(r.KPI), sql.NullFloat64{Float64: r.Value, Valid: true}
			}
			return []any{i.Name, i.Amount, i.Currency, i.Period, i.Owner, w.id(i.Objective), kpi, ret}
		})
}

// aligns replaces the aligned key results of every changed objective.
func (w *writer) aligns(objs []engine.Objective) error {
	del, err := w.tx.PrepareContext(w.ctx, "DELETE FROM objective_align WHERE objective_id = ?")
	if err != nil {
		return err
	}
	defer del.Close()
	ins := newInserter(w.tx, "objective_align", []string{"objective_id", "key_result_id", "pos"}, "")
	for _, o := range objs {
		action := w.changed[o.Key]
		if action == "" {
			continue
		}
		id := w.ids[o.Key]
		if action == engine.Updated {
			if _, err := del.ExecContext(w.ctx, id); err != nil {
				return fmt.Errorf("replace the alignments of %s: %w", o.Key, err)
			}
		}
		for i, kr := range o.AlignsTo {
			if err := ins.add(w.ctx, id, w.ids[kr], i); err != nil {
				return fmt.Errorf("write alignments: %w", err)
			}
		}
	}
	if err := ins.flush(w.ctx); err != nil {
		return fmt.Errorf("write alignments: %w", err)
	}
	return nil
}

// links replaces the links of every changed KPI.
func (w *writer) links(kpis []engine.KPI) error {
	del, err := w.tx.PrepareContext(w.ctx, "DELETE FROM link WHERE kpi_id = ?")
	if err != nil {
		return err
	}
	defer del.Close()
	ins := newInserter(w.tx, "link", []string{"kpi_id", "to_id", "pos", "weight", "rationale"}, "")
	var assumed [][]any // link_assumption rows, written after the links they name
	for _, k := range kpis {
		action := w.changed[k.Key]
		if action == "" {
			continue
		}
		id := w.ids[k.Key]
		if action == engine.Updated {
			if _, err := del.ExecContext(w.ctx, id); err != nil {
				return fmt.Errorf("replace links of %s: %w", k.Key, err)
			}
		}
		for i, l := range k.Links {
			to := w.ids[l.To]
			if err := ins.add(w.ctx, id, to, i, nullFloat(l.Weight), l.Rationale); err != nil {
				return fmt.Errorf("write links: %w", err)
			}
			for j, a := range l.Assumptions {
				assumed = append(assumed, []any{id, to, j, w.ids[a]})
			}
		}
	}
	if err := ins.flush(w.ctx); err != nil {
		return fmt.Errorf("write links: %w", err)
	}
	insA := newInserter(w.tx, "link_assumption", []string{"kpi_id", "to_id", "pos", "assumption_id"}, "")
	for _, row := range assumed {
		if err := insA.add(w.ctx, row...); err != nil {
			return fmt.Errorf("write links' assumptions: %w", err)
		}
	}
	if err := insA.flush(w.ctx); err != nil {
		return fmt.Errorf("write links' assumptions: %w", err)
	}
	return nil
}
