package sqlite

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

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
	db, err := Open(ctx, filepath.Join(t.TempDir(), "okrmap.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var pages int
	db.w.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages)
	if _, err := db.w.ExecContext(ctx, fmt.Sprintf("PRAGMA max_page_count = %d", pages+2)); err != nil {
		t.Fatal(err)
	}
	p := &engine.Plan{Version: 1}
	for i := range 2000 {
		p.KPIs = append(p.KPIs, engine.KPI{Key: fmt.Sprintf("k%d", i), Name: strings.Repeat("n", 200)})
	}
	_, err = db.Apply(ctx, p, false)
	if err == nil || !strings.Contains(err.Error(), "is full; free some space") {
		t.Fatalf("a full disk: %v", err)
	}
	db.w.ExecContext(ctx, "PRAGMA max_page_count = 1073741823")
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

// TestTracesStoredOncePerEntity: every finding about an entity reads its
// trace back.
func TestTracesStoredOncePerEntity(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "okrmap.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	trace := []string{"k", "kr", "o", "bo"}
	run := &engine.AuditRun{Scope: "all", Counts: map[string]int{}}
	for _, rule := range []string{"r1", "r2", "r3"} {
		run.Findings = append(run.Findings, engine.Finding{Rule: rule, Severity: "warning", Scope: "kpi", Entity: "k", Trace: trace, Fingerprint: rule})
	}
	run.Findings = append(run.Findings, engine.Finding{Rule: "p", Severity: "info", Scope: "plan", Fingerprint: "p"})
	if err := db.SaveRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	var bodies int
	db.r.QueryRowContext(ctx, "SELECT count(*) FROM finding_body").Scan(&bodies)
	if bodies != 4 {
		t.Errorf("%d findings stored for one entity's 3 findings and a plan finding", bodies)
	}
	got, err := db.Run(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range got.Findings[:3] {
		if strings.Join(f.Trace, ",") != "k,kr,o,bo" {
			t.Errorf("finding %s read back trace %v", f.Rule, f.Trace)
		}
	}
	if got.Findings[3].Trace != nil {
		t.Errorf("a plan finding got a trace: %v", got.Findings[3].Trace)
	}
}
