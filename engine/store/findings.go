package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"sync/atomic"

	"github.com/okrmap/okrmap/engine"
)

// storeFindings stores each finding of a run of scope in finding_body,
// unless the latest run of the scope has an identical one, and returns
// their ids in order. An audit that finds what the one before found reads
// that run's digests and writes no rows here. A finding that comes back
// after a run without it is stored again.
func storeFindings(ctx context.Context, tx *Tx, scope string, fs []engine.Finding) ([]int64, error) {
	if len(fs) == 0 {
		return nil, nil
	}
	ctx = rowCtx(ctx)
	found, err := tx.db.previousDigests(ctx, tx, scope)
	if err != nil {
		return nil, err
	}
	// New rows are numbered after the largest id: writers take turns, so
	// no other write numbers rows meanwhile, and no id comes back to be read.
	var last int64
	if err := tx.QueryRowContext(ctx, "SELECT coalesce(max(id), 0) FROM finding_body").Scan(&last); err != nil {
		return nil, fmt.Errorf("store findings: %w", err)
	}
	ids := make([]int64, len(fs))
	added := make(map[string]int64, max(len(fs)-len(found), 0)) // digest -> id, for rows this call inserts
	insert := newInserter(tx, "finding_body", []string{"id", "digest", "rule", "severity", "scope", "entity", "team", "message",
		"fix", "trace", "fingerprint", "waiver", "not_judged"}, "")
	prep := prepareFindings(fs)
	for i, f := range fs {
		p := prep(i)
		if id, ok := found[p.digest]; ok {
			ids[i] = id
			continue
		}
		if id, ok := added[p.digest]; ok {
			ids[i] = id
			continue
		}
		last++
		ids[i], added[p.digest] = last, last
		err := insert.add(ctx, last, []byte(p.digest), f.Rule, f.Severity, f.Scope, f.Entity, f.Team, f.Message, f.Fix, p.trace,
			f.Fingerprint, p.waiver, f.NotJudged)
		if err != nil {
			return nil, fmt.Errorf("store findings: %w", err)
		}
	}
	if err := insert.flush(ctx); err != nil {
		return nil, fmt.Errorf("store findings: %w", err)
	}
	return ids, nil
}

// digests maps the findings of one stored run by digest to their ids. A
// run's findings never change, so the map stays true while the run is the
// latest of its scope.
type digests struct {
	run int64
	ids map[string]int64
}

// previousDigests returns the finding ids of the latest run of scope by
// their digests. The map is shared: callers must not change it.
func (db *DB) previousDigests(ctx context.Context, tx *Tx, scope string) (map[string]int64, error) {
	var run int64
	var blob []byte
	err := tx.QueryRowContext(ctx, "SELECT id, findings FROM audit_run WHERE scope = ? AND findings IS NOT NULL ORDER BY id DESC LIMIT 1",
		scope).Scan(&run, &blob)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if d := db.lastDigests.Load(); d != nil && d.run == run {
		return d.ids, nil
	}
	refs, err := findingRefs(ctx, tx, blob)
	if err != nil {
		return nil, err
	}
	return db.rememberDigests(run, refs), nil
}

// rememberDigests keeps the digests of run's findings for the next store.
func (db *DB) rememberDigests(run int64, refs []findingRef) map[string]int64 {
	ids := make(map[string]int64, len(refs))
	for _, r := range refs {
		ids[r.digest] = r.id
	}
	db.lastDigests.Store(&digests{run: run, ids: ids})
	return ids
}

// findingRef is what tells a stored finding apart without reading its body.
type findingRef struct {
	id                        int64
	digest, fingerprint, rule string
}

// findingRefs reads the refs of the findings a run's list of ids names, in
// its order.
func findingRefs(ctx context.Context, tx *Tx, blob []byte) ([]findingRef, error) {
	ids, err := decodeIDs(blob)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	byID := make(map[int64]findingRef, len(ids))
	err = each(ctx, tx, "SELECT id, digest, fingerprint, rule FROM finding_body WHERE id IN (SELECT CAST(value AS BIGINT) FROM json_each(?))",
		func(r *sql.Rows) error {
			var f findingRef
			var d []byte
			err := r.Scan(&f.id, &d, &f.fingerprint, &f.rule)
			f.digest = string(d)
			byID[f.id] = f
			return err
		}, idList(ids))
	if err != nil {
		return nil, err
	}
	return inOrder(ids, byID)
}

// inOrder returns the values of byID for ids, in their order.
func inOrder[T any](ids []int64, byID map[int64]T) ([]T, error) {
	out := make([]T, len(ids))
	for i, id := range ids {
		f, ok := byID[id]
		if !ok {
			return nil, fmt.Errorf("audit run: finding %d is missing", id)
		}
		out[i] = f
	}
	return out, nil
}

// idList is ids as a JSON array, the argument json_each reads.
func idList(ids []int64) string {
	b, _ := json.Marshal(ids)
	return string(b)
}

// prepared is what storing a finding computes: its trace and waiver as
// JSON ("" for none) and its digest.
type prepared struct {
	trace, waiver, digest string
}

// prepareChunk is how many findings prepareFindings prepares at a time.
const prepareChunk = 4096

// prepareFindings prepares fs on every core, a chunk at a time in order,
// and returns them as they become ready: at(i) waits for fs[i]'s chunk.
// Storing the first findings need not wait for the last to be digested.
func prepareFindings(fs []engine.Finding) (at func(i int) *prepared) {
	out := make([]prepared, len(fs))
	ready := make([]chan struct{}, (len(fs)+prepareChunk-1)/prepareChunk)
	for c := range ready {
		ready[c] = make(chan struct{})
	}
	var next atomic.Int64 // the next chunk to claim
	for range min(runtime.GOMAXPROCS(0), len(ready)) {
		go func() {
			for c := int(next.Add(1) - 1); c < len(ready); c = int(next.Add(1) - 1) {
				from, to := c*prepareChunk, min((c+1)*prepareChunk, len(fs))
				prepare(fs[from:to], out[from:to])
				close(ready[c])
			}
		}()
	}
	return func(i int) *prepared {
		<-ready[i/prepareChunk]
		return &out[i]
	}
}

// prepare sets out[i] for fs[i].
func prepare(fs []engine.Finding, out []prepared) {
	traceOf := map[string]string{} // by entity: a run gives each entity one trace
	h := sha256.New()
	var buf []byte
	for i := range fs {
		f, p := &fs[i], &out[i]
		trace, ok := traceOf[f.Entity]
		if !ok && len(f.Trace) > 0 {
			b, _ := json.Marshal(f.Trace)
			trace = string(b)
			traceOf[f.Entity] = trace
		}
		p.trace = trace
		if f.Waiver != nil {
			b, _ := json.Marshal(f.Waiver)
			p.waiver = string(b)
		}
		// The digest covers the stored columns in order, each string
		// prefixed by its length and each value followed by a zero.
		h.Reset()
		for _, v := range [...]string{f.Rule, f.Severity, f.Scope, f.Entity, f.Team, f.Message, f.Fix, p.trace, f.Fingerprint, p.waiver} {
			buf = append(binary.AppendUvarint(buf[:0], uint64(len(v))), v...)
			h.Write(append(buf, 0))
		}
		h.Write(append(strconv.AppendBool(buf[:0], f.NotJudged), 0))
		p.digest = string(h.Sum(buf[:0])[:16])
	}
}

// encodeIDs writes ids as signed varints of their differences: a run's ids
// mostly follow one another, so most take one byte.
func encodeIDs(ids []int64) []byte {
	b := make([]byte, 0, len(ids)+8)
	prev := int64(0)
	for _, id := range ids {
		b = binary.AppendVarint(b, id-prev)
		prev = id
	}
	return b
}

func decodeIDs(b []byte) ([]int64, error) {
	var ids []int64
	prev := int64(0)
	for len(b) > 0 {
		d, n := binary.Varint(b)
		if n <= 0 {
			return nil, errors.New("audit run: findings list is corrupt")
		}
		prev += d
		ids = append(ids, prev)
		b = b[n:]
	}
	return ids, nil
}

// loadFindings reads the findings a run's list of ids names, in its order.
func loadFindings(ctx context.Context, tx *Tx, blob []byte) ([]engine.Finding, error) {
	ids, err := decodeIDs(blob)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	bodies, err := findingBodies(ctx, tx, ids)
	if err != nil {
		return nil, err
	}
	return inOrder(ids, bodies)
}

// findingBodies reads the findings with ids, by id.
func findingBodies(ctx context.Context, tx *Tx, ids []int64) (map[int64]engine.Finding, error) {
	bodies := make(map[int64]engine.Finding, len(ids))
	if len(ids) == 0 {
		return bodies, nil
	}
	traces := map[string][]string{} // JSON to keys, read once
	err := each(ctx, tx, `SELECT id, rule, severity, scope, entity, team, message, fix, trace, fingerprint, waiver, not_judged
		FROM finding_body WHERE id IN (SELECT CAST(value AS BIGINT) FROM json_each(?))`, func(r *sql.Rows) error {
		var id int64
		var f engine.Finding
		var trace, waiver string
		if err := r.Scan(&id, &f.Rule, &f.Severity, &f.Scope, &f.Entity, &f.Team, &f.Message, &f.Fix, &trace,
			&f.Fingerprint, &waiver, &f.NotJudged); err != nil {
			return err
		}
		if trace != "" {
			t, ok := traces[trace]
			if !ok {
				if err := json.Unmarshal([]byte(trace), &t); err != nil {
					return err
				}
				traces[trace] = t
			}
			f.Trace = t
		}
		if err := setWaiver(&f, waiver); err != nil {
			return err
		}
		bodies[id] = f
		return nil
	}, idList(ids))
	return bodies, err
}

// setWaiver sets f's waiver from its stored JSON; "" is none.
func setWaiver(f *engine.Finding, waiver string) error {
	if waiver == "" {
		return nil
	}
	f.Waiver = &engine.Waiver{}
	return json.Unmarshal([]byte(waiver), f.Waiver)
}

// legacyFindings reads the findings of a run stored one row each.
func legacyFindings(ctx context.Context, tx *Tx, id int64) ([]engine.Finding, error) {
	traces := map[string][]string{}
	err := each(ctx, tx, "SELECT entity, trace FROM audit_trace WHERE run_id = ?", func(r *sql.Rows) error {
		var entity, trace string
		if err := r.Scan(&entity, &trace); err != nil {
			return err
		}
		var keys []string
		if err := json.Unmarshal([]byte(trace), &keys); err != nil {
			return err
		}
		traces[entity] = keys
		return nil
	}, id)
	if err != nil {
		return nil, err
	}
	var out []engine.Finding
	err = each(ctx, tx, `SELECT rule, severity, scope, entity, team, message, fix, trace, fingerprint, waiver, not_judged FROM audit_finding
			WHERE run_id = ? ORDER BY pos`, func(r *sql.Rows) error {
		var f engine.Finding
		var trace, waiver string
		if err := r.Scan(&f.Rule, &f.Severity, &f.Scope, &f.Entity, &f.Team, &f.Message, &f.Fix, &trace, &f.Fingerprint, &waiver, &f.NotJudged); err != nil {
			return err
		}
		if err := setWaiver(&f, waiver); err != nil {
			return err
		}
		if trace != "" {
			if err := json.Unmarshal([]byte(trace), &f.Trace); err != nil {
				return err
			}
		} else if t, ok := traces[f.Entity]; ok {
			f.Trace = t
		}
		out = append(out, f)
		return nil
	}, id)
	return out, err
}

// dropUnreferenced deletes the findings no stored run names any more, by
// id in batches: no temporary table, which not every database has.
func dropUnreferenced(ctx context.Context, tx *Tx) error {
	kept := map[int64]bool{}
	err := each(ctx, tx, "SELECT findings FROM audit_run WHERE findings IS NOT NULL", func(r *sql.Rows) error {
		var b []byte
		if err := r.Scan(&b); err != nil {
			return err
		}
		ids, err := decodeIDs(b)
		for _, id := range ids {
			kept[id] = true
		}
		return err
	})
	if err != nil {
		return err
	}
	var drop []any
	err = each(ctx, tx, "SELECT id FROM finding_body", func(r *sql.Rows) error {
		var id int64
		err := r.Scan(&id)
		if !kept[id] {
			drop = append(drop, id)
		}
		return err
	})
	if err != nil {
		return err
	}
	ctx = rowCtx(ctx)
	for len(drop) > 0 {
		n := min(len(drop), 500)
		q := "DELETE FROM finding_body WHERE id IN (" + placeholders(n) + ")"
		if _, err := tx.ExecContext(ctx, q, drop[:n]...); err != nil {
			return fmt.Errorf("prune findings: %w", err)
		}
		drop = drop[n:]
	}
	return nil
}
