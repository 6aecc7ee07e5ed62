package store

import (
	"context"
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
	if len(in.rows) == 0 {
		return nil
	}
	var q strings.Builder
	q.WriteString(in.head)
	args := make([]any, 0, len(in.rows)*len(in.rows[0]))
	for i, r := range in.rows {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString(in.tuple)
		args = append(args, r...)
	}
	if in.tail != "" {
		q.WriteString(" " + in.tail)
	}
	in.rows = in.rows[:0]
	_, err := in.tx.ExecContext(ctx, q.String(), args...)
	return err
}
