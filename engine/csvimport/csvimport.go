// Package csvimport reads KPI measurements and key result check-ins from
// CSV files.
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
	"unicode/utf8"

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

// Limits of what a file may hold, whoever wrote it.
const (
	// MaxLine bounds a line, in bytes: a longer one stops the read
	// before it is held in memory.
	MaxLine = 1 << 20
	// MaxProblems bounds the problems reported for one file.
	MaxProblems = 100
)

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
	// MaxText bounds a cell, in bytes; engine.MaxText when zero.
	MaxText int
	// NotAfter, when set, refuses rows dated after it: values from the
	// future, each with its line beside the file's other problems.
	NotAfter time.Time
}

// Read is Measurements with options: every row or none.
func Read(name string, r io.Reader, o Options) ([]engine.Measurement, error) {
	ms, probs, err := Rows(name, r, o)
	if err != nil {
		return nil, err
	}
	if len(probs) > 0 {
		return nil, probs
	}
	return ms, nil
}

// Rows reads like Read but keeps the good rows: it returns the
// measurements of the rows without problems and a problem for each bad
// row, its Key the row's KPI when the row names one. err is what makes the
// whole file unreadable: its header, a line over MaxLine, a read error.
func Rows(name string, r io.Reader, o Options) ([]engine.Measurement, engine.Problems, error) {
	rows, probs, err := read(name, r, o, measurementFile)
	ms := make([]engine.Measurement, len(rows))
	for i, x := range rows {
		ms[i] = engine.Measurement{KPI: x.key, At: x.at, Value: x.value, Author: x.author, Note: x.note}
	}
	return ms, probs, err
}

// CheckInColumns are the header names a check-ins CSV may use; key_result
// and at are required, and value unless the row is a comment (a note and
// no value).
var CheckInColumns = []string{"key_result", "at", "value", "confidence", "author", "note"}

// CheckIns reads a CSV file of key result check-ins as Read reads
// measurements: every row or none. confidence is 0 to 1, or empty.
func CheckIns(name string, r io.Reader, o Options) ([]engine.CheckIn, error) {
	rows, probs, err := read(name, r, o, checkInFile)
	if err != nil {
		return nil, err
	}
	if len(probs) > 0 {
		return nil, probs
	}
	cs := make([]engine.CheckIn, len(rows))
	for i, x := range rows {
		cs[i] = engine.CheckIn{KeyResult: x.key, At: x.at, Value: x.value, Confidence: x.confidence, Author: x.author, Note: x.note, Comment: x.comment}
	}
	return cs, nil
}

// layout is what one kind of file holds.
type layout struct {
	columns []string // the first two and value are required
	key     string   // the column naming the entity: kpi, key_result
	noun    string   // what the key names: KPI, key result
	rows    string   // what a row is: measurements, check-ins
	comment bool     // a row with a note and no value is a comment
}

var (
	measurementFile = layout{columns: Columns, key: "kpi", noun: "KPI", rows: "measurements"}
	checkInFile     = layout{columns: CheckInColumns, key: "key_result", noun: "key result", rows: "check-ins", comment: true}
)

// row is one good row of either kind.
type row struct {
	key, author, note string
	at                time.Time
	value             float64
	confidence        *float64
	comment           bool
}

// read reads a file of l's layout, keeping the good rows (see Rows).
func read(name string, r io.Reader, o Options, l layout) ([]row, engine.Problems, error) {
	known := o.Known
	maxText := o.MaxText
	if maxText <= 0 {
		maxText = engine.MaxText
	}
	lines := &lineCap{r: r, line: 1}
	cr := csv.NewReader(lines)
	if o.Comma != 0 {
		cr.Comma = o.Comma
	}
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	var probs engine.Problems
	more := 0 // problems past MaxProblems
	bad := func(line, col int, key, format string, args ...any) {
		if len(probs) == MaxProblems {
			more++
			return
		}
		probs = append(probs, engine.Problem{File: name, Line: line, Column: col, Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	required := l.columns[:2]
	if !l.comment {
		required = l.columns[:3]
	}
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil, engine.Problems{{File: name, Msg: "the file is empty; it needs a header row: " + strings.Join(l.columns[:3], ",")}}
	}
	if err != nil {
		return nil, nil, csvProblem(name, err)
	}
	header = slices.Clone(header)
	col := map[string]int{}
	var unknown engine.Problems
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
		if !slices.Contains(l.columns, h) {
			unknown = append(unknown, engine.Problem{File: name, Line: 1, Column: i + 1,
				Msg: fmt.Sprintf("unknown column %s; use %s", Excerpt(h), strings.Join(l.columns, ", "))})
			continue
		}
		if _, dup := col[h]; dup {
			bad(1, i+1, "", "column %q appears twice", h)
		}
		col[h] = i
	}
	if len(col) == 0 && o.Headers == nil {
		// Not a header at all: the file is something else, not to be
		// echoed.
		return nil, nil, engine.Problems{{File: name, Line: 1,
			Msg: fmt.Sprintf("the first line names none of the columns %s, %s and value: is this a CSV of %s?", l.columns[0], l.columns[1], l.rows)}}
	}
	for _, p := range unknown {
		bad(p.Line, p.Column, "", "%s", p.Msg)
	}
	for _, req := range required {
		if _, ok := col[req]; !ok {
			if h, ok := o.Headers[req]; ok {
				bad(1, 0, "", "missing column %s (read as %s)", Excerpt(h), req)
				continue
			}
			bad(1, 0, "", "missing column %q; the header needs %s and %s", req, strings.Join(required[:len(required)-1], ", "), required[len(required)-1])
		}
	}
	if len(probs) > 0 {
		return nil, nil, probs
	}
	var out []row
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return nil, nil, csvProblem(name, err)
			}
			p := csvProblem(name, err)[0]
			bad(p.Line, p.Column, "", "%s", p.Msg)
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
		var m row
		var c int
		m.key, c = field(l.key)
		n := len(probs) + more
		key := ""
		switch {
		case m.key == "":
			bad(line, c, "", "%s is empty", l.key)
		case len(m.key) > maxText || !utf8.ValidString(m.key) || strings.ContainsRune(m.key, 0):
			bad(line, c, "", "%s %s is not a %s key", l.key, Excerpt(m.key), l.noun)
		case known != nil && !known(m.key):
			bad(line, c, "", "no %s %s in the database; apply a plan that declares it, or fix the key", l.noun, Excerpt(m.key))
		default:
			key = m.key
		}
		if len(rec) > len(header) {
			_, c := cr.FieldPos(len(header))
			bad(line, c, key, "the row has %d fields, the header %d; quote a value that holds the separator", len(rec), len(header))
		}
		for i, v := range rec {
			if i == col[l.key] {
				continue // checked above
			}
			_, c := cr.FieldPos(i)
			switch {
			case len(v) > maxText:
				bad(line, c, key, "the cell is %d bytes long; okrmap keeps text under %d bytes", len(v), maxText)
			case !utf8.ValidString(v) || strings.ContainsRune(v, 0):
				bad(line, c, key, "the cell is not text: it holds a NUL byte or bytes that are not UTF-8; save the file as UTF-8")
			}
		}
		at, c := field("at")
		if m.at, err = ParseTime(at); err != nil {
			bad(line, c, key, "%v", err)
		} else if !o.NotAfter.IsZero() && m.at.After(o.NotAfter) {
			bad(line, c, key, "at %s is in the future; record values when they are observed", m.at.UTC().Format(time.RFC3339))
		}
		m.author, _ = field("author")
		m.note, _ = field("note")
		v, c := field("value")
		switch m.value, err = strconv.ParseFloat(v, 64); {
		case v == "" && l.comment && m.note != "":
			m.value, m.comment = 0, true
		case v == "" && l.comment:
			bad(line, c, key, "value is empty and there is no note; a check-in without a value is a comment, and needs a note")
		case err != nil || v == "" || math.IsNaN(m.value) || math.IsInf(m.value, 0):
			bad(line, c, key, "value %s is not a finite number", Excerpt(v))
		}
		if conf, c := field("confidence"); conf != "" {
			f, err := strconv.ParseFloat(conf, 64)
			if err != nil || !(f >= 0 && f <= 1) {
				bad(line, c, key, "confidence %s is not a number from 0 to 1", Excerpt(conf))
			}
			m.confidence = &f
		}
		if len(probs)+more == n {
			out = append(out, m)
		}
	}
	if more > 0 {
		probs = append(probs, engine.Problem{File: name, Msg: fmt.Sprintf("and %d more problems; fix these first", more)})
	}
	return out, probs, nil
}

// Excerpt is s quoted for a message: at most 40 runes of it, escaped, so
// what a file holds is never echoed at length or raw.
func Excerpt(s string) string {
	const n = 40
	cut := false
	if utf8.RuneCountInString(s) > n {
		s, cut = string([]rune(s)[:n]), true
	}
	q := strconv.QuoteToASCII(s)
	if cut {
		q += "..."
	}
	return q
}

// lineCap passes a reader through, failing once a line grows past
// MaxLine bytes, and counts lines for the error.
type lineCap struct {
	r    io.Reader
	line int // the line being read, 1-based
	n    int // bytes of it so far
}

func (l *lineCap) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for i, b := range p[:n] {
		if b == '\n' {
			l.line++
			l.n = 0
			continue
		}
		if l.n++; l.n > MaxLine {
			return i, fmt.Errorf("line %d is longer than %d MiB: is this a CSV of measurements?", l.line, MaxLine>>20)
		}
	}
	return n, err
}

func csvProblem(name string, err error) engine.Problems {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return engine.Problems{{File: name, Line: pe.Line, Column: pe.Column, Msg: "not valid CSV: " + pe.Err.Error()}}
	}
	return engine.Problems{{File: name, Msg: "cannot read CSV: " + err.Error()}}
}

// ParseTime reads an RFC 3339 time or a YYYY-MM-DD date (midnight UTC) at
// which a value was observed; a placeholder such as 0001-01-01 is refused
// (see engine.CheckObserved).
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		d, derr := engine.ParseDate(s)
		if derr != nil {
			return time.Time{}, fmt.Errorf("at %s is neither a date (2026-11-20) nor an RFC 3339 time (2026-11-20T09:00:00Z)", Excerpt(s))
		}
		t = d.Time()
	}
	if err := engine.CheckObserved(t); err != nil {
		return time.Time{}, fmt.Errorf("at: %w", err)
	}
	return t, nil
}
