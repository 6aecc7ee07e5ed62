package store

import (
	"context"
	"database/sql"

	"github.com/okrmap/okrmap/engine"
)

// Reminded reports which of rs were recorded as sent.
func (db *DB) Reminded(ctx context.Context, rs []engine.Reminded) (map[engine.Reminded]bool, error) {
	out := map[engine.Reminded]bool{}
	if len(rs) == 0 {
		return out, nil
	}
	owners := map[string]bool{}
	for _, r := range rs {
		owners[r.Owner] = true
	}
	var list []string
	for o := range owners {
		list = append(list, o)
	}
	err := db.read(ctx, func(tx *Tx) error {
		return each(ctx, tx, "SELECT owner, item, window_start FROM reminder_sent WHERE owner IN (SELECT value FROM json_each(?))",
			func(r *sql.Rows) error {
				var x engine.Reminded
				if err := r.Scan(&x.Owner, &x.Item, date{&x.Window}); err != nil {
					return err
				}
				out[x] = true
				return nil
			}, mustJSON(list))
	})
	return out, err
}

// RecordReminders stores rs as sent now, in one transaction; one already
// stored is kept.
func (db *DB) RecordReminders(ctx context.Context, rs []engine.Reminded) error {
	return db.writeTx(ctx, false, func(tx *Tx) error {
		now := db.stamp()
		for _, r := range rs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO reminder_sent (owner, item, window_start, sent_at) VALUES (?, ?, ?, ?)
				ON CONFLICT (owner, item, window_start) DO NOTHING`, r.Owner, r.Item, r.Window.String(), now); err != nil {
				return err
			}
		}
		return nil
	})
}
