package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/okrmap/okrmap/engine"
)

// Waivers returns every stored waiver, oldest first.
func (db *DB) Waivers(ctx context.Context) ([]engine.Waiver, error) {
	var out []engine.Waiver
	err := db.read(ctx, func(tx *Tx) error {
		var err error
		out, err = waivers(ctx, tx)
		return err
	})
	return out, err
}

func waivers(ctx context.Context, tx *Tx) ([]engine.Waiver, error) {
	var out []engine.Waiver
	err := each(ctx, tx, "SELECT id, rule, entity, reason, owner, until FROM waiver ORDER BY id", func(r *sql.Rows) error {
		var w engine.Waiver
		if err := r.Scan(&w.ID, &w.Rule, &w.Entity, &w.Reason, &w.Owner, date{&w.Until}); err != nil {
			return err
		}
		out = append(out, w)
		return nil
	})
	return out, err
}

// AddWaivers stores waivers in one transaction. A waiver for the same rule
// and entity as a stored one replaces it. It sets each waiver's ID.
func (db *DB) AddWaivers(ctx context.Context, author string, ws ...engine.Waiver) error {
	now := db.stamp()
	return db.write(ctx, func(tx *Tx) error {
		for i := range ws {
			if err := addWaiver(ctx, tx, &ws[i], now, author); err != nil {
				return err
			}
		}
		return nil
	})
}

func addWaiver(ctx context.Context, tx *Tx, w *engine.Waiver, now, author string) error {
	err := tx.QueryRowContext(ctx, `UPDATE waiver SET reason = ?, owner = ?, until = ?, created_at = ?, created_by = ?
		WHERE rule = ? AND entity = ? RETURNING id`, w.Reason, w.Owner, w.Until.String(), now, author, w.Rule, w.Entity).Scan(&w.ID)
	if err == nil {
		return nil
	}
	if err != sql.ErrNoRows {
		return fmt.Errorf("store waiver: %w", err)
	}
	err = tx.QueryRowContext(ctx, `INSERT INTO waiver (rule, entity, reason, owner, until, created_at, created_by)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, w.Rule, w.Entity, w.Reason, w.Owner, w.Until.String(), now, author).Scan(&w.ID)
	if err != nil {
		return fmt.Errorf("store waiver: %w", err)
	}
	return err
}

// RemoveWaiver deletes the waiver with id and returns it; ENOTFOUND when
// there is none.
func (db *DB) RemoveWaiver(ctx context.Context, id int64) (engine.Waiver, error) {
	var w engine.Waiver
	err := db.write(ctx, func(tx *Tx) error {
		err := tx.QueryRowContext(ctx, "DELETE FROM waiver WHERE id = ? RETURNING id, rule, entity, reason, owner, until", id).
			Scan(&w.ID, &w.Rule, &w.Entity, &w.Reason, &w.Owner, date{&w.Until})
		if err == sql.ErrNoRows {
			return engine.NotFound("waiver", "no waiver %d", id)
		}
		return err
	})
	return w, err
}

// ImportWaivers stores waivers read from a legacy waiver file once: the
// import is marked under marker, and a second call with the same marker
// stores nothing and returns false.
func (db *DB) ImportWaivers(ctx context.Context, marker string, ws []engine.Waiver) (bool, error) {
	imported := false
	now := db.stamp()
	err := db.write(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", marker, now)
		if err != nil {
			return fmt.Errorf("import waivers: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		for i := range ws {
			w := ws[i]
			if _, err := tx.ExecContext(ctx, "INSERT INTO waiver (rule, entity, reason, owner, until, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
				w.Rule, w.Entity, w.Reason, w.Owner, w.Until.String(), now, "import"); err != nil {
				return fmt.Errorf("import waivers: %w", err)
			}
		}
		imported = true
		return nil
	})
	return imported, err
}
