package connect

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql" // the mysql driver
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // the pgx driver
	"github.com/mattn/go-sqlite3"      // the sqlite3 driver
)

// sqlConn reads values with SQL queries. A query returns a value, or a
// value and its time, per row: columns named value and at are found by
// name, else the first is the value and the second the time. Several rows
// are a series. :period_start and :period_end are the current period's
// bounds.
//
// A plan's query is untrusted: every read runs in a read-only transaction
// with a statement timeout on the server, so a query that writes (a DELETE
// in a WITH clause, a bare UPDATE) fails and changes nothing.
type sqlConn struct {
	name    string
	typ     string
	db      *sql.DB
	secrets redactor
	// mariaDB is 1 once a mysql connector's server is known to be
	// MariaDB, 2 once known to be MySQL: they name the statement timeout
	// differently.
	mariaDB atomic.Int32
}

var drivers = map[string]string{"postgres": "pgx", "mysql": "mysql", "sqlite": "sqlite3"}

func openSQL(name string, c Config) (*sqlConn, error) {
	s := &sqlConn{name: name, typ: c.Type}
	var dsn string
	if c.Type == "sqlite" && c.Path != "" {
		// Read-only: a sync never writes to a source.
		dsn = "file:" + url.PathEscape(c.Path) + "?mode=ro&_query_only=true"
	} else {
		var err error
		if dsn, err = secret(fmt.Sprintf("connectors.%s.dsn", name), c.DSNEnv, c.DSNFile); err != nil {
			return nil, err
		}
		s.secrets.add(dsn)
	}
	switch c.Type {
	case "sqlite":
		if !strings.Contains(dsn, "_query_only=") {
			sep := "?"
			if strings.Contains(dsn, "?") {
				sep = "&"
			}
			dsn += sep + "_query_only=true"
		}
	case "mysql":
		dsn = withParam(dsn, "parseTime", "true")
	case "postgres":
		// Each KPI's query is its own: preparing and caching statements
		// costs a round trip and memory for nothing.
		dsn = withParam(dsn, "default_query_exec_mode", "exec")
	}
	db, err := sql.Open(drivers[c.Type], dsn)
	if err != nil {
		return nil, s.secrets.err(fmt.Errorf("connector %s: %w", name, err))
	}
	if c.Limit > 0 {
		db.SetMaxOpenConns(c.Limit)
		db.SetMaxIdleConns(c.Limit)
	}
	s.db = db
	return s, nil
}

// withParam adds key=value to a DSN unless it is there: to a URL's query,
// or as one more key=value pair of a PostgreSQL keyword DSN.
func withParam(dsn, key, value string) string {
	switch {
	case strings.Contains(dsn, key+"="):
		return dsn
	case strings.Contains(dsn, "://") || strings.Contains(dsn, "@"):
		if strings.Contains(dsn, "?") {
			return dsn + "&" + key + "=" + value
		}
		return dsn + "?" + key + "=" + value
	}
	return dsn + " " + key + "=" + value
}

func (s *sqlConn) Close() error { return s.db.Close() }

func (s *sqlConn) Read(ctx context.Context, req Request) ([]Reading, error) {
	if strings.TrimSpace(req.Measure.Query) == "" {
		return nil, fmt.Errorf("measure.query is empty; write the SQL that returns the value")
	}
	q, args := bindPeriod(req.Measure.Query, s.typ, req)
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, s.secrets.err(err)
	}
	defer tx.Rollback() // a read commits nothing
	if err := s.limit(ctx, tx); err != nil {
		return nil, s.secrets.err(err)
	}
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.secrets.err(writeRefused(err))
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, s.secrets.err(err)
	}
	vi, ti := 0, -1
	if len(cols) > 1 {
		ti = 1
	}
	for i, c := range cols {
		switch strings.ToLower(c) {
		case "value":
			vi = i
		case "at":
			ti = i
		}
	}
	if vi == ti {
		ti = 1 - vi
	}
	var out []Reading
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, s.secrets.err(err)
		}
		n := len(out) + 1
		v, err := number(vals[vi])
		if err != nil {
			return nil, fmt.Errorf("row %d, column %s: %w", n, cols[vi], err)
		}
		r := Reading{Value: v}
		if ti >= 0 {
			if r.At, err = when(vals[ti]); err != nil {
				return nil, fmt.Errorf("row %d, column %s: %w", n, cols[ti], err)
			}
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, s.secrets.err(err)
	}
	if len(out) == 0 {
		return nil, errors.New("the query returned no rows")
	}
	return out, nil
}

// writeRefused says so when err is the server refusing a write in the
// read-only transaction.
func writeRefused(err error) error {
	var pg *pgconn.PgError
	var my *mysql.MySQLError
	var lite sqlite3.Error
	if errors.As(err, &pg) && pg.Code == "25006" || errors.As(err, &my) && my.Number == 1792 ||
		errors.As(err, &lite) && lite.Code == sqlite3.ErrReadonly {
		return fmt.Errorf("the query writes, and a sync only reads (each query runs in a read-only transaction): %w", err)
	}
	return err
}

// defaultStatementTimeout bounds a query read without a deadline.
const defaultStatementTimeout = 30 * time.Second

// limit sets the server's statement timeout for the rest of tx to what is
// left of ctx's deadline: a query that outlives its read stops on the
// server too, not only in okrmap. SQLite stops with the context.
func (s *sqlConn) limit(ctx context.Context, tx *sql.Tx) error {
	d := defaultStatementTimeout
	if dl, ok := ctx.Deadline(); ok {
		d = max(time.Until(dl), time.Millisecond)
	}
	ms := d.Milliseconds() + 1
	switch s.typ {
	case "postgres":
		_, err := tx.ExecContext(ctx, fmt.Sprintf("SET LOCAL statement_timeout = %d", ms))
		return err
	case "mysql":
		if s.mariaDB.Load() != 2 {
			_, err := tx.ExecContext(ctx, fmt.Sprintf("SET SESSION max_statement_time = %.3f", float64(ms)/1000))
			var my *mysql.MySQLError
			if !errors.As(err, &my) || my.Number != 1193 { // 1193: unknown system variable, MySQL
				if err == nil {
					s.mariaDB.Store(1)
				}
				return err
			}
			s.mariaDB.Store(2)
		}
		_, err := tx.ExecContext(ctx, fmt.Sprintf("SET SESSION max_execution_time = %d", ms))
		return err
	}
	return nil
}

// bindPeriod replaces :period_start and :period_end outside quoted text
// with the driver's placeholders, and returns their values.
func bindPeriod(q, typ string, req Request) (string, []any) {
	var b strings.Builder
	var args []any
	quote := byte(0)
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"' || c == '`':
			quote = c
		case c == ':' && (i == 0 || q[i-1] != ':'):
			name := ""
			for _, n := range []string{"period_start", "period_end"} {
				rest := q[i+1:]
				if strings.HasPrefix(rest, n) && (len(rest) == len(n) || !isWord(rest[len(n)])) {
					name = n
				}
			}
			if name != "" {
				v := req.Start
				if name == "period_end" {
					v = req.End
				}
				args = append(args, v)
				if typ == "postgres" {
					b.WriteString("$" + strconv.Itoa(len(args)))
				} else {
					b.WriteString("?")
				}
				i += len(name)
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String(), args
}

func isWord(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
