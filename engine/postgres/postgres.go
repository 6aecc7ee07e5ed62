// Package postgres opens okrmap stores (package store) in PostgreSQL, for
// several okrmap servers on one database and for companies that keep their
// data in a database they already run and back up.
//
// Writers take turns through a transaction-scoped advisory lock, the
// equivalent of SQLite's single writer: a write reads what the one before
// it committed, on whichever server it runs. Reads run in REPEATABLE READ
// snapshots and never wait for writers.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/store"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migrations are the schema's migrations for PostgreSQL, numbered as
// SQLite's.
func Migrations() fs.FS {
	return store.Embedded(migrationFS, "migrations")
}

// writeLock is the advisory lock key writers take ("okrm").
const writeLock = 0x6f6b726d

// IsURL reports whether s names a PostgreSQL database.
func IsURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Open opens the database at the postgres:// URL and applies pending
// migrations. A database that has tables but is not an okrmap one, or one
// migrated by a newer okrmap, is refused and left untouched.
func Open(ctx context.Context, dsn string) (*store.DB, error) {
	return OpenWith(ctx, dsn, Migrations())
}

// OpenWith is Open with other migrations, for tests of migrating.
func OpenWith(ctx context.Context, dsn string, migrations fs.FS) (*store.DB, error) {
	where := Redact(dsn)
	if _, err := pgx.ParseConfig(dsn); err != nil {
		why := err // pgx hides the password in it
		if inner := errors.Unwrap(err); inner != nil {
			why = inner
		}
		return nil, engine.Errorf(engine.EINVALID, "database URL %s: %v; write postgres://USER@HOST:5432/DATABASE?sslmode=verify-full", where, why)
	}
	// Writers wait their turn holding a connection: they get a pool of
	// their own, so readers never wait for one behind them.
	w, err := pool(dsn, writeConns)
	if err != nil {
		return nil, err
	}
	r, err := pool(dsn, readConns)
	if err != nil {
		w.Close()
		return nil, err
	}
	d := dialect{where: where, wait: turnWait}
	if err := checkExisting(ctx, r, d); err != nil {
		w.Close()
		r.Close()
		return nil, err
	}
	return store.Open(ctx, where, d, w, r, migrations)
}

// Each server opens at most writeConns + readConns connections.
const (
	writeConns = 8
	readConns  = 16
)

// pool opens a pool of at most conns connections.
func pool(dsn string, conns int) (*sql.DB, error) {
	p, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open a connection pool: %w", err)
	}
	p.SetMaxOpenConns(conns)
	p.SetMaxIdleConns(conns / 4)
	p.SetConnMaxIdleTime(5 * time.Minute)
	return p, nil
}

// Redact returns the URL with its password hidden, for messages.
func Redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://(a URL that does not parse)"
	}
	return u.Redacted()
}

// schemaExists selects whether okrmap_schema exists. It reads the catalog
// in the statement's snapshot: to_regclass would answer from a cache that
// may not yet know of a table another server created a moment ago.
const schemaExists = `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
	WHERE n.nspname = current_schema() AND c.relname = 'okrmap_schema')`

// checkExisting refuses a database that holds tables but no okrmap schema.
func checkExisting(ctx context.Context, pool *sql.DB, d dialect) error {
	var ours bool
	var tables int
	err := pool.QueryRowContext(ctx, schemaExists+`,
		(SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema())`).Scan(&ours, &tables)
	if err != nil {
		return d.Explain(fmt.Errorf("open %s: %w", d.where, err))
	}
	if !ours && tables > 0 {
		return engine.Errorf(engine.EINVALID, "%s has %d tables but is not an okrmap database; use an empty database or schema for okrmap", d.where, tables)
	}
	return nil
}

// dialect is PostgreSQL's store.Dialect for the database at where.
type dialect struct {
	where string
	wait  time.Duration // for the writers' turn; see BeginWrite
}

// turnWait is how long a write waits for its turn; tests shorten it.
var turnWait = time.Minute

// placeholder matches what Rebind rewrites outside quotes: ? or ?N.
var placeholder = regexp.MustCompile(`\?(\d*)`)

// jsonEach is SQLite's table of a JSON array's values, rebound.
var jsonEach = regexp.MustCompile(`json_each\((\$\d+)\)`)

// Rebind turns ? and ?N into $N, outside quoted text and names, and
// json_each(x) into a table of x's elements as text, named value as in
// SQLite.
func (dialect) Rebind(q string) string {
	var b strings.Builder
	n := 0
	for len(q) > 0 {
		i := strings.IndexAny(q, `?'"`)
		if i < 0 {
			b.WriteString(q)
			break
		}
		b.WriteString(q[:i])
		q = q[i:]
		if q[0] != '?' { // copy quoted text or a quoted name whole
			end := strings.IndexByte(q[1:], q[0])
			if end < 0 {
				b.WriteString(q)
				break
			}
			b.WriteString(q[:end+2])
			q = q[end+2:]
			continue
		}
		m := placeholder.FindStringSubmatch(q)
		if m[1] == "" {
			n++
			b.WriteString("$" + strconv.Itoa(n))
		} else {
			b.WriteString("$" + m[1])
		}
		q = q[len(m[0]):]
	}
	return jsonEach.ReplaceAllString(b.String(), `json_array_elements_text(CAST($1 AS json)) AS json_each(value)`)
}

// BeginWrite waits for the writers' turn, at most d.wait: a write that
// holds it longer (a server hung with its connection open) makes the
// next ones fail rather than hang.
func (d dialect) BeginWrite(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("SET LOCAL lock_timeout = %d", d.wait.Milliseconds())); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", writeLock)
	if err == nil {
		_, err = tx.ExecContext(ctx, "SET LOCAL lock_timeout TO DEFAULT")
	}
	return err
}

func (dialect) ReadOptions() *sql.TxOptions {
	return &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
}

func (dialect) Version(ctx context.Context, q store.Querier) (int, error) {
	var exists bool
	if err := q.QueryRowContext(ctx, schemaExists).Scan(&exists); err != nil || !exists {
		return 0, err
	}
	var v int
	err := q.QueryRowContext(ctx, "SELECT version FROM okrmap_schema").Scan(&v)
	return v, err
}

func (dialect) SetVersion(ctx context.Context, tx *sql.Tx, version int) error {
	_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS okrmap_schema (
		id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)`)
	if err == nil {
		_, err = tx.ExecContext(ctx, `INSERT INTO okrmap_schema (id, version) VALUES (1, $1)
			ON CONFLICT (id) DO UPDATE SET version = excluded.version`, version)
	}
	return err
}

// Explain says what to do about errors that reaching or filling the
// database causes.
func (d dialect) Explain(err error) error {
	var ce *pgconn.ConnectError
	var pe *pgconn.PgError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &pe) && pe.Code == "28P01":
		return fmt.Errorf("PostgreSQL at %s refused the user or password: check the URL in --db or store.url: %w", d.where, err)
	case errors.As(err, &pe) && pe.Code == "3D000":
		return fmt.Errorf("the database in %s does not exist: create it (createdb) or fix the URL: %w", d.where, err)
	case errors.As(err, &pe) && (pe.Code == "53100" || pe.Code == "53200"):
		return fmt.Errorf("PostgreSQL at %s is out of disk or memory; free some and run the command again (the failed write changed nothing): %w", d.where, err)
	case errors.As(err, &pe) && pe.Code == "55P03":
		return fmt.Errorf("another write to %s has held the database for over %s (a server hung mid-write?); try again, and look for a stuck okrmap: %w", d.where, d.wait, err)
	case errors.As(err, &pe) && pe.Code == "25006":
		return fmt.Errorf("PostgreSQL at %s is read-only (a standby?); point --db at the primary: %w", d.where, err)
	case errors.As(err, &ce):
		return fmt.Errorf("cannot reach PostgreSQL at %s: is it running, and is the URL right? %w", d.where, err)
	}
	return err
}

// AfterCopy moves the table's identity sequence past the copied ids.
func (dialect) AfterCopy(ctx context.Context, tx *sql.Tx, table string) error {
	var col string
	err := tx.QueryRowContext(ctx, `SELECT column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1 AND is_identity = 'YES'`, table).Scan(&col)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%[1]s', '%[2]s'), max(%[2]s)) FROM %[1]s HAVING max(%[2]s) IS NOT NULL`, table, col))
	return err
}

func (dialect) Size(ctx context.Context, db *sql.DB) (int64, error) {
	var n int64
	err := db.QueryRowContext(ctx, "SELECT pg_database_size(current_database())").Scan(&n)
	return n, err
}

func (d dialect) Backup(context.Context, *sql.DB, string) error {
	return engine.Errorf(engine.EINVALID, "okrmap backup writes SQLite files: back up PostgreSQL with pg_dump, or copy the database into a SQLite file with okrmap store copy --from %s --to FILE", d.where)
}
