// Package csvimport reads KPI measurements from CSV files.
package csvimport

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/okrmap/okrmap/engine"
)

// Columns are the header names a measurements CSV may use; kpi, at and value
// are required, in any order.
var Columns = []string{"kpi", "at", "value", "author", "note"}

// Measurements reads a CSV file with a header row naming its columns. Every
// row is checked; on any problem it returns engine.Problems, one per bad
// row, naming file, line and column, and no measurements. known, when not
// nil, says whether a KPI key exists. at is an RFC 3339 time or a date
// (midnight UTC).
func Measurements(name string, r io.Reader, known func(kpi string) bool) ([]engine.Measurement, error) {
	return Read(name, r, Options{Known: known})
}

// Options shape how Read reads a file.
type Options struct {
	// Known, when not nil, says whether a KPI key exists.
	Known func(kpi string) bool
	// Comma separates fields; ',' when zero.
	Comma rune
	// Headers names the header of each column okrmap reads (kpi, at,
	// value, author, note), for files exported with other headers. With
	// Headers set, other columns are ignored.
	Headers map[string]string
}

// Read is Measurements with options.
func Read(name string, r io.Reader, o Options) ([]engine.Measurement, error) {
	known := o.Known
	cr := csv.NewReader(r)
	if o.Comma != 0 {
		cr.Comma = o.Comma
	}
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	var probs engine.Problems
	bad := func(line, col int, format string, args ...any) {
		probs = append(probs, engine.Problem{File: name, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)})
	}
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, engine.Problems{{File: name, Msg: "the file is empty; it needs a header row: kpi,at,value"}}
	}
	if err != nil {
		return nil, csvProblem(name, err)
	}
	col := map[string]int{}
	rename := map[string]string{} // a file's header -> the column it is
	for c, h := range o.Headers {
		rename[strings.ToLower(strings.TrimSpace(h))] = c
	}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if o.Headers != nil {
			c, ok := rename[h]
			if !ok {
				continue
			}
			h = c
		}
		if !slices.Contains(Columns, h) {
			bad(1, i+1, "unknown column %q; use %s", h, strings.Join(Columns, ", "))
			continue
		}
		if _, dup := col[h]; dup {
			bad(1, i+1, "column %q appears twice", h)
		}
		col[h] = i
	}
	for _, req := range Columns[:3] {
		if _, ok := col[req]; !ok {
			if h, ok := o.Headers[req]; ok {
				bad(1, 0, "missing column %q (read as %s)", h, req)
				continue
			}
			bad(1, 0, "missing column %q; the header needs kpi, at and value", req)
		}
	}
	if len(probs) > 0 {
		return nil, probs
	}
	var out []engine.Measurement
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return nil, csvProblem(name, err)
			}
			probs = append(probs, csvProblem(name, err)...)
			continue
		}
		line, _ := cr.FieldPos(0)
		// field returns a column's value and its 1-based position on the line.
		field := func(c string) (string, int) {
			i, ok := col[c]
			if !ok || i >= len(rec) {
				return "", 0
			}
			_, pos := cr.FieldPos(i)
			return strings.TrimSpace(rec[i]), pos
		}
		m := engine.Measurement{}
		var c int
		m.KPI, c = field("kpi")
		switch {
		case m.KPI == "":
			bad(line, c, "kpi is empty")
		case known != nil && !known(m.KPI):
			bad(line, c, "no KPI %q in the database; apply a plan that declares it, or fix the key", m.KPI)
		}
		at, c := field("at")
		if m.At, err = ParseTime(at); err != nil {
			bad(line, c, "%v", err)
		}
		v, c := field("value")
		if m.Value, err = strconv.ParseFloat(v, 64); err != nil || v == "" || math.IsNaN(m.Value) || math.IsInf(m.Value, 0) {
			bad(line, c, "value %q is not a finite number", v)
		}
		m.Author, _ = field("author")
		m.Note, _ = field("note")
		out = append(out, m)
	}
	if len(probs) > 0 {
		return nil, probs
	}
	return out, nil
}

func csvProblem(name string, err error) engine.Problems {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return engine.Problems{{File: name, Line: pe.Line, Column: pe.Column, Msg: "not valid CSV: " + pe.Err.Error()}}
	}
	return engine.Problems{{File: name, Msg: "cannot read CSV: " + err.Error()}}
}

// ParseTime reads an RFC 3339 time or a YYYY-MM-DD date (midnight UTC).
func ParseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := engine.ParseDate(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("at %q is neither a date (2026-11-20) nor an RFC 3339 time (2026-11-20T09:00:00Z)", s)
	}
	return d.Time(), nil
}
