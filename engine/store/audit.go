package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/okrmap/okrmap/engine"
)

// engine.Snapshot reads the model, check-ins and latest measurements in one read
// transaction, so a concurrent apply is seen whole or not at all.
func (db *DB) Snapshot(ctx context.Context) (*engine.Snapshot, error) {
	s := &engine.Snapshot{Latest: map[string]engine.Measurement{}}
	err := db.read(ctx, func(tx *Tx) error {
		snap, err := loadSnapshot(ctx, tx)
		if err != nil {
			return err
		}
		s.Plan = snap.plan
		if s.CheckIns, err = checkIns(ctx, tx, ""); err != nil {
			return err
		}
		if s.Latest, err = latestMeasurements(ctx, tx); err != nil {
			return err
		}
		s.Syncs, err = syncStatuses(ctx, tx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// SaveRun stores an audit run with its findings in one transaction and
// sets run.ID. Findings and traces already stored are referenced, not
// stored again (see storeFindings).
func (db *DB) SaveRun(ctx context.Context, run *engine.AuditRun) error {
	packs, err := json.Marshal(run.Packs)
	if err != nil {
		return err
	}
	card, err := json.Marshal(run.Scorecard)
	if err != nil {
		return err
	}
	delivery := ""
	if run.Delivery != nil {
		b, err := json.Marshal(run.Delivery)
		if err != nil {
			return err
		}
		delivery = string(b)
	}
	return db.write(ctx, func(tx *Tx) error {
		ids, err := storeFindings(ctx, tx, run.Scope, run.Findings)
		if err != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO audit_run (scope, started_at, finished_at, today, complete, packs,
			scorecard, errors, warnings, infos, waived, author, findings, delivery) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			RETURNING id`,
			run.Scope, run.StartedAt.UTC().Format(timeLayout), run.FinishedAt.UTC().Format(timeLayout), run.Today.String(),
			run.Complete, string(packs), string(card), run.Counts["error"], run.Counts["warning"], run.Counts["info"], run.Counts["waived"],
			run.Author, encodeIDs(ids), delivery).Scan(&run.ID)
		if err != nil {
			return fmt.Errorf("store audit run: %w", err)
		}
		return nil
	})
}

const runColumns = "id, scope, started_at, finished_at, today, complete, packs, scorecard, errors, warnings, infos, waived, author, delivery"

// scanRun reads a row of runColumns and then extra.
func scanRun(r interface{ Scan(...any) error }, extra ...any) (*engine.AuditRun, error) {
	run := &engine.AuditRun{}
	var packs, card, delivery string
	var e, w, i, wv int
	dest := append([]any{&run.ID, &run.Scope, timestamp{&run.StartedAt}, timestamp{&run.FinishedAt}, date{&run.Today},
		&run.Complete, &packs, &card, &e, &w, &i, &wv, &run.Author, &delivery}, extra...)
	if err := r.Scan(dest...); err != nil {
		return nil, err
	}
	run.Counts = map[string]int{"error": e, "warning": w, "info": i, "waived": wv}
	if err := json.Unmarshal([]byte(packs), &run.Packs); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(card), &run.Scorecard); err != nil {
		return nil, err
	}
	if delivery != "" {
		run.Delivery = &engine.Delivery{}
		if err := json.Unmarshal([]byte(delivery), run.Delivery); err != nil {
			return nil, err
		}
	}
	return run, nil
}

// Runs lists stored runs, newest first, without findings; only those of
// scope unless it is "".
func (db *DB) Runs(ctx context.Context, scope string) ([]*engine.AuditRun, error) {
	var out []*engine.AuditRun
	err := db.read(ctx, func(tx *Tx) error {
		return each(ctx, tx, "SELECT "+runColumns+" FROM audit_run WHERE ?1 = '' OR scope = ?1 ORDER BY id DESC",
			func(r *sql.Rows) error {
				run, err := scanRun(r)
				out = append(out, run)
				return err
			}, scope)
	})
	return out, err
}

// Run returns a stored run with its findings; ENOTFOUND when there is none.
func (db *DB) Run(ctx context.Context, id int64) (*engine.AuditRun, error) {
	var run *engine.AuditRun
	err := db.read(ctx, func(tx *Tx) error {
		var err error
		var blob []byte
		run, err = scanRun(tx.QueryRowContext(ctx, "SELECT "+runColumns+", findings FROM audit_run WHERE id = ?", id), &blob)
		if errors.Is(err, sql.ErrNoRows) {
			return engine.NotFound("audit_run", "no audit run %d", id)
		}
		if err != nil {
			return err
		}
		if blob == nil {
			run.Findings, err = legacyFindings(ctx, tx, id)
		} else {
			run.Findings, err = loadFindings(ctx, tx, blob)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return run, nil
}

// LatestRun returns the newest stored run of scope, or nil. Each of its
// findings has its fingerprint and rule; the rest of a finding is read only
// when full, given those, says so, or when full is nil. An audit compares
// with the run before it this way without reading the findings it finds
// again.
func (db *DB) LatestRun(ctx context.Context, scope string, full func(fingerprint, rule string) bool) (*engine.AuditRun, error) {
	var run *engine.AuditRun
	err := db.read(ctx, func(tx *Tx) error {
		var blob []byte
		var err error
		run, err = scanRun(tx.QueryRowContext(ctx, "SELECT "+runColumns+", findings FROM audit_run WHERE scope = ? ORDER BY id DESC LIMIT 1",
			scope), &blob)
		if errors.Is(err, sql.ErrNoRows) {
			run = nil
			return nil
		}
		if err != nil {
			return err
		}
		switch {
		case blob == nil:
			run.Findings, err = legacyFindings(ctx, tx, run.ID)
		case full == nil:
			run.Findings, err = loadFindings(ctx, tx, blob)
		default:
			run.Findings, err = someFindings(ctx, tx, run.ID, blob, full)
		}
		return err
	})
	return run, err
}

// someFindings reads a run's findings, whole where full says so and
// otherwise only their fingerprints and rules.
func someFindings(ctx context.Context, tx *Tx, run int64, blob []byte, full func(fingerprint, rule string) bool) ([]engine.Finding, error) {
	refs, err := findingRefs(ctx, tx, blob)
	if err != nil {
		return nil, err
	}
	tx.db.rememberDigests(run, refs)
	out := make([]engine.Finding, len(refs))
	var need []int64
	for i, r := range refs {
		out[i] = engine.Finding{Fingerprint: r.fingerprint, Rule: r.rule}
		if full(r.fingerprint, r.rule) {
			need = append(need, r.id)
		}
	}
	bodies, err := findingBodies(ctx, tx, need)
	if err != nil {
		return nil, err
	}
	for i, r := range refs {
		if f, ok := bodies[r.id]; ok {
			out[i] = f
		}
	}
	return out, nil
}

// PreviousRun returns the latest run of scope stored before run id, or nil.
func (db *DB) PreviousRun(ctx context.Context, scope string, id int64) (*engine.AuditRun, error) {
	var prev int64
	err := db.queryRow(ctx, "SELECT id FROM audit_run WHERE scope = ? AND id < ? ORDER BY id DESC LIMIT 1", scope, id).Scan(&prev)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return db.Run(ctx, prev)
}

// PruneRuns deletes, in one transaction, the runs started before cutoff
// that are not among the keep newest of their scope, with their findings,
// and returns their ids. With dryRun it deletes nothing.
func (db *DB) PruneRuns(ctx context.Context, keep int, cutoff time.Time, dryRun bool) ([]int64, error) {
	var ids []int64
	run := db.write
	if dryRun {
		run = db.read
	}
	err := run(ctx, func(tx *Tx) error {
		ids = nil
		err := each(ctx, tx, `SELECT id FROM (
				SELECT id, started_at, row_number() OVER (PARTITION BY scope ORDER BY id DESC) AS n FROM audit_run) AS ranked
			WHERE n > ? AND started_at < ? ORDER BY id`, func(r *sql.Rows) error {
			var id int64
			err := r.Scan(&id)
			ids = append(ids, id)
			return err
		}, keep, cutoff.UTC().Format(timeLayout))
		if err != nil || dryRun {
			return err
		}
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, "DELETE FROM audit_run WHERE id = ?", id); err != nil {
				return fmt.Errorf("prune run %d: %w", id, err)
			}
		}
		if len(ids) == 0 {
			return nil
		}
		return dropUnreferenced(ctx, tx)
	})
	return ids, err
}
