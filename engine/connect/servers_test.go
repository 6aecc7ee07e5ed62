package connect

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/testenv"
)

// execAll runs statements on a server.
func execAll(t *testing.T, driver, dsn string, stmts ...string) {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// sqlCases are what every SQL server must read, or refuse clearly.
var sqlCases = []struct {
	name, query string
	want        float64
	series      int
	err         string
}{
	{"a value within the period", "SELECT sum(amount) FROM bookings WHERE booked_at >= :period_start AND booked_at < :period_end", 350.5, 1, ""},
	{"a series", "SELECT booked_at AS at, amount AS value FROM bookings ORDER BY booked_at", 250.5, 3, ""},
	{"an empty result", "SELECT amount FROM bookings WHERE amount < 0", 0, 0, "the query returned no rows"},
	{"a wrong type", "SELECT label FROM bookings ORDER BY label", 0, 0, `the value "a" is not a number`},
	{"a query error", "SELECT nope FROM bookings", 0, 0, "nope"},
}

func checkSQL(t *testing.T, c Connector, sleep string) {
	t.Helper()
	for _, tc := range sqlCases {
		got, err := read(t, c, engine.Measure{Query: tc.query})
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
			}
		case err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case len(got) != tc.series || got[len(got)-1].Value != tc.want:
			t.Errorf("%s: %+v", tc.name, got)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := c.Read(ctx, Request{Measure: engine.Measure{Query: sleep}, Start: start, End: end}); err == nil {
		t.Error("a query slower than the timeout was not cut short")
	}
}

// checkReadOnly: queries that write fail on c and leave every row of
// bookings in place, read normally or in a dry run (a sync's reads are the
// same either way).
func checkReadOnly(t *testing.T, c Connector, driver, dsn string, writes ...string) {
	t.Helper()
	for _, q := range writes {
		if got, err := read(t, c, engine.Measure{Query: q}); err == nil {
			t.Errorf("%s was read: %v", q, got)
		} else if !strings.Contains(err.Error(), "the query writes, and a sync only reads") && !strings.Contains(err.Error(), "read-write mode must be set before any query") {
			t.Errorf("%s: %v", q, err)
		}
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM bookings").Scan(&n); err != nil || n != len(bookingsRows) {
		t.Errorf("bookings holds %d rows after the writes, want %d (%v)", n, len(bookingsRows), err)
	}
}

const bookingsTable = "CREATE TABLE bookings (amount NUMERIC(12,2), booked_at TIMESTAMP, label VARCHAR(10))"

var bookingsRows = []string{"INSERT INTO bookings VALUES (100, '2026-10-05 00:00:00', 'a')",
	"INSERT INTO bookings VALUES (250.5, '2026-11-20 00:00:00', 'b')", "INSERT INTO bookings VALUES (999, '2026-01-01 00:00:00', 'c')"}

func TestPostgres(t *testing.T) {
	addr, pw := testenv.Postgres(t)
	dsn := fmt.Sprintf("postgres://okrmap:%s@%s/postgres?sslmode=disable", pw, addr)
	execAll(t, "pgx", dsn, append([]string{bookingsTable}, bookingsRows...)...)
	t.Setenv("OKRMAP_TEST_DSN", dsn)
	pg := open(t, Config{Type: "postgres", DSNEnv: "OKRMAP_TEST_DSN"})
	checkSQL(t, pg, "SELECT 1 FROM pg_sleep(5)")
	checkReadOnly(t, pg, "pgx", dsn, "WITH d AS (DELETE FROM bookings RETURNING 1) SELECT count(*) AS value FROM d",
		"DELETE FROM bookings RETURNING 1", "UPDATE bookings SET amount = 0 RETURNING amount",
		"SELECT 1 AS value FROM (SELECT set_config('transaction_read_only', 'off', true)) x")

	t.Setenv("OKRMAP_TEST_BAD_DSN", fmt.Sprintf("postgres://okrmap:Wrong-%s@%s/postgres?sslmode=disable", pw, addr))
	_, err := read(t, open(t, Config{Type: "postgres", DSNEnv: "OKRMAP_TEST_BAD_DSN"}), engine.Measure{Query: "SELECT 1"})
	if err == nil || !strings.Contains(err.Error(), "password authentication failed") || strings.Contains(err.Error(), pw) {
		t.Errorf("bad credentials: %v", err)
	}
	t.Setenv("OKRMAP_TEST_DEAD_DSN", fmt.Sprintf("postgres://okrmap:%s@127.0.0.1:1/postgres?sslmode=disable", pw))
	_, err = read(t, open(t, Config{Type: "postgres", DSNEnv: "OKRMAP_TEST_DEAD_DSN"}), engine.Measure{Query: "SELECT 1"})
	if err == nil || !strings.Contains(err.Error(), "refused") || strings.Contains(err.Error(), pw) {
		t.Errorf("a refused connection: %v", err)
	}
}

func TestMariaDB(t *testing.T) {
	addr := testenv.MariaDB(t)
	root := fmt.Sprintf("root@tcp(%s)/", addr)
	execAll(t, "mysql", root, "CREATE DATABASE crm", "CREATE USER 'okrmap'@'127.0.0.1' IDENTIFIED BY 'My-Test-Secret'",
		"GRANT SELECT ON crm.* TO 'okrmap'@'127.0.0.1'")
	execAll(t, "mysql", root+"crm", append([]string{bookingsTable}, bookingsRows...)...)
	t.Setenv("OKRMAP_TEST_DSN", fmt.Sprintf("okrmap:My-Test-Secret@tcp(%s)/crm", addr))
	checkSQL(t, open(t, Config{Type: "mysql", DSNEnv: "OKRMAP_TEST_DSN"}), "SELECT SLEEP(5)")
	// Read-only without the grants: root may write, the read may not.
	t.Setenv("OKRMAP_TEST_ROOT_DSN", root+"crm")
	checkReadOnly(t, open(t, Config{Type: "mysql", DSNEnv: "OKRMAP_TEST_ROOT_DSN"}), "mysql", root+"crm",
		"DELETE FROM bookings RETURNING amount", "DELETE FROM bookings", "UPDATE bookings SET amount = 0")
	// The server stops a slow query itself, not only the client.
	slow := open(t, Config{Type: "mysql", DSNEnv: "OKRMAP_TEST_ROOT_DSN"})
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if _, err := slow.Read(ctx, Request{Measure: engine.Measure{Query: "SELECT SLEEP(30) AS value"}}); err == nil {
		t.Error("a query past its timeout was read")
	}

	t.Setenv("OKRMAP_TEST_BAD_DSN", fmt.Sprintf("okrmap:Wrong-Secret@tcp(%s)/crm", addr))
	_, err := read(t, open(t, Config{Type: "mysql", DSNEnv: "OKRMAP_TEST_BAD_DSN"}), engine.Measure{Query: "SELECT 1"})
	if err == nil || !strings.Contains(err.Error(), "Access denied") || strings.Contains(err.Error(), "Wrong-Secret") {
		t.Errorf("bad credentials: %v", err)
	}
}

func TestPrometheus(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprint(w, "# TYPE okrmap_test_pipeline gauge\nokrmap_test_pipeline{segment=\"sme\"} 3000000\nokrmap_test_pipeline{segment=\"mid\"} 4960000\n")
	}))
	defer target.Close()
	url := testenv.Prometheus(t, strings.TrimPrefix(target.URL, "http://"))
	c := open(t, Config{Type: "prometheus", URL: url})
	var got []Reading
	var err error
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		got, err = c.Read(ctx, Request{Measure: engine.Measure{Query: "sum(okrmap_test_pipeline)"}, Now: time.Now()})
		cancel()
		if err == nil {
			break
		}
	}
	if err != nil || len(got) != 1 || got[0].Value != 7960000 {
		t.Fatalf("sum(okrmap_test_pipeline): %v %v", got, err)
	}
	for _, tc := range []struct{ query, err string }{
		{"okrmap_test_pipeline", "returned 2 series; aggregate it"},
		{"okrmap_test_nothing", "returned no series"},
		{"okrmap_test_pipeline[1m]", "returned 2 series; select one"},
		{"time()", ""},
		{"sum(", "parse error"},
	} {
		_, err := c.Read(context.Background(), Request{Measure: engine.Measure{Query: tc.query}, Now: time.Now()})
		if tc.err == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.query, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: %v, want %q", tc.query, err, tc.err)
		}
	}
	if got, err := c.Read(context.Background(), Request{Measure: engine.Measure{Query: "scalar(sum(okrmap_test_pipeline)) / 1000"}, Now: time.Now()}); err != nil || got[0].Value != 7960 {
		t.Errorf("a scalar: %v %v", got, err)
	}
	// A range: the samples of one series, a series of values with their
	// times. Scraped every second, a minute holds at least two by now.
	time.Sleep(2 * time.Second)
	got, err = c.Read(context.Background(), Request{Measure: engine.Measure{Query: `okrmap_test_pipeline{segment="sme"}[1m]`}, Now: time.Now()})
	if err != nil || len(got) < 2 || got[0].Value != 3000000 || !got[1].At.After(got[0].At) {
		t.Errorf("a range: %v %v", got, err)
	}
}
