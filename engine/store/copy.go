package store

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"math"
	"strconv"
	"strings"

	"github.com/okrmap/okrmap/engine"
)

// table is a stored table and the columns that order its rows.
type table struct{ name, order string }

// copyGroups are the tables in groups that are copied in one transaction
// each, every table after those its rows refer to.
var copyGroups = []struct {
	name   string
	tables []table
}{
	{"model", []table{{"entity", "id"}, {"team", "id"}, {"business_objective", "id"}, {"assumption", "id"},
		{"objective", "id"}, {"key_result", "id"}, {"objective_align", "objective_id, key_result_id"}, {"kpi", "id"}, {"link", "kpi_id, to_id"},
		{"link_assumption", "kpi_id, to_id, assumption_id"}, {"investment", "id"}, {"apply_log", "id"}, {"quarter_close", "id"}}},
	{"archive", []table{{"archived_entity", "id"}}},
	{"history", []table{{"checkin", "id"}, {"measurement", "id"}, {"sync_status", "kpi_id"}, {"idempotency", "key"}}},
	{"audits", []table{{"audit_run", "id"}, {"audit_finding", "run_id, pos"}, {"audit_trace", "run_id, entity"}, {"finding_body", "id"}}},
	{"service", []table{{"waiver", "id"}, {"api_token", "id"}, {"meta", "key"}, {"pending_notification", "id"},
		{"web_session", "id"}, {"schedule_claim", "schedule, slot"}, {"audit_job", "id"}, {"revision", "id"}, {"reminder_sent", "owner, item, window_start"}}},
}

// copied lists copyGroups' tables in order.
func copied() []table {
	var ts []table
	for _, g := range copyGroups {
		ts = append(ts, g.tables...)
	}
	return ts
}

// CopiedTables names the tables Copy copies: every table of the schema but
// the dialect's own (its schema version).
func CopiedTables() []string {
	var names []string
	for _, t := range copied() {
		names = append(names, t.name)
	}
	return names
}

// TableCopy says what Copy did with one table.
type TableCopy struct {
	Table string `json:"table"`
	Rows  int64  `json:"rows"`
	// Checksum is the SHA-256 of the rows in order, as the source and the
	// target both read them: they agree or Copy fails.
	Checksum string `json:"checksum"`
}

// Copy copies every row of from into to, which must be empty and at the
// same schema version: the model, the history, the audit runs, waivers,
// tokens and the rest. It reads from in one snapshot and writes each group
// of tables (the model, the history, the audits, the service's) in one
// transaction; then it reads to back and checks each table's row count and
// checksum against the source's. progress, when set, is told each table
// as it starts.
func Copy(ctx context.Context, from, to *DB, progress func(table string)) ([]TableCopy, error) {
	fv, err := from.SchemaVersion(ctx)
	if err != nil {
		return nil, err
	}
	if tv, err := to.SchemaVersion(ctx); err != nil || fv != tv {
		return nil, engine.Errorf(engine.ECONFLICT, "%s is at schema version %d and %s at %d: open both with this okrmap first", from.where, fv, to.where, tv)
	}
	for _, t := range copied() {
		n, err := to.Count(ctx, t.name)
		if err != nil {
			return nil, err
		}
		if n > 0 && t.name != "revision" {
			return nil, engine.Errorf(engine.ECONFLICT, "%s is not empty (table %s has %d rows): copy into a new database", to.where, t.name, n)
		}
	}
	var out []TableCopy
	err = from.read(ctx, func(src *Tx) error {
		for _, g := range copyGroups {
			err := to.writeTx(ctx, false, func(dst *Tx) error {
				for _, t := range g.tables {
					if progress != nil {
						progress(t.name)
					}
					c, err := copyTable(ctx, src, dst, t)
					if err != nil {
						return fmt.Errorf("copy %s: %w", t.name, err)
					}
					out = append(out, c)
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("copy the %s tables (nothing of them was written): %w", g.name, err)
			}
		}
		return nil
	})
	if err != nil {
		return out, err
	}
	return out, verify(ctx, to, out)
}

// verify reads every copied table back from db and compares its count and
// checksum with the source's, want, in copied's order.
func verify(ctx context.Context, db *DB, want []TableCopy) error {
	return db.read(ctx, func(tx *Tx) error {
		for i, t := range copied() {
			sum := newRowHash()
			if err := eachRow(ctx, tx, t, nil, func(vals []any) error { sum.add(vals); return nil }); err != nil {
				return err
			}
			if w := want[i]; sum.n != w.Rows || sum.hex() != w.Checksum {
				return fmt.Errorf("table %s: the copy has %d rows (checksum %.12s), the source %d (%.12s)", t.name, sum.n, sum.hex(), w.Rows, w.Checksum)
			}
		}
		return nil
	})
}

// eachRow reads t's rows in order: start, when set, is told the columns
// before the first row, and fn each row's values, in a slice it reuses.
func eachRow(ctx context.Context, tx *Tx, t table, start func(cols []string) error, fn func(vals []any) error) error {
	rows, err := tx.QueryContext(ctx, "SELECT * FROM "+t.name+" ORDER BY "+t.order)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	if start != nil {
		if err := start(cols); err != nil {
			return err
		}
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		if err := fn(vals); err != nil {
			return err
		}
	}
	return rows.Err()
}

// copyTable copies t's rows from src to dst in batches of multi-row
// INSERTs, and returns their count and checksum.
func copyTable(ctx context.Context, src, dst *Tx, t table) (TableCopy, error) {
	if t.name == "revision" { // the migration made its one row
		if _, err := dst.ExecContext(ctx, "DELETE FROM revision"); err != nil {
			return TableCopy{}, err
		}
	}
	var kinds []string
	var ins *inserter
	sum := newRowHash()
	start := func(cols []string) (err error) {
		kinds, err = columnKinds(ctx, dst, t.name, cols)
		ins = newInserter(dst, t.name, cols, "")
		return err
	}
	err := eachRow(ctx, src, t, start, func(vals []any) error {
		row := make([]any, len(vals))
		for i, v := range vals {
			row[i] = convert(v, kinds[i])
		}
		sum.add(row)
		return ins.add(rowCtx(ctx), row...)
	})
	if err != nil {
		return TableCopy{}, err
	}
	if err := ins.flush(rowCtx(ctx)); err != nil {
		return TableCopy{}, err
	}
	if err := dst.db.d.AfterCopy(ctx, dst.Tx, t.name); err != nil {
		return TableCopy{}, err
	}
	return TableCopy{Table: t.name, Rows: sum.n, Checksum: sum.hex()}, nil
}

// columnKinds returns the database type of each of cols in dst's table.
func columnKinds(ctx context.Context, dst *Tx, name string, cols []string) ([]string, error) {
	rows, err := dst.QueryContext(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM "+name+" WHERE 1 = 0")
	if err != nil {
		return nil, fmt.Errorf("the target's %s lacks a source column: %w", name, err)
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	kinds := make([]string, len(types))
	for i, t := range types {
		kinds[i] = strings.ToUpper(t.DatabaseTypeName())
	}
	return kinds, nil
}

// convert turns a value read from one database into what a column of kind
// takes in the other: SQLite keeps booleans as integers.
func convert(v any, kind string) any {
	switch x := v.(type) {
	case int64:
		if kind == "BOOL" || kind == "BOOLEAN" {
			return x != 0
		}
	case bool:
		if kind != "BOOL" && kind != "BOOLEAN" {
			if x {
				return int64(1)
			}
			return int64(0)
		}
	}
	return v
}

// rowHash hashes rows so that the same values read from either database
// hash the same: booleans as integers, text and bytes by length.
type rowHash struct {
	h   hash.Hash
	n   int64
	buf []byte
}

func newRowHash() *rowHash { return &rowHash{h: sha256.New()} }

func (r *rowHash) add(row []any) {
	b := r.buf[:0]
	for _, v := range row {
		switch x := v.(type) {
		case nil:
			b = append(b, 'N')
		case bool: // as SQLite keeps it
			b = binary.AppendVarint(append(b, 'i'), convert(x, "").(int64))
		case int64:
			b = binary.AppendVarint(append(b, 'i'), x)
		case float64:
			if x == math.Trunc(x) && math.Abs(x) < 1<<53 { // SQLite may hand back 5.0 as 5
				b = binary.AppendVarint(append(b, 'i'), int64(x))
			} else {
				b = strconv.AppendFloat(append(b, 'f'), x, 'g', -1, 64)
			}
		case string:
			b = append(binary.AppendUvarint(append(b, 's'), uint64(len(x))), x...)
		case []byte:
			b = append(binary.AppendUvarint(append(b, 's'), uint64(len(x))), x...)
		default:
			b = fmt.Appendf(append(b, '?'), "%v", x)
		}
	}
	r.h.Write(binary.AppendUvarint(nil, uint64(len(b))))
	r.h.Write(b)
	r.buf = b
	r.n++
}

func (r *rowHash) hex() string { return hex.EncodeToString(r.h.Sum(nil)) }
