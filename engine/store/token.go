package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/okrmap/okrmap/engine"
)

const tokenColumns = "id, name, role, hash, created_at, expires_at, revoked_at, last_used_at"

func scanToken(r interface{ Scan(...any) error }) (engine.Token, error) {
	var t engine.Token
	err := r.Scan(&t.ID, &t.Name, &t.Role, &t.Hash, timestamp{&t.CreatedAt}, timestamp{&t.ExpiresAt}, timestamp{&t.RevokedAt}, timestamp{&t.LastUsed})
	return t, err
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

// CreateToken stores t; ECONFLICT when its name is taken.
func (db *DB) CreateToken(ctx context.Context, t *engine.Token) error {
	t.CreatedAt = db.now().UTC()
	return db.write(ctx, func(tx *Tx) error {
		// Writers take turns: no token can be named between this read and the insert.
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM api_token WHERE name = ?", t.Name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return engine.Errorf(engine.ECONFLICT, "a token named %q exists; revoke it or choose another name", t.Name)
		}
		err := tx.QueryRowContext(ctx, "INSERT INTO api_token (name, role, hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
			t.Name, t.Role, t.Hash, formatTime(t.CreatedAt), formatTime(t.ExpiresAt)).Scan(&t.ID)
		if err != nil {
			return fmt.Errorf("store token: %w", err)
		}
		return err
	})
}

// Tokens lists every token, revoked ones too, by name.
func (db *DB) Tokens(ctx context.Context) ([]engine.Token, error) {
	var out []engine.Token
	err := db.read(ctx, func(tx *Tx) error {
		return each(ctx, tx, "SELECT "+tokenColumns+" FROM api_token ORDER BY name", func(r *sql.Rows) error {
			t, err := scanToken(r)
			out = append(out, t)
			return err
		})
	})
	return out, err
}

// TokenByHash returns the token whose secret hashes to hash; ENOTFOUND when
// there is none. The caller judges expiry and revocation.
func (db *DB) TokenByHash(ctx context.Context, hash string) (engine.Token, error) {
	t, err := scanToken(db.queryRow(ctx, "SELECT "+tokenColumns+" FROM api_token WHERE hash = ?", hash))
	if errors.Is(err, sql.ErrNoRows) {
		return t, engine.Errorf(engine.ENOTFOUND, "unknown token")
	}
	return t, err
}

// TouchToken records that token id was used at.
func (db *DB) TouchToken(ctx context.Context, id int64, at time.Time) error {
	return db.writeTx(ctx, false, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE api_token SET last_used_at = ? WHERE id = ?", formatTime(at), id)
		return err
	})
}

// RevokeToken revokes the token named name; ENOTFOUND when there is none.
// Revoking twice keeps the first time.
func (db *DB) RevokeToken(ctx context.Context, name string) error {
	now := db.stamp()
	return db.write(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE api_token SET revoked_at = CASE revoked_at WHEN '' THEN ? ELSE revoked_at END WHERE name = ?", now, name)
		if err != nil {
			return fmt.Errorf("revoke token: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return engine.NotFound("token", "no token named %q", name)
		}
		return nil
	})
}
