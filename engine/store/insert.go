package store

import (
	"context"
	"database/sql"
	"strings"
)

// inserter writes rows to a table in multi-row INSERTs: a database on a
// server takes one round trip per statement, not per row.
type inserter struct {
	tx    *Tx
	head  string // INSERT INTO t (columns) VALUES
	tuple string // (?, ?, ...)
	tail  string // ON CONFLICT ...
	rows  [][]any
	max   int
	args  []any
	// full is the statement that writes max rows, prepared once: preparing
	// it for every batch cost SQLite a tenth of a 100,000-row write.
	full *sql.Stmt
}

// maxParams stays under SQLite's limit on a statement's parameters
// (PostgreSQL's is twice it).
const maxParams = 30000

// newInserter writes rows of cols to the table name; tail ends each
// statement.
func newInserter(tx *Tx, name string, cols []string, tail string) *inserter {
	return &inserter{tx: tx, head: "INSERT INTO " + name + " (" + strings.Join(cols, ", ") + ") VALUES ",
		tuple: "(" + placeholders(len(cols)) + ")", tail: tail, max: min(500, maxParams/len(cols))}
}

// add queues a row, writing the queue when it is full.
func (in *inserter) add(ctx context.Context, row ...any) error {
	in.rows = append(in.rows, row)
	if len(in.rows) == in.max {
		return in.flush(ctx)
	}
	return nil
}

// flush writes the queued rows.
func (in *inserter) flush(ctx context.Context) error {
	n := len(in.rows)
	if n == 0 {
		return nil
	}
	in.args = in.args[:0]
	for _, r := range in.rows {
		in.args = append(in.args, r...)
	}
	in.rows = in.rows[:0]
	defer clear(in.args) // hold no values past the write
	if n < in.max {
		_, err := in.tx.ExecContext(ctx, in.query(n), in.args...)
		return err
	}
	if in.full == nil {
		stmt, err := in.tx.PrepareContext(ctx, in.query(n))
		if err != nil {
			return err
		}
		in.full = stmt // closed with the transaction
	}
	_, err := in.full.ExecContext(ctx, in.args...)
	return err
}

// query is the statement that writes n rows.
func (in *inserter) query(n int) string {
	var q strings.Builder
	q.WriteString(in.head)
	for i := range n {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString(in.tuple)
	}
	if in.tail != "" {
		q.WriteString(" " + in.tail)
	}
	return q.String()
}
