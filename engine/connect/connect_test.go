package connect

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/okrmap/okrmap/engine"
)

var (
	now   = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	start = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	end   = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
)

func read(t *testing.T, c Connector, m engine.Measure) ([]Reading, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return c.Read(ctx, Request{KPI: "k", Measure: m, Start: start, End: end, Now: now})
}

func open(t *testing.T, c Config) Connector {
	t.Helper()
	conn, err := Open("src", c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// sqliteSource makes a SQLite database with bookings and a few odd rows.
func sqliteSource(t *testing.T) string {
	path := filepath.Join(t.TempDir(), "src.db")
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		"CREATE TABLE bookings (amount REAL, booked_at TEXT, label TEXT)",
		"INSERT INTO bookings VALUES (100, '2026-10-05', 'a'), (250.5, '2026-11-20', 'b'), (999, '2026-01-01', 'old')",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

func TestSQLiteReads(t *testing.T) {
	c := open(t, Config{Type: "sqlite", Path: sqliteSource(t)})
	cases := []struct {
		name, query string
		want        []Reading
		err         string
	}{
		{"a value within the period", "SELECT sum(amount) FROM bookings WHERE booked_at >= :period_start AND booked_at < :period_end",
			[]Reading{{Value: 350.5}}, ""},
		{"a series by name", "SELECT booked_at AS at, amount AS value FROM bookings WHERE booked_at >= ':period_start is text' OR label != 'old' ORDER BY booked_at",
			[]Reading{{Value: 100, At: time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)}, {Value: 250.5, At: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)}}, ""},
		{"an empty result", "SELECT amount FROM bookings WHERE 0", nil, "the query returned no rows"},
		{"a null", "SELECT sum(amount) FROM bookings WHERE 0", nil, "row 1, column sum(amount): the value is null"},
		{"a wrong type", "SELECT label FROM bookings", nil, `row 1, column label: the value "a" is not a number`},
		{"a wrong time", "SELECT amount, label FROM bookings", nil, `row 1, column label: the time "a" is neither RFC 3339 nor a date`},
		{"a placeholder time", "SELECT 1 AS value, '0001-01-01T00:00:00Z' AS at", nil, "row 1, column at: 0001-01-01T00:00:00Z is before 1900"},
		{"a query error", "SELECT nope FROM bookings", nil, "no such column: nope"},
		{"no query", " ", nil, "measure.query is empty"},
	}
	for _, tc := range cases {
		got, err := read(t, c, engine.Measure{From: "src", Query: tc.query})
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if len(got) != len(tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
			continue
		}
		for i := range got {
			if got[i].Value != tc.want[i].Value || !got[i].At.Equal(tc.want[i].At) {
				t.Errorf("%s: reading %d is %v, want %v", tc.name, i, got[i], tc.want[i])
			}
		}
	}
	// The source is opened read-only, by path or by a DSN.
	if _, err := read(t, c, engine.Measure{Query: "DELETE FROM bookings RETURNING 1"}); err == nil {
		t.Error("a sync could write to its source")
	}
	path := sqliteSource(t)
	t.Setenv("OKRMAP_TEST_SQLITE_DSN", "file:"+path)
	dsn := open(t, Config{Type: "sqlite", DSNEnv: "OKRMAP_TEST_SQLITE_DSN"})
	for _, q := range []string{"DELETE FROM bookings RETURNING 1", "UPDATE bookings SET amount = 0 RETURNING amount"} {
		if _, err := read(t, dsn, engine.Measure{Query: q}); err == nil {
			t.Errorf("%s: a sync wrote to a source opened by its DSN", q)
		}
	}
	got, err := read(t, dsn, engine.Measure{Query: "SELECT count(*) FROM bookings WHERE amount > 0"})
	if err != nil || got[0].Value != 3 {
		t.Errorf("after the writes: %v %v", got, err)
	}
}

func TestBindPeriod(t *testing.T) {
	req := Request{Start: start, End: end}
	q, args := bindPeriod(`SELECT x::date FROM t WHERE at >= :period_start AND at < :period_end AND s = ':period_start' AND :period_started`, "postgres", req)
	if q != `SELECT x::date FROM t WHERE at >= $1 AND at < $2 AND s = ':period_start' AND :period_started` || len(args) != 2 || args[0] != start || args[1] != end {
		t.Errorf("postgres: %s %v", q, args)
	}
	q, _ = bindPeriod(`SELECT 1 WHERE a > :period_end`, "mysql", req)
	if q != `SELECT 1 WHERE a > ?` {
		t.Errorf("mysql: %s", q)
	}
}

func TestWithParam(t *testing.T) {
	for dsn, want := range map[string]string{
		"postgres://u@h/db":                 "postgres://u@h/db?k=v",
		"postgres://u@h/db?sslmode=disable": "postgres://u@h/db?sslmode=disable&k=v",
		"host=h user=u dbname=db":           "host=h user=u dbname=db k=v",
		"u:p@tcp(h:3306)/db":                "u:p@tcp(h:3306)/db?k=v",
		"postgres://u@h/db?k=other":         "postgres://u@h/db?k=other",
	} {
		if got := withParam(dsn, "k", "v"); got != want {
			t.Errorf("withParam(%q) = %q, want %q", dsn, got, want)
		}
	}
}

func TestHTTPReads(t *testing.T) {
	var auth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = r.Header.Get("Authorization")
		switch r.URL.Path {
		case "/api/pipeline":
			w.Write([]byte(`{"data": {"total": 7960000, "as_of": "2026-11-16"}, "period": "` + r.URL.Query().Get("q") + `"}`))
		case "/api/text":
			w.Write([]byte(`{"data": {"total": "n/a"}}`))
		case "/api/slow":
			time.Sleep(300 * time.Millisecond)
			w.Write([]byte(`{}`))
		case "/api/html":
			w.Write([]byte(`<html>`))
		default:
			http.Error(w, "nope", http.StatusNotFound)
		}
	}))
	defer srv.Close()
	t.Setenv("OKRMAP_TEST_API_TOKEN", "Bearer s3cret-token")
	c := open(t, Config{Type: "http", URL: srv.URL + "/api/", Headers: map[string]string{"Authorization": "OKRMAP_TEST_API_TOKEN"}})
	got, err := read(t, c, engine.Measure{Query: "pipeline?q=x", Value: "body.data.total", At: "body.data.as_of"})
	if err != nil || len(got) != 1 || got[0].Value != 7960000 || !got[0].At.Equal(time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("read %v %v", got, err)
	}
	if auth != "Bearer s3cret-token" {
		t.Errorf("the header sent was %q", auth)
	}
	for _, tc := range []struct {
		m   engine.Measure
		err string
	}{
		{engine.Measure{Query: "text", Value: "body.data.total"}, `measure.value: the value "n/a" is not a number`},
		{engine.Measure{Query: "missing", Value: "body.x"}, "404 Not Found"},
		{engine.Measure{Query: "html", Value: "body.x"}, "did not answer JSON"},
		{engine.Measure{Query: "pipeline", Value: "body.data.nothing"}, "measure.value: the value is null"},
		{engine.Measure{Query: "pipeline", Value: "body.data.("}, "measure.value:"},
		{engine.Measure{Query: "pipeline"}, "measure.value is empty"},
		{engine.Measure{Query: "ftp://x/y", Value: "1"}, "is not under the connector's url"},
	} {
		if _, err := read(t, c, tc.m); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%+v: error %v, want %q", tc.m, err, tc.err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.Read(ctx, Request{Measure: engine.Measure{Query: "slow", Value: "1"}}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a slow answer: %v", err)
	}
	// A refused connection.
	dead := open(t, Config{Type: "http", URL: "http://127.0.0.1:1/"})
	if _, err := read(t, dead, engine.Measure{Query: "x", Value: "1"}); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("a refused connection: %v", err)
	}
}

func TestCSVReads(t *testing.T) {
	dir := t.TempDir()
	sheet := filepath.Join(dir, "export.tsv")
	os.WriteFile(sheet, []byte("Metric\tDate\tValue\tComment\nleads\t2026-11-01\t120\tx\nleads\t2026-11-08\t140\ty\nother\t2026-11-08\t1\t\n"), 0o644)
	c := open(t, Config{Type: "csv", Path: sheet, Columns: map[string]string{"kpi": "Metric", "at": "Date", "value": "Value"}})
	got, err := read(t, c, engine.Measure{Query: "leads"})
	if err != nil || len(got) != 2 || got[1].Value != 140 {
		t.Fatalf("read %v %v", got, err)
	}
	if _, err := read(t, c, engine.Measure{Query: "nobody"}); err == nil || !strings.Contains(err.Error(), `no row of export.tsv has "nobody"`) {
		t.Errorf("a missing key: %v", err)
	}
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("kpi,at,value\nleads,someday,1\n"), 0o644)
	if _, err := read(t, open(t, Config{Type: "csv", Path: bad}), engine.Measure{Query: "leads"}); err == nil || !strings.Contains(err.Error(), "bad.csv:2:") {
		t.Errorf("a bad row: %v", err)
	}
	// A bad cell fails its own KPI only, named with file:line:column.
	mixed := filepath.Join(dir, "mixed.csv")
	os.WriteFile(mixed, []byte("kpi,at,value\nmqls,2026-11-01,10\nsqls,2026-11-01,abc\nmqls,2026-11-08,12\n"), 0o644)
	m := open(t, Config{Type: "csv", Path: mixed})
	if got, err := read(t, m, engine.Measure{Query: "mqls"}); err != nil || len(got) != 2 {
		t.Errorf("the good KPI of a sheet with a bad row: %v %v", got, err)
	}
	if _, err := read(t, m, engine.Measure{Query: "sqls"}); err == nil || !strings.Contains(err.Error(), `mixed.csv:3:17: sqls: value "abc" is not a finite number`) {
		t.Errorf("the bad KPI: %v", err)
	}
	// The file is not echoed: a header is quoted short and escaped.
	passwd := filepath.Join(dir, "passwd")
	os.WriteFile(passwd, []byte("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"), 0o644)
	_, err = read(t, open(t, Config{Type: "csv", Path: passwd}), engine.Measure{Query: "root"})
	if err == nil || strings.Contains(err.Error(), "/bin/bash") || strings.Contains(err.Error(), "daemon") {
		t.Errorf("reading a file that is no CSV of measurements: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	t.Setenv("OKRMAP_TEST_EMPTY", "")
	for _, tc := range []struct {
		c   Config
		err string
	}{
		{Config{Type: "oracle"}, `connectors.src.type: "oracle" is not one of`},
		{Config{Type: "postgres"}, "connectors.src.dsn: set connectors.src.dsn_env"},
		{Config{Type: "postgres", DSNEnv: "OKRMAP_TEST_EMPTY"}, "the environment variable OKRMAP_TEST_EMPTY is not set"},
		{Config{Type: "postgres", DSNEnv: "A", DSNFile: "b"}, "not both"},
		{Config{Type: "http", URL: "https://user:pw@example.com/"}, "carries a password"},
		{Config{Type: "csv"}, "set path (a file) or url"},
		{Config{Type: "prometheus"}, "name the Prometheus server"},
		{Config{Type: "http", URL: "https://example.com/", Headers: map[string]string{"X-Key": "OKRMAP_TEST_UNSET_VAR"}}, "OKRMAP_TEST_UNSET_VAR is not set"},
	} {
		if _, err := Open("src", tc.c); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%+v: error %v, want %q", tc.c, err, tc.err)
		}
	}
}

func TestRedaction(t *testing.T) {
	var r redactor
	r.add("postgres://okrmap:hunter2%21x@db:5432/warehouse")
	r.add("host=db user=okrmap password='p4ssw0rd' dbname=w")
	r.add("okrmap:my5ql-pw@tcp(db:3306)/crm")
	err := r.err(errors.New("failed for postgres://okrmap:hunter2%21x@db:5432/warehouse: password hunter2!x, p4ssw0rd, my5ql-pw"))
	for _, s := range []string{"hunter2", "p4ssw0rd", "my5ql-pw"} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("%q still in %q", s, err)
		}
	}
	base := context.DeadlineExceeded
	if !errors.Is(r.err(errors.Join(base, errors.New("hunter2!x"))), base) {
		t.Error("a redacted error no longer matches what it wraps")
	}
}

// TestCSVOverTheLimit: a sheet larger than a source may answer fails
// whole, instead of being read cut short.
func TestCSVOverTheLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge.csv")
	row := "mqls,2026-11-01,1\n"
	if err := os.WriteFile(path, []byte("kpi,at,value\n"+strings.Repeat(row, maxBody/len(row)+1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := read(t, open(t, Config{Type: "csv", Path: path}), engine.Measure{Query: "mqls"}); err == nil || !strings.Contains(err.Error(), "is larger than 16 MiB") {
		t.Errorf("a sheet over the limit: %v", err)
	}
}
