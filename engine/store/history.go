package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/formula"
)

// timeLayout is fixed-width in UTC, so stored times sort as text.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// CheckIn records a check-in on a key result and makes its value and
// confidence the key result's current ones, in one transaction. A zero At
// means now. It fails with ENOTFOUND for an unknown key result and ECONFLICT
// when the key result's objective is closed.
func (db *DB) CheckIn(ctx context.Context, c engine.CheckIn) error {
	_, err := db.Record(ctx, engine.Batch{CheckIns: []engine.CheckIn{c}})
	return err
}

// Measure records KPI measurements in one transaction: all or none, and
// recomputes derived KPIs in the same transaction (see Recompute). A zero
// At means now. An unknown KPI fails with ENOTFOUND and records nothing.
func (db *DB) Measure(ctx context.Context, ms ...engine.Measurement) error {
	_, err := db.Record(ctx, engine.Batch{Measurements: ms})
	return err
}

// Record stores a batch in one transaction, all or nothing, as CheckIn and
// Measure do. A check-in or measurement with the same entity, time and
// value as a stored one is a duplicate and is not stored again. When the
// batch's idempotency key was used before for the same request hash it
// stores nothing and reports Replayed; for another request it fails with
// ECONFLICT. Values must be finite.
func (db *DB) Record(ctx context.Context, b engine.Batch) (engine.Recorded, error) {
	var rec engine.Recorded
	now := db.now()
	for _, c := range b.CheckIns {
		if c.Confidence != nil && (*c.Confidence < 0 || *c.Confidence > 1 || math.IsNaN(*c.Confidence)) {
			return rec, engine.Errorf(engine.EINVALID, "%s: confidence %g is out of range: use a number from 0 to 1", c.KeyResult, *c.Confidence)
		}
		if err := engine.CheckMagnitude(c.Value); err != nil {
			return rec, engine.Errorf(engine.EINVALID, "%s: value %v", c.KeyResult, err)
		}
	}
	for _, m := range b.Measurements {
		if err := engine.CheckMagnitude(m.Value); err != nil {
			return rec, engine.Errorf(engine.EINVALID, "%s: value %v", m.KPI, err)
		}
	}
	err := db.write(ctx, func(tx *Tx) error {
		if b.IdempotencyKey != "" {
			key := b.IdempotencyOwner + "\n" + b.IdempotencyKey // a header value holds no newline
			var hash string
			err := tx.QueryRowContext(ctx, "SELECT request_hash FROM idempotency WHERE key = ?", key).Scan(&hash)
			switch {
			case err == nil && hash == b.RequestHash:
				rec.Replayed = true
				return nil
			case err == nil:
				return engine.Errorf(engine.ECONFLICT, "idempotency key %q was used for a different request; use a new key for a new request", b.IdempotencyKey)
			case !errors.Is(err, sql.ErrNoRows):
				return fmt.Errorf("read idempotency key: %w", err)
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO idempotency (key, request_hash, stored, created_at) VALUES (?, ?, ?, ?)",
				key, b.RequestHash, len(b.CheckIns)+len(b.Measurements), now.UTC().Format(timeLayout)); err != nil {
				return fmt.Errorf("store idempotency key: %w", err)
			}
		}
		for _, c := range b.CheckIns {
			stored, err := checkIn(ctx, tx, c, now)
			if err != nil {
				return err
			}
			count(&rec, stored)
		}
		if err := saveSyncs(ctx, tx, b.Syncs); err != nil {
			return err
		}
		if len(b.Measurements) == 0 {
			return nil
		}
		return measure(ctx, tx, b.Measurements, now, &rec)
	})
	if err != nil {
		return engine.Recorded{}, err
	}
	return rec, nil
}

// count counts one check-in or measurement in r, stored or a duplicate.
func count(r *engine.Recorded, stored bool) {
	if stored {
		r.Stored++
	} else {
		r.Duplicates++
	}
}

// checkIn stores c unless the same check-in is stored, and says whether it
// stored it.
func checkIn(ctx context.Context, tx *Tx, c engine.CheckIn, now time.Time) (bool, error) {
	if c.At.IsZero() {
		c.At = now
	}
	var id int64
	var status, objective string
	err := tx.QueryRowContext(ctx, `SELECT kr.id, o.status, oe.key FROM key_result kr
		JOIN entity e ON e.id = kr.id JOIN objective o ON o.id = kr.objective_id JOIN entity oe ON oe.id = o.id
		WHERE e.key = ?`, c.KeyResult).Scan(&id, &status, &objective)
	if errors.Is(err, sql.ErrNoRows) {
		return false, engine.NotFound(string(engine.KindKeyResult), "no key result %q", c.KeyResult)
	}
	if err != nil {
		return false, fmt.Errorf("check in %s: %w", c.KeyResult, err)
	}
	if status == "closed" {
		return false, engine.Errorf(engine.ECONFLICT, "key result %q belongs to objective %q, which is closed; check in on the next period's key result", c.KeyResult, objective)
	}
	at := c.At.UTC().Format(timeLayout)
	var dup int
	// The same value at the same time, or the same comment, is stored once.
	err = tx.QueryRowContext(ctx, "SELECT count(*) FROM checkin WHERE key_result_id = ? AND at = ? AND value = ? AND comment = ? AND (NOT comment OR note = ?)",
		id, at, c.Value, c.Comment, c.Note).Scan(&dup)
	if err != nil || dup > 0 {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO checkin (key_result_id, at, value, confidence, note, author, comment) VALUES (?, ?, ?, ?, ?, ?, ?)",
		id, at, c.Value, nullFloat(c.Confidence), c.Note, c.Author, c.Comment); err != nil {
		return false, fmt.Errorf("check in %s: %w", c.KeyResult, err)
	}
	// The latest check-in with a value, by time, sets the current value, so
	// a back-dated check-in does not overwrite a newer one and a comment
	// none.
	_, err = tx.ExecContext(ctx, `UPDATE key_result SET
		current = coalesce((SELECT value FROM checkin WHERE key_result_id = ?1 AND NOT comment ORDER BY at DESC, id DESC LIMIT 1), current),
		confidence = coalesce((SELECT confidence FROM checkin WHERE key_result_id = ?1 AND confidence IS NOT NULL
			ORDER BY at DESC, id DESC LIMIT 1), confidence)
		WHERE id = ?1`, id)
	if err != nil {
		return false, fmt.Errorf("check in %s: %w", c.KeyResult, err)
	}
	return true, nil
}

// follower checks in measurements of KPIs that measure key results of
// open objectives, each in the key results whose period holds its time:
// a measurement of December does not check in next quarter's key result.
type follower struct {
	ctx context.Context
	tx  *Tx
	krs map[int64][]measured // KPI id -> key results measured by it, once read
	all bool                 // krs holds every KPI's
}

// measured is a key result measured by a KPI, with its objective's period
// (ok false when the objective has none that parses: every time counts).
type measured struct {
	key string
	per engine.Period
	ok  bool
}

// newFollower returns a follower that reads, with all, every KPI's key
// results at once (for many measurements), else each KPI's on first use.
func newFollower(ctx context.Context, tx *Tx, all bool) (*follower, error) {
	f := &follower{ctx: ctx, tx: tx, krs: map[int64][]measured{}, all: all}
	if all {
		if err := f.read("kr.measured_by_id IS NOT NULL"); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// read adds the key results of open objectives measured by the KPIs where
// selects.
func (f *follower) read(where string, args ...any) error {
	err := each(f.ctx, f.tx, `SELECT kr.measured_by_id, e.key, o.period FROM key_result kr JOIN entity e ON e.id = kr.id
		JOIN objective o ON o.id = kr.objective_id WHERE o.status != 'closed' AND `+where+` ORDER BY e.key`,
		func(r *sql.Rows) error {
			var kpi int64
			var m measured
			var period string
			if err := r.Scan(&kpi, &m.key, &period); err != nil {
				return err
			}
			per, err := engine.ParsePeriod(period)
			m.per, m.ok = per, err == nil
			f.krs[kpi] = append(f.krs[kpi], m)
			return nil
		}, args...)
	if err != nil {
		return fmt.Errorf("key results measured by KPIs: %w", err)
	}
	return nil
}

// follow checks in one measurement of the KPI kpiID (key kpi).
func (f *follower) follow(kpiID int64, kpi string, at time.Time, value float64, author string) error {
	if _, ok := f.krs[kpiID]; !ok && !f.all {
		f.krs[kpiID] = []measured{}
		if err := f.read("kr.measured_by_id = ?", kpiID); err != nil {
			return err
		}
	}
	day := engine.DateOf(at.UTC())
	for _, kr := range f.krs[kpiID] {
		if kr.ok && !kr.per.Contains(day) {
			continue
		}
		if _, err := checkIn(f.ctx, f.tx, engine.CheckIn{KeyResult: kr.key, At: at, Value: value, Author: author, Note: "measured by " + kpi}, at); err != nil {
			return err
		}
	}
	return nil
}

// measureChunk is how many measurements measure checks and writes at once.
const measureChunk = 500

// sample is a stored measurement's identity: a KPI's value at a time.
type sample struct {
	kpi   int64
	at    string
	value float64
}

// measure stores measurements that are not stored yet, in chunks: one
// query finds a chunk's duplicates, one statement writes the rest.
func measure(ctx context.Context, tx *Tx, ms []engine.Measurement, now time.Time, rec *engine.Recorded) error {
	ctx = rowCtx(ctx)
	ids, err := measuredKPIs(ctx, tx, ms)
	if err != nil {
		return err
	}
	if err := refuseDerived(ctx, tx, ms, ids); err != nil {
		return err
	}
	fol, err := newFollower(ctx, tx, len(ms) >= measureChunk)
	if err != nil {
		return err
	}
	ins := newInserter(tx, "measurement", []string{"kpi_id", "at", "value", "author", "note"}, "")
	seen := map[sample]bool{} // stored by this call
	for len(ms) > 0 {
		chunk := ms[:min(len(ms), measureChunk)]
		ms = ms[len(chunk):]
		samples := make([]sample, len(chunk))
		times := make([]time.Time, len(chunk))
		for i, m := range chunk {
			times[i] = m.At
			if times[i].IsZero() {
				times[i] = now
			}
			samples[i] = sample{ids[m.KPI], times[i].UTC().Format(timeLayout), m.Value}
		}
		stored, err := storedSamples(ctx, tx, samples)
		if err != nil {
			return err
		}
		for i, m := range chunk {
			s := samples[i]
			if stored[s] || seen[s] {
				count(rec, false)
				continue
			}
			seen[s] = true
			if err := ins.add(ctx, s.kpi, s.at, s.value, m.Author, m.Note); err != nil {
				return fmt.Errorf("store measurements: %w", err)
			}
			if err := fol.follow(s.kpi, m.KPI, times[i], m.Value, m.Author); err != nil {
				return err
			}
			count(rec, true)
			if rec.StoredBy == nil {
				rec.StoredBy = map[string]int{}
			}
			rec.StoredBy[m.KPI]++
		}
		// The next chunk's duplicates may be among these.
		if err := ins.flush(ctx); err != nil {
			return fmt.Errorf("store measurements: %w", err)
		}
	}
	_, err = recompute(ctx, tx, fol)
	return err
}

// measuredKPIs returns the ids of the KPIs ms name; ENOTFOUND names the
// first that does not exist.
func measuredKPIs(ctx context.Context, tx *Tx, ms []engine.Measurement) (map[string]int64, error) {
	ids := map[string]int64{}
	if len(ms) >= measureChunk { // many: read every KPI's id at once
		all, err := kpiIDs(ctx, tx)
		if err != nil {
			return nil, err
		}
		ids = all
	}
	for _, m := range ms {
		if _, ok := ids[m.KPI]; ok {
			continue
		}
		var id int64
		err := tx.QueryRowContext(ctx, "SELECT id FROM entity WHERE kind = 'kpi' AND key = ?", m.KPI).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, engine.NotFound(string(engine.KindKPI), "no KPI %q", m.KPI)
		}
		if err != nil {
			return nil, fmt.Errorf("measure %s: %w", m.KPI, err)
		}
		ids[m.KPI] = id
	}
	return ids, nil
}

// refuseDerived refuses a measurement of a KPI that has a formula: its
// value is computed from its inputs whenever they are measured, and a
// value typed in beside it would score its key results on a number the
// formula does not give.
func refuseDerived(ctx context.Context, tx *Tx, ms []engine.Measurement, ids map[string]int64) error {
	stmt, err := tx.PrepareContext(ctx, "SELECT formula FROM kpi WHERE id = ?")
	if err != nil {
		return err
	}
	defer stmt.Close()
	seen := map[string]bool{}
	for _, m := range ms {
		if seen[m.KPI] {
			continue
		}
		seen[m.KPI] = true
		var f string
		if err := stmt.QueryRowContext(ctx, ids[m.KPI]).Scan(&f); err != nil {
			return fmt.Errorf("read the formula of %s: %w", m.KPI, err)
		}
		if f == "" {
			continue
		}
		inputs, _ := formula.Names(f)
		return engine.Errorf(engine.EINVALID, "KPI %s is derived from its formula (%s); measure its inputs (%s) and okrmap computes it",
			m.KPI, f, strings.Join(inputs, ", "))
	}
	return nil
}

// storedSamples returns which of samples are stored already.
func storedSamples(ctx context.Context, tx *Tx, samples []sample) (map[sample]bool, error) {
	kpis, ats := map[int64]bool{}, map[string]bool{}
	var kpiArgs, atArgs []any
	for _, s := range samples {
		if !kpis[s.kpi] {
			kpis[s.kpi] = true
			kpiArgs = append(kpiArgs, s.kpi)
		}
		if !ats[s.at] {
			ats[s.at] = true
			atArgs = append(atArgs, s.at)
		}
	}
	q := "SELECT kpi_id, at, value FROM measurement WHERE kpi_id IN (" + placeholders(len(kpiArgs)) +
		") AND at IN (" + placeholders(len(atArgs)) + ")"
	stored := map[sample]bool{}
	err := each(ctx, tx, q, func(r *sql.Rows) error {
		var s sample
		err := r.Scan(&s.kpi, &s.at, &s.value)
		stored[s] = true
		return err
	}, append(kpiArgs, atArgs...)...)
	return stored, err
}

// KPIKeys returns the set of KPI keys in the database.
func (db *DB) KPIKeys(ctx context.Context) (map[string]bool, error) {
	keys := map[string]bool{}
	err := db.read(ctx, func(tx *Tx) error {
		ids, err := kpiIDs(ctx, tx)
		for k := range ids {
			keys[k] = true
		}
		return err
	})
	return keys, err
}

// saveSyncs replaces the sync status of each KPI in ss.
func saveSyncs(ctx context.Context, tx *Tx, ss []engine.SyncStatus) error {
	if len(ss) == 0 {
		return nil
	}
	ids, err := kpiIDs(ctx, tx)
	if err != nil {
		return err
	}
	for _, s := range ss {
		id, ok := ids[s.KPI]
		if !ok {
			return engine.NotFound("kpi", "no KPI %q", s.KPI)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sync_status (kpi_id, connector, at, error) VALUES (?, ?, ?, ?)
			ON CONFLICT (kpi_id) DO UPDATE SET connector = excluded.connector, at = excluded.at, error = excluded.error`,
			id, s.Connector, s.At.UTC().Format(timeLayout), s.Error); err != nil {
			return fmt.Errorf("store the sync status of %s: %w", s.KPI, err)
		}
	}
	return nil
}

// syncStatuses returns the sync status of every KPI read at least once.
func syncStatuses(ctx context.Context, tx *Tx) (map[string]engine.SyncStatus, error) {
	out := map[string]engine.SyncStatus{}
	err := each(ctx, tx, `SELECT e.key, s.connector, s.at, s.error FROM sync_status s JOIN entity e ON e.id = s.kpi_id`,
		func(r *sql.Rows) error {
			var s engine.SyncStatus
			if err := r.Scan(&s.KPI, &s.Connector, timestamp{&s.At}, &s.Error); err != nil {
				return err
			}
			out[s.KPI] = s
			return nil
		})
	return out, err
}

// kpiIDs maps every KPI key to its entity id.
func kpiIDs(ctx context.Context, tx *Tx) (map[string]int64, error) {
	ids := map[string]int64{}
	err := each(ctx, tx, "SELECT id, key FROM entity WHERE kind = 'kpi'", func(r *sql.Rows) error {
		var id int64
		var key string
		err := r.Scan(&id, &key)
		ids[key] = id
		return err
	})
	return ids, err
}

// CheckIns returns a key result's check-ins, oldest first; all key results'
// when key is "".
func (db *DB) CheckIns(ctx context.Context, key string) ([]engine.CheckIn, error) {
	var out []engine.CheckIn
	err := db.read(ctx, func(tx *Tx) error {
		var err error
		out, err = checkIns(ctx, tx, key)
		return err
	})
	return out, err
}

func checkIns(ctx context.Context, tx *Tx, key string) ([]engine.CheckIn, error) {
	return checkInsWhere(ctx, tx, "?1 = '' OR e.key = ?1", key)
}

// checkInsWhere returns the check-ins of the key results (entity e) where
// holds, by key, oldest first.
func checkInsWhere(ctx context.Context, tx *Tx, where string, args ...any) ([]engine.CheckIn, error) {
	var out []engine.CheckIn
	err := each(ctx, tx, `SELECT e.key, c.at, c.value, c.confidence, c.note, c.author, c.comment FROM checkin c
		JOIN entity e ON e.id = c.key_result_id WHERE `+where+` ORDER BY e.key, c.at, c.id`,
		func(r *sql.Rows) error {
			var c engine.CheckIn
			var conf sql.NullFloat64
			if err := r.Scan(&c.KeyResult, timestamp{&c.At}, &c.Value, &conf, &c.Note, &c.Author, &c.Comment); err != nil {
				return err
			}
			c.Confidence = float(conf)
			out = append(out, c)
			return nil
		}, args...)
	return out, err
}

// Measurements returns a KPI's measurements, oldest first; all KPIs' when
// key is "".
func (db *DB) Measurements(ctx context.Context, key string) ([]engine.Measurement, error) {
	var out []engine.Measurement
	err := db.read(ctx, func(tx *Tx) error {
		var err error
		out, err = measurements(ctx, tx, key)
		return err
	})
	return out, err
}

func measurements(ctx context.Context, tx *Tx, key string) ([]engine.Measurement, error) {
	return measurementsWhere(ctx, tx, "?1 = '' OR e.key = ?1", key)
}

// measurementsWhere returns the measurements of the KPIs (entity e) where
// holds, by key, oldest first.
func measurementsWhere(ctx context.Context, tx *Tx, where string, args ...any) ([]engine.Measurement, error) {
	var out []engine.Measurement
	err := each(ctx, tx, `SELECT e.key, m.at, m.value, m.author, m.note FROM measurement m
		JOIN entity e ON e.id = m.kpi_id WHERE `+where+` ORDER BY e.key, m.at, m.id`,
		func(r *sql.Rows) error {
			var m engine.Measurement
			if err := r.Scan(&m.KPI, timestamp{&m.At}, &m.Value, &m.Author, &m.Note); err != nil {
				return err
			}
			out = append(out, m)
			return nil
		}, args...)
	return out, err
}

// MeasurementsSince returns the measurements taken at or after since, by
// KPI key, oldest first.
func (db *DB) MeasurementsSince(ctx context.Context, since time.Time) (map[string][]engine.Measurement, error) {
	out := map[string][]engine.Measurement{}
	err := db.read(ctx, func(tx *Tx) error {
		return each(ctx, tx, `SELECT e.key, m.at, m.value, m.author, m.note FROM measurement m JOIN entity e ON e.id = m.kpi_id
			WHERE m.at >= ? ORDER BY e.key, m.at, m.id`,
			func(r *sql.Rows) error {
				var m engine.Measurement
				if err := r.Scan(&m.KPI, timestamp{&m.At}, &m.Value, &m.Author, &m.Note); err != nil {
					return err
				}
				out[m.KPI] = append(out[m.KPI], m)
				return nil
			}, since.UTC().Format(timeLayout))
	})
	return out, err
}

// LatestMeasurements returns each measured KPI's most recent measurement.
func (db *DB) LatestMeasurements(ctx context.Context) (map[string]engine.Measurement, error) {
	var out map[string]engine.Measurement
	err := db.read(ctx, func(tx *Tx) error {
		var err error
		out, err = latestMeasurements(ctx, tx)
		return err
	})
	return out, err
}

func latestMeasurements(ctx context.Context, tx *Tx) (map[string]engine.Measurement, error) {
	out := map[string]engine.Measurement{}
	err := each(ctx, tx, `SELECT e.key, m.at, m.value, m.author, m.note FROM measurement m
		JOIN entity e ON e.id = m.kpi_id
		WHERE m.id = (SELECT id FROM measurement WHERE kpi_id = m.kpi_id ORDER BY at DESC, id DESC LIMIT 1)`,
		func(r *sql.Rows) error {
			var m engine.Measurement
			if err := r.Scan(&m.KPI, timestamp{&m.At}, &m.Value, &m.Author, &m.Note); err != nil {
				return err
			}
			out[m.KPI] = m
			return nil
		})
	return out, err
}

// timestamp scans an RFC 3339 TEXT column into a time.Time.
type timestamp struct{ t *time.Time }

func (s timestamp) Scan(v any) error {
	text, ok := v.(string)
	if b, isBytes := v.([]byte); isBytes {
		text, ok = string(b), true
	}
	if !ok {
		return fmt.Errorf("timestamp: unexpected %T", v)
	}
	if text == "" {
		*s.t = time.Time{}
		return nil
	}
	t, err := time.Parse(timeLayout, text)
	*s.t = t
	return err
}

// CountNoted counts the measurements and check-ins whose note is note.
func (db *DB) CountNoted(ctx context.Context, note string) (measurements, checkIns int, err error) {
	err = db.read(ctx, func(tx *Tx) error {
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM measurement WHERE note = ?", note).Scan(&measurements); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, "SELECT count(*) FROM checkin WHERE note = ?", note).Scan(&checkIns)
	})
	return measurements, checkIns, err
}

// LatestMeasurement returns a KPI's most recent measurement; ok is false
// when it has none.
func (db *DB) LatestMeasurement(ctx context.Context, key string) (m engine.Measurement, ok bool, err error) {
	err = db.queryRow(ctx, `SELECT e.key, m.at, m.value, m.author, m.note FROM measurement m
		JOIN entity e ON e.id = m.kpi_id WHERE e.key = ? AND e.kind = 'kpi' ORDER BY m.at DESC, m.id DESC LIMIT 1`, key).
		Scan(&m.KPI, timestamp{&m.At}, &m.Value, &m.Author, &m.Note)
	if errors.Is(err, sql.ErrNoRows) {
		return m, false, nil
	}
	return m, err == nil, err
}
