package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/okrmap/okrmap/engine"
)

// AddPending keeps a body for url to deliver later.
func (db *DB) AddPending(ctx context.Context, url string, body []byte) error {
	return db.writeTx(ctx, false, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO pending_notification (url, body, created_at) VALUES (?, ?, ?)",
			url, body, db.stamp())
		if err != nil {
			return fmt.Errorf("keep notification: %w", err)
		}
		return nil
	})
}

// PendingFor lists the bodies kept for url, oldest first.
func (db *DB) PendingFor(ctx context.Context, url string) ([]engine.Pending, error) {
	var out []engine.Pending
	err := db.read(ctx, func(tx *Tx) error {
		return each(ctx, tx, "SELECT id, url, body, attempts FROM pending_notification WHERE url = ? ORDER BY id", func(r *sql.Rows) error {
			var p engine.Pending
			err := r.Scan(&p.ID, &p.URL, &p.Body, &p.Attempts)
			out = append(out, p)
			return err
		}, url)
	})
	return out, err
}

// SettlePending deletes a delivered body, or counts another failed attempt.
func (db *DB) SettlePending(ctx context.Context, id int64, delivered bool) error {
	q := "UPDATE pending_notification SET attempts = attempts + 1 WHERE id = ?"
	if delivered {
		q = "DELETE FROM pending_notification WHERE id = ?"
	}
	return db.writeTx(ctx, false, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, q, id)
		return err
	})
}
