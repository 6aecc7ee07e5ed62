package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/mattn/go-sqlite3"

	"github.com/okrmap/okrmap/engine"
)

func TestStorageErrorsSaySo(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("write: %w", syscall.ENOSPC), "the disk holding /d/okrmap.db is full"},
		{&fs.PathError{Op: "open", Path: "/d/okrmap.db", Err: syscall.EROFS}, "is read-only"},
		{&fs.PathError{Op: "open", Path: "/d/okrmap.db", Err: syscall.EACCES}, "permission denied on /d/okrmap.db"},
	} {
		if got := storageError("/d/okrmap.db", tc.err); !strings.Contains(got.Error(), tc.want) || !errors.Is(got, tc.err) {
			t.Errorf("%v: %v, want %q", tc.err, got, tc.want)
		}
	}
	other := errors.New("something else")
	if storageError("/d/x", other) != other {
		t.Error("an error that is not the disk's was changed")
	}
}

// TestFullDiskSaysSo fills the database (SQLite's page limit stands in for
// the disk) and expects the error to say the disk is full, and the write
// to change nothing.
func TestFullDiskSaysSo(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "okrmap.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	var pages int
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	raw, _ := sql.Open(driver, dsn(path, ""))
	raw.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages)
	raw.Close()
	// A driver whose connections may grow the file by two pages only.
	name := fmt.Sprintf("sqlite3-limited-%d", pages)
	sql.Register(name, &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		_, err := c.Exec(fmt.Sprintf("PRAGMA max_page_count = %d", pages+2), nil)
		return err
	}})
	driver = name
	db, err = Open(ctx, path)
	driver = "sqlite3"
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p := &engine.Plan{Version: 1}
	for i := range 2000 {
		p.KPIs = append(p.KPIs, engine.KPI{Key: fmt.Sprintf("k%d", i), Name: strings.Repeat("n", 200)})
	}
	_, err = db.Apply(ctx, p, false)
	if err == nil || !strings.Contains(err.Error(), "is full; free some space") {
		t.Fatalf("a full disk: %v", err)
	}
	if keys, _ := db.KPIKeys(ctx); len(keys) != 0 {
		t.Errorf("a failed apply stored %d KPIs", len(keys))
	}
}

func TestBackupLeavesNoPartialFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, filepath.Join(dir, "okrmap.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	dest := filepath.Join(dir, "backup.db")
	if err := db.Backup(ctx, dest); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(dest); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("the backup: %v %v", st, err)
	}
	missing := filepath.Join(dir, "no-such-dir", "backup.db")
	if err := db.Backup(ctx, missing); err == nil {
		t.Error("a backup into a missing directory succeeded")
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*.partial"))
	if len(left) != 0 {
		t.Errorf("partial files left: %v", left)
	}
}

func TestNewDatabaseIsPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "okrmap.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, f := range []string{path, path + "-wal"} {
		if st, err := os.Stat(f); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", f, st.Mode().Perm(), err)
		}
	}
}
