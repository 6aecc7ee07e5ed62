package postgres

import (
	"context"
	"database/sql"
	"io/fs"
	"strings"
	"testing"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/sqlite"
	"github.com/okrmap/okrmap/engine/store"
	"github.com/okrmap/okrmap/engine/store/storetest"
	"github.com/okrmap/okrmap/engine/testenv"
)

// backend is a PostgreSQL server from Debian's package, started once per
// test, with a new database for each database the suite asks for.
func backend(t testing.TB) storetest.Backend {
	return storetest.Backend{
		New: testenv.PostgresDatabases(t),
		Open: func(ctx context.Context, dsn string, migrations fs.FS) (*store.DB, error) {
			if migrations == nil {
				return Open(ctx, dsn)
			}
			return OpenWith(ctx, dsn, migrations)
		},
	}
}

func TestStore(t *testing.T) { storetest.Run(t, backend(t)) }

func BenchmarkStore(b *testing.B) { storetest.Bench(b, backend(b)) }

func TestRebind(t *testing.T) {
	for in, want := range map[string]string{
		"SELECT a FROM t WHERE b = ? AND c = ?":                   "SELECT a FROM t WHERE b = $1 AND c = $2",
		"SELECT 1 WHERE ?1 = '' OR x = ?1 AND y = ?2":             "SELECT 1 WHERE $1 = '' OR x = $1 AND y = $2",
		"SELECT '?', \"a?b\" FROM t WHERE x = ? AND y = 'it''s?'": "SELECT '?', \"a?b\" FROM t WHERE x = $1 AND y = 'it''s?'",
		"id IN (SELECT CAST(value AS BIGINT) FROM json_each(?))":  "id IN (SELECT CAST(value AS BIGINT) FROM json_array_elements_text(CAST($1 AS json)) AS json_each(value))",
		"x = ?1 AND k NOT IN (SELECT value FROM json_each(?2))":   "x = $1 AND k NOT IN (SELECT value FROM json_array_elements_text(CAST($2 AS json)) AS json_each(value))",
	} {
		if got := (dialect{}).Rebind(in); got != want {
			t.Errorf("Rebind(%q)\n = %q\nwant %q", in, got, want)
		}
	}
}

// TestSameVersions: each PostgreSQL migration has the SQLite one's number
// and name.
func TestSameVersions(t *testing.T) {
	pg, _ := fs.Glob(Migrations(), "*.sql")
	lite, _ := fs.Glob(sqlite.Migrations(), "*.sql")
	if strings.Join(pg, " ") != strings.Join(lite, " ") {
		t.Errorf("PostgreSQL migrations %v, SQLite's %v", pg, lite)
	}
}

func TestRefuseForeignDatabase(t *testing.T) {
	dsn := testenv.PostgresDatabases(t)(t)
	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec("CREATE TABLE customers (id INTEGER)"); err != nil {
		t.Fatal(err)
	}
	_, err = Open(context.Background(), dsn)
	if engine.ErrorCode(err) != engine.EINVALID || !strings.Contains(err.Error(), "not an okrmap database") {
		t.Errorf("opening a foreign database: %v", err)
	}
}

// TestErrorsHidePassword: a wrong password and a server that is not there
// say what to do, without the password.
func TestErrorsHidePassword(t *testing.T) {
	dsn := testenv.PostgresDatabases(t)(t)
	bad := strings.Replace(dsn, ":pg-test-Secret@", ":Wrong-Secret@", 1)
	_, err := Open(context.Background(), bad)
	if err == nil || !strings.Contains(err.Error(), "refused the user or password") || strings.Contains(err.Error(), "Wrong-Secret") {
		t.Errorf("a wrong password: %v", err)
	}
	_, err = Open(context.Background(), "postgres://okrmap:Wrong-Secret@127.0.0.1:1/x?sslmode=disable&connect_timeout=2")
	if err == nil || !strings.Contains(err.Error(), "cannot reach PostgreSQL") || strings.Contains(err.Error(), "Wrong-Secret") {
		t.Errorf("no server: %v", err)
	}
}
