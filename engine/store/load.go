package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/okrmap/okrmap/engine"
)

// Plan returns every entity in the database, in the order they were created.
func (db *DB) Plan(ctx context.Context) (*engine.Plan, error) {
	var snap *snapshot
	err := db.read(ctx, func(tx *Tx) error {
		var err error
		snap, err = loadSnapshot(ctx, tx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return snap.plan, nil
}

// snapshot is the stored model with the ids behind its keys.
type snapshot struct {
	plan *engine.Plan
	ids  map[string]int64 // key -> entity id
}

func loadSnapshot(ctx context.Context, tx *Tx) (*snapshot, error) {
	var n int
	var maxID int64
	if err := tx.QueryRowContext(ctx, "SELECT count(*), coalesce(max(id), 0) FROM entity").Scan(&n, &maxID); err != nil {
		return nil, fmt.Errorf("count entities: %w", err)
	}
	s := &snapshot{plan: &engine.Plan{Version: 1}, ids: make(map[string]int64, n)}
	keys := newByID[string](n, maxID)
	count := map[engine.Kind]int{}
	err := each(ctx, tx, "SELECT id, kind, key FROM entity", func(r *sql.Rows) error {
		var id int64
		var kind, key string
		if err := r.Scan(&id, &kind, &key); err != nil {
			return err
		}
		keys.set(id, key)
		s.ids[key] = id
		count[engine.Kind(kind)]++
		return nil
	})
	if err != nil {
		return nil, err
	}
	p := s.plan
	// Preallocate: entities are large structs and a plan may hold 100,000s.
	p.Teams = make([]engine.Team, 0, count[engine.KindTeam])
	p.BusinessObjectives = make([]engine.BusinessObjective, 0, count[engine.KindBusinessObjective])
	p.Objectives = make([]engine.Objective, 0, count[engine.KindObjective])
	p.KPIs = make([]engine.KPI, 0, count[engine.KindKPI])
	p.Assumptions = make([]engine.Assumption, 0, count[engine.KindAssumption])
	p.Investments = make([]engine.Investment, 0, count[engine.KindInvestment])
	k := func(id sql.NullInt64) string {
		if !id.Valid {
			return ""
		}
		return keys.get(id.Int64)
	}

	err = each(ctx, tx, "SELECT id, name, function, cadence, lead FROM team ORDER BY id", func(r *sql.Rows) error {
		var t engine.Team
		var id int64
		if err := r.Scan(&id, &t.Name, &t.Function, &t.Cadence, &t.Lead); err != nil {
			return err
		}
		t.Key = keys.get(id)
		p.Teams = append(p.Teams, t)
		return nil
	})
	if err != nil {
		return nil, err
	}

	err = each(ctx, tx, `SELECT id, title, description, category, pnl_line, owner, period, target, unit, reviewed_at
		FROM business_objective ORDER BY id`, func(r *sql.Rows) error {
		var b engine.BusinessObjective
		var id int64
		var target sql.NullFloat64
		if err := r.Scan(&id, &b.Title, &b.Description, &b.Category, &b.PnLLine, &b.Owner, &b.Period, &target, &b.Unit, date{&b.ReviewedAt}); err != nil {
			return err
		}
		b.Key, b.Target = keys.get(id), float(target)
		p.BusinessObjectives = append(p.BusinessObjectives, b)
		return nil
	})
	if err != nil {
		return nil, err
	}

	objIndex := make(map[string]int, count[engine.KindObjective])
	err = each(ctx, tx, `SELECT id, title, description, team_id, owner, period, parent_id, standalone_reason, status
		FROM objective ORDER BY id`, func(r *sql.Rows) error {
		var o engine.Objective
		var id int64
		var team, parent sql.NullInt64
		if err := r.Scan(&id, &o.Title, &o.Description, &team, &o.Owner, &o.Period, &parent, &o.StandaloneReason, &o.Status); err != nil {
			return err
		}
		o.Key, o.Team, o.Parent = keys.get(id), k(team), k(parent)
		objIndex[o.Key] = len(p.Objectives)
		p.Objectives = append(p.Objectives, o)
		return nil
	})
	if err != nil {
		return nil, err
	}

	err = each(ctx, tx, `SELECT id, objective_id, title, owner, unit, baseline, target, direction, due, commitment,
		current, confidence, score, measured_by_id, description FROM key_result ORDER BY id`, func(r *sql.Rows) error {
		var kr engine.KeyResult
		var id, obj int64
		var baseline, target, current, confidence, score sql.NullFloat64
		var measuredBy sql.NullInt64
		if err := r.Scan(&id, &obj, &kr.Title, &kr.Owner, &kr.Unit, &baseline, &target, &kr.Direction, date{&kr.Due},
			&kr.Commitment, &current, &confidence, &score, &measuredBy, &kr.Description); err != nil {
			return err
		}
		kr.Key, kr.Objective, kr.MeasuredBy = keys.get(id), keys.get(obj), k(measuredBy)
		kr.Baseline, kr.Target, kr.Current, kr.Confidence, kr.Score = float(baseline), float(target), float(current), float(confidence), float(score)
		o := &p.Objectives[objIndex[kr.Objective]]
		o.KeyResults = append(o.KeyResults, kr)
		return nil
	})
	if err != nil {
		return nil, err
	}

	var aligned positioned[string]
	err = each(ctx, tx, "SELECT objective_id, key_result_id, pos FROM objective_align ORDER BY objective_id, key_result_id", func(r *sql.Rows) error {
		var obj, kr int64
		var pos int
		if err := r.Scan(&obj, &kr, &pos); err != nil {
			return err
		}
		o := &p.Objectives[objIndex[keys.get(obj)]]
		aligned.add(&o.AlignsTo, keys.get(kr), pos)
		return nil
	})
	if err != nil {
		return nil, err
	}
	aligned.done()

	kpiIndex := newByID[int](count[engine.KindKPI], maxID)
	err = each(ctx, tx, `SELECT id, name, definition, unit, kind, category, owner, team_id, frequency, source,
		attribution, direction, target, warning, critical, formula, tags, measure FROM kpi ORDER BY id`, func(r *sql.Rows) error {
		var m engine.KPI
		var id int64
		var team sql.NullInt64
		var target, warning, critical sql.NullFloat64
		var tags, measure string
		if err := r.Scan(&id, &m.Name, &m.Definition, &m.Unit, &m.Kind, &m.Category, &m.Owner, &team, &m.Frequency,
			&m.Source, &m.Attribution, &m.Direction, &target, &warning, &critical, &m.Formula, &tags, &measure); err != nil {
			return err
		}
		m.Key, m.Team, m.Target = keys.get(id), k(team), float(target)
		if warning.Valid || critical.Valid {
			m.Thresholds = &engine.Thresholds{Warning: float(warning), Critical: float(critical)}
		}
		if tags != "" {
			if err := json.Unmarshal([]byte(tags), &m.Tags); err != nil {
				return fmt.Errorf("kpi %s: tags: %w", m.Key, err)
			}
		}
		if measure != "" {
			m.Measure = &engine.Measure{}
			if err := json.Unmarshal([]byte(measure), m.Measure); err != nil {
				return fmt.Errorf("kpi %s: measure: %w", m.Key, err)
			}
		}
		kpiIndex.set(id, len(p.KPIs))
		p.KPIs = append(p.KPIs, m)
		return nil
	})
	if err != nil {
		return nil, err
	}

	// Links and their assumptions are read in key order, which needs no
	// sort, and put in their stored order by position per KPI or link.
	type linkID struct{ kpi, to int64 }
	var kpiLinks positioned[engine.Link]
	err = each(ctx, tx, "SELECT kpi_id, to_id, pos, weight, rationale FROM link ORDER BY kpi_id, to_id", func(r *sql.Rows) error {
		var l engine.Link
		var id linkID
		var pos int
		var weight sql.NullFloat64
		if err := r.Scan(&id.kpi, &id.to, &pos, &weight, &l.Rationale); err != nil {
			return err
		}
		l.To, l.Weight = keys.get(id.to), float(weight)
		m := &p.KPIs[kpiIndex.get(id.kpi)]
		kpiLinks.add(&m.Links, l, pos)
		return nil
	})
	if err != nil {
		return nil, err
	}
	kpiLinks.done()
	var linkAssumptions positioned[string]
	err = each(ctx, tx, "SELECT kpi_id, to_id, pos, assumption_id FROM link_assumption ORDER BY kpi_id, to_id, assumption_id", func(r *sql.Rows) error {
		var id linkID
		var pos int
		var a int64
		if err := r.Scan(&id.kpi, &id.to, &pos, &a); err != nil {
			return err
		}
		m, to := &p.KPIs[kpiIndex.get(id.kpi)], keys.get(id.to)
		i := slices.IndexFunc(m.Links, func(l engine.Link) bool { return l.To == to })
		if i < 0 {
			return fmt.Errorf("an assumption of the link from %s to %s, which is not stored", m.Key, to)
		}
		linkAssumptions.add(&m.Links[i].Assumptions, keys.get(a), pos)
		return nil
	})
	if err != nil {
		return nil, err
	}
	linkAssumptions.done()

	err = each(ctx, tx, "SELECT id, statement, owner, status, evidence, review_by FROM assumption ORDER BY id", func(r *sql.Rows) error {
		var a engine.Assumption
		var id int64
		if err := r.Scan(&id, &a.Statement, &a.Owner, &a.Status, &a.Evidence, date{&a.ReviewBy}); err != nil {
			return err
		}
		a.Key = keys.get(id)
		p.Assumptions = append(p.Assumptions, a)
		return nil
	})
	if err != nil {
		return nil, err
	}

	err = each(ctx, tx, `SELECT id, name, amount, currency, period, owner, objective_id, return_kpi_id, return_value
		FROM investment ORDER BY id`, func(r *sql.Rows) error {
		var in engine.Investment
		var id int64
		var obj, kpi sql.NullInt64
		var ret sql.NullFloat64
		if err := r.Scan(&id, &in.Name, &in.Amount, &in.Currency, &in.Period, &in.Owner, &obj, &kpi, &ret); err != nil {
			return err
		}
		in.Key, in.Objective = keys.get(id), k(obj)
		if kpi.Valid {
			in.ExpectedReturn = &engine.ExpectedReturn{KPI: keys.get(kpi.Int64), Value: ret.Float64}
		}
		p.Investments = append(p.Investments, in)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// each runs query and calls fn for every row.
func each(ctx context.Context, tx *Tx, query string, fn func(*sql.Rows) error, args ...any) error {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("query: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return fmt.Errorf("read row: %w", err)
		}
	}
	return rows.Err()
}

func float(n sql.NullFloat64) *float64 {
	if !n.Valid {
		return nil
	}
	v := n.Float64
	return &v
}

func nullFloat(p *float64) sql.NullFloat64 {
	if p == nil {
		return sql.NullFloat64{}
	}
	return sql.NullFloat64{Float64: *p, Valid: true}
}

// date scans a TEXT column holding YYYY-MM-DD or ” into an engine.Date.
type date struct{ d *engine.Date }

func (s date) Scan(v any) error {
	var text string
	switch x := v.(type) {
	case nil:
	case string:
		text = x
	case []byte:
		text = string(x)
	default:
		return fmt.Errorf("date: unexpected %T", v)
	}
	return s.d.UnmarshalText([]byte(text))
}

// positioned appends rows that arrive grouped by the list they belong to,
// not in list order, and puts each list in order of the rows' positions
// when the next list starts (and at done).
type positioned[T any] struct {
	list *[]T
	pos  []int // of each element of *list
}

func (g *positioned[T]) add(list *[]T, v T, pos int) {
	if list != g.list {
		g.done()
		g.list, g.pos = list, g.pos[:0]
	}
	*list = append(*list, v)
	g.pos = append(g.pos, pos)
}

// done orders the current list by position.
func (g *positioned[T]) done() {
	if g.list == nil || slices.IsSorted(g.pos) {
		return
	}
	l := *g.list
	for i := 1; i < len(l); i++ { // lists are short: insertion sort
		for j := i; j > 0 && g.pos[j] < g.pos[j-1]; j-- {
			l[j], l[j-1] = l[j-1], l[j]
			g.pos[j], g.pos[j-1] = g.pos[j-1], g.pos[j]
		}
	}
}

// byID holds values by entity id: in a slice, as ids are dense unless
// many entities were deleted, or else in a map. Reading a snapshot looks
// an id up for every row.
type byID[V any] struct {
	dense  []V
	sparse map[int64]V
}

func newByID[V any](n int, maxID int64) *byID[V] {
	if maxID <= int64(2*n+1024) {
		return &byID[V]{dense: make([]V, maxID+1)}
	}
	return &byID[V]{sparse: make(map[int64]V, n)}
}

func (b *byID[V]) set(id int64, v V) {
	if b.dense == nil {
		b.sparse[id] = v
	} else if id >= 0 && id < int64(len(b.dense)) {
		b.dense[id] = v
	}
}

func (b *byID[V]) get(id int64) V {
	if b.dense == nil {
		return b.sparse[id]
	}
	if id >= 0 && id < int64(len(b.dense)) {
		return b.dense[id]
	}
	var zero V
	return zero
}
