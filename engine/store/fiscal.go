package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
)

// FiscalYearStart returns the month (1-12) the database's fiscal periods
// were applied with, or 0 when none was recorded.
func (db *DB) FiscalYearStart(ctx context.Context) (int, error) {
	var text string
	err := db.queryRow(ctx, "SELECT value FROM meta WHERE key = 'fiscal_year_start'").Scan(&text)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, db.d.Explain(err)
	}
	return strconv.Atoi(text)
}

// SetFiscalYearStart records month as the database's fiscal year start,
// when none is recorded yet.
func (db *DB) SetFiscalYearStart(ctx context.Context, month int) error {
	return db.writeTx(ctx, false, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO meta (key, value) VALUES ('fiscal_year_start', ?) ON CONFLICT (key) DO NOTHING",
			strconv.Itoa(month))
		return err
	})
}
