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
	return db.write(ctx, func(tx *Tx) error {
		ids, err := storeFindings(ctx, tx, run.Scope, run.Findings)
		if err != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO audit_run (scope, started_at, finished_at, today, complete, packs,
			scorecard, errors, warnings, infos, waived, author, findings) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			RETURNING id`,
			run.Scope, run.StartedAt.UTC().Format(timeLayout), run.FinishedAt.UTC().Format(timeLayout), run.Today.String(),
			run.Complete, string(packs), string(card), run.Counts["error"], run.Counts["warning"], run.Counts["info"], run.Counts["waived"],
			run.Author, encodeIDs(ids)).Scan(&run.ID)
		if err != nil {
			return fmt.Errorf("store audit run: %w", err)
		}
		return nil
	})
}

const runColumns = "id, scope, started_at, finished_at, today, complete, packs, scorecard, errors, warnings, infos, waived, author"

func scanRun(r interface{ Scan(...any) error }) (*engine.AuditRun, error) {
	run := &engine.AuditRun{}
	var packs, card string
	var e, w, i, wv int
	if err := r.Scan(&run.ID, &run.Scope, timestamp{&run.StartedAt}, timestamp{&run.FinishedAt}, date{&run.Today},
		&run.Complete, &packs, &card, &e, &w, &i, &wv, &run.Author); err != nil {
		return nil, err
	}
	run.Counts = map[string]int{"error": e, "warning": w, "info": i, "waived": wv}
	if err := json.Unmarshal([]byte(packs), &run.Packs); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(card), &run.Scorecard); err != nil {
		return nil, err
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
		run, err = scanRun(tx.QueryRowContext(ctx, "SELECT "+runColumns+" FROM audit_run WHERE id = ?", id))
		if errors.Is(err, sql.ErrNoRows) {
			return engine.NotFound("audit_run", "no audit run %d", id)
		}
		if err != nil {
			return err
		}
		var blob []byte
		if err := tx.QueryRowContext(ctx, "SELECT findings FROM audit_run WHERE id = ?", id).Scan(&blob); err != nil {
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
