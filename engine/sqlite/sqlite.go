// Package sqlite stores okrmap's model and history in a SQLite database.
//
// Migrations are embedded and applied on Open, each in its own transaction.
// Writes go through one connection in BEGIN IMMEDIATE transactions; reads use
// a separate read-only pool, so readers never wait for a writer (WAL mode).
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mattn/go-sqlite3" // also registers the "sqlite3" driver

	"github.com/okrmap/okrmap/engine"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// applicationID marks a SQLite file as an okrmap database ("okrm").
const applicationID = 0x6f6b726d

// busyTimeout is how long a connection waits for a lock before failing.
const busyTimeout = 10 * time.Second

// cacheKiB is each connection's page cache, as SQLite's negative cache_size.
const cacheKiB = -32768

// DB is an open okrmap database.
type DB struct {
	path string
	w    *sql.DB // one connection; every write
	r    *sql.DB // read-only pool

	// Now returns the current time; tests replace it.
	Now func() time.Time

	commits atomic.Int64 // writes committed through this DB, see Commits
}

// Commits counts the writes committed through this DB value, so a reader
// in the same process can tell at no cost that it must read the revision
// again.
func (db *DB) Commits() int64 { return db.commits.Load() }

// Open opens the database at path, creating it and its directory if needed,
// and applies pending migrations. A database written by a newer okrmap, or a
// SQLite file that is not an okrmap database, is refused and left untouched.
func Open(ctx context.Context, path string) (*DB, error) {
	return open(ctx, path, migrationFS)
}

func open(ctx context.Context, path string, migrations fs.FS) (*DB, error) {
	steps, err := readMigrations(migrations)
	if err != nil {
		return nil, err
	}
	if path == "" {
		return nil, engine.Errorf(engine.EINVALID, "no database path: set --db, OKRMAP_DB or db in the config file")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, engine.Errorf(engine.EINVALID, "cannot create the database directory: %v", err)
	}
	if err := checkExisting(ctx, path, len(steps)); err != nil {
		return nil, err
	}
	// A new database is private: it holds the company's plan, history and
	// token hashes. SQLite gives its -wal and -shm files the same mode.
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		f.Close()
	} else if !errors.Is(err, fs.ErrExist) {
		return nil, storageError(path, err)
	}
	db := &DB{path: path, Now: time.Now}
	if db.w, err = sql.Open("sqlite3", dsn(path, "_txlock=immediate")); err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.w.SetMaxOpenConns(1)
	db.w.SetMaxIdleConns(1)
	db.w.SetConnMaxLifetime(0)
	if err := db.migrate(ctx, steps); err != nil {
		db.w.Close()
		return nil, storageError(path, err)
	}
	if db.r, err = sql.Open("sqlite3", dsn(path, "mode=ro")); err != nil {
		db.w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

// dsn builds a go-sqlite3 DSN. Pragmas set here apply to every pooled
// connection, not just the first.
func dsn(path string, extra string) string {
	return fmt.Sprintf("%s?_journal_mode=WAL&_foreign_keys=1&_busy_timeout=%d&_synchronous=NORMAL&_cache_size=%d&%s",
		fileURI(path), busyTimeout.Milliseconds(), cacheKiB, extra)
}

// fileURI turns a path into a SQLite file: URI, escaping what URIs reserve.
func fileURI(path string) string {
	return "file:" + strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
}

// checkExisting refuses, without writing, a file that is not an okrmap
// database or that a newer okrmap has migrated past what this build knows.
func checkExisting(ctx context.Context, path string, known int) error {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return engine.Errorf(engine.EINVALID, "cannot open database %s: %v", path, err)
	}
	if st.IsDir() {
		return engine.Errorf(engine.EINVALID, "database path %s is a directory; name a file", path)
	}
	if st.Size() == 0 {
		return nil
	}
	raw, err := sql.Open("sqlite3", fileURI(path)+"?mode=ro")
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer raw.Close()
	var app, version, tables int
	err = raw.QueryRowContext(ctx, `SELECT (SELECT application_id FROM pragma_application_id),
		(SELECT user_version FROM pragma_user_version),
		(SELECT count(*) FROM sqlite_master WHERE type = 'table')`).Scan(&app, &version, &tables)
	var serr sqlite3.Error
	if errors.As(err, &serr) && serr.Code == sqlite3.ErrCorrupt {
		return fmt.Errorf("database %s is damaged (%w); restore it from a backup", path, err)
	}
	if err != nil {
		if serr := storageError(path, err); serr != err {
			return serr
		}
		f, oerr := os.Open(path)
		if oerr != nil {
			return storageError(path, oerr)
		}
		f.Close()
		return engine.Errorf(engine.EINVALID, "%s is not a readable SQLite database (%v); use an okrmap database or a new file", path, err)
	}
	if app != applicationID && (app != 0 || tables > 0) {
		return engine.Errorf(engine.EINVALID, "%s is a SQLite database but not an okrmap one; use an okrmap database or a new file", path)
	}
	if version > known {
		return engine.Errorf(engine.ECONFLICT, "database %s has schema version %d, but this okrmap knows only up to %d: it was written by a newer okrmap; upgrade okrmap to use it (the database was not changed)", path, version, known)
	}
	return nil
}

type migration struct {
	version int
	name    string
	sql     string
}

// readMigrations reads NNNN_name.sql files, numbered 1, 2, 3 ... without gaps.
func readMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []migration
	for i, name := range names {
		base := filepath.Base(name)
		num, _, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if err != nil || v != i+1 {
			return nil, fmt.Errorf("migration %s: want number %04d", base, i+1)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{v, base, string(b)})
	}
	return out, nil
}

// migrate applies pending migrations, each in its own transaction that also
// bumps user_version, so a crash leaves the database at a known version.
func (db *DB) migrate(ctx context.Context, steps []migration) error {
	var version int
	if err := db.w.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if version > len(steps) {
		return engine.Errorf(engine.ECONFLICT, "database %s has schema version %d, but this okrmap knows only up to %d: upgrade okrmap", db.path, version, len(steps))
	}
	for _, m := range steps[version:] {
		err := db.writeTx(ctx, false, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d; PRAGMA application_id = %d", m.version, applicationID))
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// SchemaVersion is the schema version this okrmap migrates databases to.
func SchemaVersion() int {
	steps, _ := readMigrations(migrationFS)
	return len(steps)
}

// SchemaVersion returns the database's schema version.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := db.r.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	return v, err
}

// Revision returns a number every committed write advances, so a reader
// can tell whether what it cached is current.
func (db *DB) Revision(ctx context.Context) (int64, error) {
	var n int64
	if err := db.r.QueryRowContext(ctx, "SELECT n FROM revision").Scan(&n); err != nil {
		return 0, fmt.Errorf("read revision: %w", err)
	}
	return n, nil
}

// Path returns the database file's path.
func (db *DB) Path() string { return db.path }

// Close closes the database.
func (db *DB) Close() error {
	var errs []error
	if db.r != nil {
		errs = append(errs, db.r.Close())
	}
	errs = append(errs, db.w.Close())
	return errors.Join(errs...)
}

// write runs fn in a BEGIN IMMEDIATE transaction on the writer connection
// and commits when fn returns nil.
// rowCtx is the context for the statements of a write's row loops. The
// driver watches a cancellable context with a goroutine per statement,
// which makes a large write half again as slow; without it, cancelling ctx
// still ends the write, as database/sql rolls the transaction back and the
// next statement fails (writeTx then returns ctx's error).
func rowCtx(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }

func (db *DB) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return db.writeTx(ctx, true, fn)
}

// writeTx is write; with bump it also advances the revision (see Revision).
func (db *DB) writeTx(ctx context.Context, bump bool, fn func(tx *sql.Tx) error) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return storageError(db.path, fmt.Errorf("begin write: %w", err))
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		if ctx.Err() != nil { // a row loop saw the rolled-back transaction
			return ctx.Err()
		}
		return storageError(db.path, err)
	}
	if bump {
		if _, err := tx.ExecContext(ctx, "UPDATE revision SET n = n + 1"); err != nil {
			tx.Rollback()
			return fmt.Errorf("bump revision: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return storageError(db.path, fmt.Errorf("commit: %w", err))
	}
	if bump {
		db.commits.Add(1)
	}
	return nil
}

// read runs fn in a read-only transaction: one consistent snapshot.
func (db *DB) read(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("begin read: %w", err)
	}
	defer tx.Rollback()
	return fn(tx)
}

// Backup writes a consistent copy of the live database to dest, which must
// not exist yet.
func (db *DB) Backup(ctx context.Context, dest string) error {
	if _, err := os.Stat(dest); err == nil {
		return engine.Errorf(engine.EINVALID, "backup target %s already exists; choose a new file name", dest)
	}
	// Written beside dest and renamed when whole: a failed backup (a full
	// disk) leaves no partial file to block the retry.
	tmp := dest + ".partial"
	os.Remove(tmp)
	if _, err := db.r.ExecContext(ctx, "VACUUM INTO ?", tmp); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("backup to %s: %w", dest, storageError(dest, err))
	}
	if err := os.Chmod(tmp, 0o600); err != nil { // a copy of everything: private
		os.Remove(tmp)
		return fmt.Errorf("backup to %s: %w", dest, err)
	}
	if err := os.Rename(tmp, dest); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("backup to %s: %w", dest, storageError(dest, err))
	}
	return nil
}
