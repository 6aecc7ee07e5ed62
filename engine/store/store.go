// Package store keeps okrmap's model and history in a SQL database. One
// implementation serves every database okrmap supports: the queries are
// standard SQL written once, and a Dialect (package sqlite, package
// postgres) supplies the driver, the migrations and what differs.
//
// Every write is one transaction; writers take turns (SQLite's single
// writer, a PostgreSQL advisory lock), so a write reads what the one before
// it committed. Reads run in one snapshot and do not wait for writers.
package store

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/okrmap/okrmap/engine"
)

// Dialect is what differs between the databases okrmap stores in.
type Dialect interface {
	// Rebind turns a query written for SQLite (? and ?N placeholders,
	// json_each over a JSON array) into the dialect's SQL.
	Rebind(query string) string
	// BeginWrite runs first in every write transaction.
	BeginWrite(ctx context.Context, tx *sql.Tx) error
	// ReadOptions are the options of read transactions, which must each
	// see one consistent snapshot.
	ReadOptions() *sql.TxOptions
	// Version returns the schema version; q is a transaction or a pool.
	Version(ctx context.Context, q Querier) (int, error)
	// SetVersion records version in a migration's transaction.
	SetVersion(ctx context.Context, tx *sql.Tx, version int) error
	// Explain says what the user can do about err, an error from the
	// database (a full disk, a refused connection), or returns it as is.
	Explain(err error) error
	// Size returns the bytes the database takes on disk.
	Size(ctx context.Context, db *sql.DB) (int64, error)
	// AfterCopy runs after Copy wrote table's rows, with their ids, in tx.
	AfterCopy(ctx context.Context, tx *sql.Tx, table string) error
	// Backup writes a consistent copy of the database to the file dest.
	Backup(ctx context.Context, db *sql.DB, dest string) error
}

// Querier runs queries: a *sql.DB or a *sql.Tx.
type Querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// DB is an open okrmap database.
type DB struct {
	where string // the file or the URL without its password, for messages
	d     Dialect
	known int     // the newest schema version this build migrates to
	w     *sql.DB // every write
	r     *sql.DB // reads; may be w

	now func() time.Time // see SetNow

	commits atomic.Int64 // writes committed through this DB, see Commits
	rebound sync.Map     // query -> the dialect's query

	lastDigests atomic.Pointer[digests] // of the run last read or compared with
}

// Open returns a DB over pools w (writes) and r (reads, which may be w) of
// a database at where, migrated to the newest of migrations, whose files
// are named NNNN_name.sql and numbered from 1 without gaps. A database
// whose schema is newer than migrations is refused, unchanged. On error
// the pools are closed.
func Open(ctx context.Context, where string, d Dialect, w, r *sql.DB, migrations fs.FS) (*DB, error) {
	db := &DB{where: where, d: d, w: w, r: r, now: time.Now}
	steps, err := ReadMigrations(migrations)
	if err == nil {
		db.known = len(steps)
		err = db.migrate(ctx, steps)
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

var _ engine.Store = (*DB)(nil)

// SetNow sets the clock that dates what the store writes.
func (db *DB) SetNow(now func() time.Time) { db.now = now }

// stamp is the clock's time as stored.
func (db *DB) stamp() string { return db.now().UTC().Format(timeLayout) }

// Commits counts the writes committed through this DB value, so a reader
// in the same process can tell at no cost that it must read the revision
// again.
func (db *DB) Commits() int64 { return db.commits.Load() }

// Migration is one numbered schema change.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Embedded returns the directory dir of fsys, where a dialect embeds its
// migrations.
func Embedded(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err) // dir is a constant the embed directive names
	}
	return sub
}

// ReadMigrations reads the NNNN_name.sql files of fsys's root, numbered 1,
// 2, 3 ... without gaps.
func ReadMigrations(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []Migration
	for i, name := range names {
		num, _, _ := strings.Cut(path.Base(name), "_")
		v, err := strconv.Atoi(num)
		if err != nil || v != i+1 {
			return nil, fmt.Errorf("migration %s: want number %04d", name, i+1)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{v, name, string(b)})
	}
	return out, nil
}

// migrate applies pending migrations, each in its own write transaction
// that also records its version, so a crash leaves the database at a known
// version. Each step reads the version again under the writers' lock:
// servers starting together migrate once.
func (db *DB) migrate(ctx context.Context, steps []Migration) error {
	version, err := db.d.Version(ctx, db.w)
	if err != nil {
		return db.d.Explain(fmt.Errorf("read schema version: %w", err))
	}
	if version > len(steps) {
		return engine.Errorf(engine.ECONFLICT, "database %s has schema version %d, but this okrmap knows only up to %d: it was written by a newer okrmap; upgrade okrmap to use it (the database was not changed)", db.where, version, len(steps))
	}
	for _, m := range steps[version:] {
		err := db.writeTx(ctx, false, func(tx *Tx) error {
			v, err := db.d.Version(ctx, tx.Tx)
			if err != nil || v >= m.Version {
				return err
			}
			if _, err := tx.Tx.ExecContext(ctx, m.SQL); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
			return db.d.SetVersion(ctx, tx.Tx, m.Version)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// SchemaVersion returns the database's schema version.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	return db.d.Version(ctx, db.r)
}

// KnownVersion is the schema version this okrmap migrates databases to.
func (db *DB) KnownVersion() int { return db.known }

// Revision returns a number every committed write advances, so a reader
// can tell whether what it cached is current.
func (db *DB) Revision(ctx context.Context) (int64, error) {
	n, err := revisionOf(ctx, db.r)
	if err != nil {
		return 0, db.d.Explain(err)
	}
	return n, nil
}

// revisionOf reads the revision through q, a pool or a transaction.
func revisionOf(ctx context.Context, q Querier) (int64, error) {
	var n int64
	if err := q.QueryRowContext(ctx, "SELECT n FROM revision").Scan(&n); err != nil {
		return 0, fmt.Errorf("read revision: %w", err)
	}
	return n, nil
}

// Path returns where the database is: its file, or its URL without the
// password.
func (db *DB) Path() string { return db.where }

// Close closes the database.
func (db *DB) Close() error {
	var err error
	if db.r != db.w {
		err = db.r.Close()
	}
	// The writers close last: SQLite's last connection to close folds the
	// write-ahead log into the database file and removes it, which a
	// read-only one cannot do. The file alone is then the whole database.
	if werr := db.w.Close(); err == nil {
		err = werr
	}
	return err
}

// Size returns the bytes the database takes on disk.
func (db *DB) Size(ctx context.Context) (int64, error) { return db.d.Size(ctx, db.r) }

// Backup writes a consistent copy of the live database to dest, which must
// not exist yet.
func (db *DB) Backup(ctx context.Context, dest string) error {
	return db.d.Backup(ctx, db.r, dest)
}

// queryRow runs a one-row query outside a transaction, rebound.
func (db *DB) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return db.r.QueryRowContext(ctx, db.rebind(q), args...)
}

// Tx is a transaction whose queries are written in SQLite's dialect and
// run in the database's (see Dialect.Rebind).
type Tx struct {
	*sql.Tx
	db *DB
}

func (db *DB) rebind(q string) string {
	if v, ok := db.rebound.Load(q); ok {
		return v.(string)
	}
	r := db.d.Rebind(q)
	db.rebound.Store(q, r)
	return r
}

// ExecContext is sql.Tx's, with the query rebound.
func (tx *Tx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return tx.Tx.ExecContext(ctx, tx.db.rebind(q), args...)
}

// QueryContext is sql.Tx's, with the query rebound.
func (tx *Tx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return tx.Tx.QueryContext(ctx, tx.db.rebind(q), args...)
}

// QueryRowContext is sql.Tx's, with the query rebound.
func (tx *Tx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return tx.Tx.QueryRowContext(ctx, tx.db.rebind(q), args...)
}

// PrepareContext is sql.Tx's, with the query rebound.
func (tx *Tx) PrepareContext(ctx context.Context, q string) (*sql.Stmt, error) {
	return tx.Tx.PrepareContext(ctx, tx.db.rebind(q))
}

// rowCtx is the context for the statements of a write's row loops. The
// SQLite driver watches a cancellable context with a goroutine per
// statement, which makes a large write half again as slow; without it,
// cancelling ctx still ends the write, as database/sql rolls the
// transaction back and the next statement fails (writeTx then returns
// ctx's error).
func rowCtx(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }

// write runs fn in a write transaction and commits when fn returns nil.
func (db *DB) write(ctx context.Context, fn func(tx *Tx) error) error {
	return db.writeTx(ctx, true, fn)
}

// writeTx is write; with bump it also advances the revision (see Revision).
func (db *DB) writeTx(ctx context.Context, bump bool, fn func(tx *Tx) error) error {
	stx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return db.d.Explain(fmt.Errorf("begin write: %w", err))
	}
	if err := db.d.BeginWrite(ctx, stx); err != nil {
		stx.Rollback()
		return db.d.Explain(fmt.Errorf("begin write: %w", err))
	}
	tx := &Tx{stx, db}
	if err := fn(tx); err != nil {
		stx.Rollback()
		if ctx.Err() != nil { // a row loop saw the rolled-back transaction
			return ctx.Err()
		}
		return db.d.Explain(err)
	}
	if bump {
		if _, err := tx.ExecContext(ctx, "UPDATE revision SET n = n + 1"); err != nil {
			stx.Rollback()
			return fmt.Errorf("bump revision: %w", db.d.Explain(err))
		}
	}
	if err := stx.Commit(); err != nil {
		if ctx.Err() != nil { // cancelled: database/sql rolled back
			return ctx.Err()
		}
		return db.d.Explain(fmt.Errorf("commit: %w", err))
	}
	if bump {
		db.commits.Add(1)
	}
	return nil
}

// read runs fn in a read-only transaction: one consistent snapshot.
func (db *DB) read(ctx context.Context, fn func(tx *Tx) error) error {
	tx, err := db.beginRead(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return fn(tx)
}

// beginRead begins a read-only transaction; the caller rolls it back.
func (db *DB) beginRead(ctx context.Context) (*Tx, error) {
	stx, err := db.r.BeginTx(ctx, db.d.ReadOptions())
	if err != nil {
		return nil, db.d.Explain(fmt.Errorf("begin read: %w", err))
	}
	return &Tx{stx, db}, nil
}

// placeholders returns n comma-separated ? placeholders.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// Count returns the number of rows in table.
func (db *DB) Count(ctx context.Context, table string) (int64, error) {
	var n int64
	q := `SELECT count(*) FROM "` + strings.ReplaceAll(table, `"`, `""`) + `"`
	if err := db.r.QueryRowContext(ctx, q).Scan(&n); err != nil {
		return 0, fmt.Errorf("count %s: %w", table, db.d.Explain(err))
	}
	return n, nil
}
