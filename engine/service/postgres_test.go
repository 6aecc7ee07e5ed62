package service

import (
	"context"
	"os"
	"testing"

	"github.com/okrmap/okrmap/engine/testenv"
)

// TestServerDatabaseImportsNoWaiverFile: a waivers.yaml in the working
// directory is not taken for a legacy waiver file of a PostgreSQL
// database; a SQLite file's legacy file sat beside it.
func TestServerDatabaseImportsNoWaiverFile(t *testing.T) {
	dsn := testenv.PostgresDatabases(t)(t)
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile("waivers.yaml", []byte("waivers:\n  - rule: kpi-stale\n    entity: sqls\n    reason: seasonal\n    until: 2027-01-31\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Open(context.Background(), dsn, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ws, err := s.DB().Waivers(context.Background())
	if err != nil || len(ws) != 0 {
		t.Errorf("%d waivers imported into a PostgreSQL database from the working directory: %v", len(ws), err)
	}
}
