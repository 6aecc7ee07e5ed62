package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"time"

	"github.com/okrmap/okrmap/engine"
)

// claimsKept is how long claims of schedule ticks are kept.
const claimsKept = 7 * 24 * time.Hour

// ClaimTick records that owner runs the tick of schedule due at slot, and
// reports whether it was first: a tick another server claimed is not run
// again. The schedule's claims of ticks a week before slot are dropped.
func (db *DB) ClaimTick(ctx context.Context, schedule string, slot time.Time, owner string) (bool, error) {
	var claimed bool
	err := db.writeTx(ctx, false, func(tx *Tx) error {
		// By the primary key's prefix: no scan of other schedules' claims.
		if _, err := tx.ExecContext(ctx, "DELETE FROM schedule_claim WHERE schedule = ? AND slot < ?",
			schedule, slot.Add(-claimsKept).UTC().Format(timeLayout)); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO schedule_claim (schedule, slot, owner, claimed_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (schedule, slot) DO NOTHING`, schedule, slot.UTC().Format(timeLayout), owner, db.stamp())
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		claimed = n == 1
		return err
	})
	return claimed, err
}

// AddSession stores a dashboard session: the hash of its cookie, the hash
// of its token, and when it ends. Ended sessions are dropped.
func (db *DB) AddSession(ctx context.Context, id, tokenHash string, expires time.Time) error {
	return db.writeTx(ctx, false, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM web_session WHERE expires_at < ?", db.stamp()); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO web_session (id, token_hash, expires_at) VALUES (?, ?, ?)",
			id, tokenHash, expires.UTC().Format(timeLayout))
		return err
	})
}

// Session returns the token hash of the session with id and when it ends;
// ENOTFOUND when there is none or it has ended.
func (db *DB) Session(ctx context.Context, id string) (tokenHash string, expires time.Time, err error) {
	err = db.queryRow(ctx, "SELECT token_hash, expires_at FROM web_session WHERE id = ?", id).
		Scan(&tokenHash, timestamp{&expires})
	if errors.Is(err, sql.ErrNoRows) || err == nil && !db.now().Before(expires) {
		return "", time.Time{}, engine.Errorf(engine.ENOTFOUND, "no such session")
	}
	return tokenHash, expires, err
}

// RemoveSession ends the session with id.
func (db *DB) RemoveSession(ctx context.Context, id string) error {
	return db.writeTx(ctx, false, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM web_session WHERE id = ?", id)
		return err
	})
}

// Secret returns the 32 random bytes stored under name, made on first use,
// so every server on the database signs with the same key. Only the first
// use writes.
func (db *DB) Secret(ctx context.Context, name string) ([]byte, error) {
	var text string
	err := db.queryRow(ctx, "SELECT value FROM meta WHERE key = ?", "secret:"+name).Scan(&text)
	if err == nil {
		return hex.DecodeString(text)
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, db.d.Explain(err)
	}
	err = db.writeTx(ctx, false, func(tx *Tx) error {
		b := make([]byte, 32)
		rand.Read(b)
		if _, err := tx.ExecContext(ctx, "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
			"secret:"+name, hex.EncodeToString(b)); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = ?", "secret:"+name).Scan(&text)
	})
	if err != nil {
		return nil, err
	}
	return hex.DecodeString(text)
}

// keptJobs bounds the audit jobs kept: the oldest finished ones go.
const keptJobs = 1000

// StartJob records a running audit job of owner and returns its id.
func (db *DB) StartJob(ctx context.Context, owner string) (int64, error) {
	var id int64
	err := db.writeTx(ctx, false, func(tx *Tx) error {
		now := db.stamp()
		if err := tx.QueryRowContext(ctx, `INSERT INTO audit_job (status, owner, started_at, beat_at) VALUES ('running', ?, ?, ?)
			RETURNING id`, owner, now, now).Scan(&id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM audit_job WHERE status != 'running' AND id <= ?`, id-keptJobs)
		return err
	})
	return id, err
}

// BeatJob records that the job's server is still running it.
func (db *DB) BeatJob(ctx context.Context, id int64) error {
	return db.writeTx(ctx, false, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE audit_job SET beat_at = ? WHERE id = ?", db.stamp(), id)
		return err
	})
}

// FinishJob records how a job ended: its run, or what stopped it.
func (db *DB) FinishJob(ctx context.Context, id, run int64, failure string) error {
	status, runID := "done", sql.NullInt64{Int64: run, Valid: true}
	if failure != "" {
		status, runID = "failed", sql.NullInt64{}
	}
	return db.writeTx(ctx, false, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE audit_job SET status = ?, run_id = ?, error = ?, beat_at = ? WHERE id = ?",
			status, runID, failure, db.stamp(), id)
		return err
	})
}

// Job returns the audit job with id; ENOTFOUND when there is none.
func (db *DB) Job(ctx context.Context, id int64) (engine.Job, error) {
	j := engine.Job{ID: id}
	var run sql.NullInt64
	err := db.queryRow(ctx, "SELECT status, run_id, error, owner, started_at, beat_at FROM audit_job WHERE id = ?", id).
		Scan(&j.Status, &run, &j.Error, &j.Owner, timestamp{&j.StartedAt}, timestamp{&j.BeatAt})
	if errors.Is(err, sql.ErrNoRows) {
		return j, engine.NotFound("audit_job", "no audit job %d", id)
	}
	j.Run = run.Int64
	return j, err
}
