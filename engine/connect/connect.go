// Package connect reads KPI values from the systems of record: SQL
// databases (PostgreSQL, MySQL/MariaDB, SQLite), HTTP JSON APIs,
// Prometheus, and CSV or TSV files. A connection is configured once by
// name (connectors.<name>); each KPI's measure says what to read from it.
//
// Credentials come only from environment variables or files, and never
// appear in errors: each connector redacts its secrets from what it
// returns.
package connect

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/okrmap/okrmap/engine"
)

// Types are the connector types.
var Types = []string{"postgres", "mysql", "sqlite", "http", "prometheus", "csv"}

// Config is one named connection (config keys connectors.<name>.*).
type Config struct {
	// Type is one of Types.
	Type string `mapstructure:"type"`
	// DSNEnv and DSNFile name where a SQL connector's data source name
	// (with its password) is: an environment variable or a file.
	DSNEnv  string `mapstructure:"dsn_env"`
	DSNFile string `mapstructure:"dsn_file"`
	// URL is the base URL of an HTTP JSON API, Prometheus, or a CSV file;
	// it may not carry a password (use headers).
	URL string `mapstructure:"url"`
	// Path is a CSV file on disk, or a SQLite database.
	Path string `mapstructure:"path"`
	// Headers are HTTP headers sent with every request, each value named
	// by the environment variable that holds it: Authorization: API_TOKEN.
	Headers map[string]string `mapstructure:"headers"`
	// Columns map a CSV's headers to kpi, at and value (and author, note)
	// when they are named otherwise; Comma is "tab" for TSV.
	Columns map[string]string `mapstructure:"columns"`
	Comma   string            `mapstructure:"comma"`
	// Timeout bounds one read; Limit the reads at once.
	Timeout time.Duration `mapstructure:"timeout"`
	Limit   int           `mapstructure:"limit"`
}

// Request is one KPI to read.
type Request struct {
	KPI     string
	Measure engine.Measure
	// Start and End are the current period's (the quarter of Now):
	// :period_start and :period_end in SQL, period_start and period_end in
	// expressions.
	Start, End time.Time
	Now        time.Time
}

// Reading is one value read; a zero At means the time of the read.
type Reading struct {
	Value float64
	At    time.Time
}

// Connector reads KPI values from one source. Read may return a series
// (several readings); it is called concurrently.
type Connector interface {
	Read(ctx context.Context, req Request) ([]Reading, error)
	Close() error
}

// Check reports the first mistake in c, naming its config key; it reads no
// credential and contacts nothing.
func Check(name string, c Config) error {
	key := "connectors." + name
	if !slices.Contains(Types, c.Type) {
		return fmt.Errorf("%s.type: %q is not one of %s", key, c.Type, strings.Join(Types, ", "))
	}
	if c.URL != "" {
		u, err := url.Parse(c.URL)
		if err != nil || u.Scheme != "http" && u.Scheme != "https" {
			return fmt.Errorf("%s.url: %q is not an http(s) URL", key, c.URL)
		}
		if _, has := u.User.Password(); has {
			return fmt.Errorf("%s.url carries a password; send credentials in headers read from the environment", key)
		}
	}
	switch c.Type {
	case "http":
		if c.URL == "" {
			return fmt.Errorf("%s.url: name the API's base URL, e.g. https://finance.example.com/api/; a plan reads only under it", key)
		}
	case "prometheus":
		if c.URL == "" {
			return fmt.Errorf("%s.url: name the Prometheus server, e.g. http://prometheus:9090", key)
		}
	case "csv":
		if (c.Path == "") == (c.URL == "") {
			return fmt.Errorf("%s: set path (a file) or url, one of them", key)
		}
		if c.Comma != "" && c.Comma != "tab" && len(c.Comma) != 1 {
			return fmt.Errorf("%s.comma: %q is not one character or tab", key, c.Comma)
		}
	}
	if c.Timeout < 0 || c.Limit < 0 {
		return fmt.Errorf("%s: timeout and limit may not be negative", key)
	}
	return nil
}

// Open opens the connector name configured by c. Nothing is contacted
// until the first read.
func Open(name string, c Config) (Connector, error) {
	if err := Check(name, c); err != nil {
		return nil, err
	}
	switch c.Type {
	case "postgres", "mysql", "sqlite":
		return openSQL(name, c)
	case "http":
		return openHTTP(name, c)
	case "prometheus":
		return openPrometheus(name, c)
	}
	return openCSV(name, c)
}

// secret reads a credential from an environment variable or a file; key
// names the config key for errors.
func secret(key, env, file string) (string, error) {
	switch {
	case env != "" && file != "":
		return "", fmt.Errorf("%s: set %s_env or %s_file, not both", key, key, key)
	case env != "":
		v, ok := os.LookupEnv(env)
		if !ok || v == "" {
			return "", fmt.Errorf("%s_env: the environment variable %s is not set", key, env)
		}
		return v, nil
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("%s_file: %w", key, err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return "", fmt.Errorf("%s: set %s_env (an environment variable) or %s_file (a file) to the credential", key, key, key)
}

// redactor removes secrets from error messages.
type redactor []string

// add registers a secret and the parts of it that are secrets on their
// own: a URL's password, a key=value DSN's password.
func (r *redactor) add(s string) {
	if s == "" {
		return
	}
	*r = append(*r, s)
	if u, err := url.Parse(s); err == nil {
		if p, ok := u.User.Password(); ok && p != "" {
			*r = append(*r, p, url.QueryEscape(p))
		}
	}
	if i := strings.Index(s, "@"); i > 0 { // user:password@tcp(...) (MySQL)
		if _, p, ok := strings.Cut(s[:i], ":"); ok && p != "" {
			*r = append(*r, p)
		}
	}
	for _, f := range strings.Fields(s) { // password=... (PostgreSQL key=value)
		if p, ok := strings.CutPrefix(f, "password="); ok && p != "" {
			*r = append(*r, strings.Trim(p, "'"))
		}
	}
}

// err returns err with every secret replaced by [redacted].
func (r redactor) err(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := msg
	for _, s := range r {
		if len(s) >= 3 {
			clean = strings.ReplaceAll(clean, s, "[redacted]")
		}
	}
	if clean == msg {
		return err
	}
	return redacted{msg: clean, err: err}
}

// redacted is an error whose message had secrets removed; it still
// matches what it wraps (a timeout stays a timeout).
type redacted struct {
	msg string
	err error
}

func (e redacted) Error() string { return e.msg }
func (e redacted) Unwrap() error { return e.err }

// number turns a value read from a source into a finite float64.
func number(v any) (float64, error) {
	var f float64
	switch x := v.(type) {
	case nil:
		return 0, errors.New("the value is null")
	case float64:
		f = x
	case float32:
		f = float64(x)
	case int64:
		f = float64(x)
	case int:
		f = float64(x)
	case int32:
		f = float64(x)
	case uint64:
		f = float64(x)
	case []byte:
		return number(string(x))
	case string:
		p, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			return 0, fmt.Errorf("the value %q is not a number", truncate(x))
		}
		f = p
	case fmt.Stringer: // numeric types of drivers (pgtype.Numeric ...)
		return number(x.String())
	default:
		return 0, fmt.Errorf("the value is a %T, not a number", v)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("the value %v is not a finite number", f)
	}
	return f, nil
}

// when turns a time read from a source into a time.Time: a time, an RFC
// 3339 string or a date, or Unix seconds. A placeholder such as
// 0001-01-01 is refused, never taken for the time of the read.
func when(v any) (time.Time, error) {
	t, err := parseWhen(v)
	if err != nil {
		return t, err
	}
	return t, engine.CheckObserved(t)
}

func parseWhen(v any) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x, nil
	case []byte:
		return parseWhen(string(x))
	case string:
		if t, err := time.Parse(time.RFC3339Nano, x); err == nil {
			return t, nil
		}
		if t, err := time.Parse("2006-01-02 15:04:05", x); err == nil {
			return t, nil
		}
		d, err := engine.ParseDate(x)
		if err != nil {
			return time.Time{}, fmt.Errorf("the time %q is neither RFC 3339 nor a date", truncate(x))
		}
		return d.Time(), nil
	case float64, int64, int:
		f, _ := number(x)
		return time.Unix(int64(f), 0).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("the time is a %T, not a time", v)
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
