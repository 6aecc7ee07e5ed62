// Package sqlite opens okrmap stores (package store) in SQLite files: the
// embedded default, needing no server.
//
// Writes go through one connection in BEGIN IMMEDIATE transactions; reads
// use a separate read-only pool, so readers never wait for a writer (WAL
// mode).
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
	"strings"
	"time"

	"github.com/mattn/go-sqlite3" // also registers the "sqlite3" driver

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/store"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migrations are the schema's migrations for SQLite.
func Migrations() fs.FS {
	return store.Embedded(migrationFS, "migrations")
}

// SchemaVersion is the schema version this okrmap migrates databases to.
func SchemaVersion() int {
	steps, _ := store.ReadMigrations(Migrations())
	return len(steps)
}

// applicationID marks a SQLite file as an okrmap database ("okrm").
const applicationID = 0x6f6b726d

// driver is the database/sql driver; tests register variants.
var driver = "sqlite3"

// busyTimeout is how long a connection waits for a lock before failing.
const busyTimeout = 10 * time.Second

// cacheKiB is each connection's page cache, as SQLite's negative cache_size.
const cacheKiB = -32768

// Open opens the database at path, creating it and its directory if needed,
// and applies pending migrations. A database written by a newer okrmap, or a
// SQLite file that is not an okrmap database, is refused and left untouched.
func Open(ctx context.Context, path string) (*store.DB, error) {
	return OpenWith(ctx, path, Migrations())
}

// OpenWith is Open with other migrations, for tests of migrating.
func OpenWith(ctx context.Context, path string, migrations fs.FS) (*store.DB, error) {
	steps, err := store.ReadMigrations(migrations)
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
	// The first connections to a new file switch it to WAL, and SQLite
	// refuses the switch at once, without waiting, while another server's
	// connection holds the file: opening is tried again then.
	deadline := time.Now().Add(busyTimeout)
	for {
		db, err := openPools(ctx, path, migrations)
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return db, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// openPools opens the writer's and the readers' pools on path and the
// store over them.
func openPools(ctx context.Context, path string, migrations fs.FS) (*store.DB, error) {
	w, err := sql.Open(driver, dsn(path, "_txlock=immediate"))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	r, err := sql.Open(driver, dsn(path, "mode=ro"))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return store.Open(ctx, path, dialect{path}, w, r, migrations)
}

// isBusy reports whether err is SQLite's "database is locked".
func isBusy(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && (se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked)
}

// dsn builds a go-sqlite3 DSN. Pragmas set here apply to every pooled
// connection, not just the first.
func dsn(path string, extra string) string {
	return fmt.Sprintf("%s?_journal_mode=WAL&_foreign_keys=1&_busy_timeout=%d&_synchronous=NORMAL&_cache_size=%d&_stmt_cache_size=32&%s",
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

// dialect is SQLite's store.Dialect for the file path.
type dialect struct{ path string }

func (dialect) Rebind(q string) string                    { return q }
func (dialect) BeginWrite(context.Context, *sql.Tx) error { return nil } // BEGIN IMMEDIATE took the lock
func (dialect) ReadOptions() *sql.TxOptions               { return &sql.TxOptions{ReadOnly: true} }
func (d dialect) Explain(err error) error                 { return storageError(d.path, err) }
func (dialect) Version(ctx context.Context, q store.Querier) (int, error) {
	var v int
	err := q.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	return v, err
}

func (dialect) SetVersion(ctx context.Context, tx *sql.Tx, version int) error {
	_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d; PRAGMA application_id = %d", version, applicationID))
	return err
}

// AfterCopy has nothing to do: SQLite numbers new rows after the largest
// id.
func (dialect) AfterCopy(context.Context, *sql.Tx, string) error { return nil }

// Size is the database file's and its write-ahead log's.
func (d dialect) Size(context.Context, *sql.DB) (int64, error) {
	var size int64
	for _, p := range []string{d.path, d.path + "-wal"} {
		st, err := os.Stat(p)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return 0, err
		}
		if err == nil {
			size += st.Size()
		}
	}
	return size, nil
}

// Backup writes a consistent copy of the live database to dest, which must
// not exist yet.
func (dialect) Backup(ctx context.Context, db *sql.DB, dest string) error {
	if _, err := os.Stat(dest); err == nil {
		return engine.Errorf(engine.EINVALID, "backup target %s already exists; choose a new file name", dest)
	}
	// Written beside dest and renamed when whole: a failed backup (a full
	// disk) leaves no partial file to block the retry.
	tmp := dest + ".partial"
	os.Remove(tmp)
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", tmp); err != nil {
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
