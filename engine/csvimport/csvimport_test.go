package csvimport

import (
	"errors"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/okrmap/okrmap/engine"
)

func known(k string) bool { return k == "nrr" || k == "cac" }

func TestMeasurements(t *testing.T) {
	in := "\ufeffkpi,value,at,note\nnrr,104.5,2026-11-01,first\ncac, 412 ,2026-11-02T09:30:00+01:00,\n"
	ms, err := Measurements("m.csv", strings.NewReader(in), known)
	if err != nil {
		t.Fatal(err)
	}
	want := []engine.Measurement{
		{KPI: "nrr", Value: 104.5, At: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Note: "first"},
		{KPI: "cac", Value: 412, At: time.Date(2026, 11, 2, 8, 30, 0, 0, time.UTC)},
	}
	if len(ms) != 2 || ms[0].KPI != want[0].KPI || !ms[0].At.Equal(want[0].At) || ms[0].Note != "first" ||
		ms[1].Value != 412 || !ms[1].At.Equal(want[1].At) {
		t.Errorf("got %+v, want %+v", ms, want)
	}
}

func TestMeasurementsErrors(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"empty", "", []string{"m.csv: the file is empty; it needs a header row: kpi,at,value"}},
		{"bad header", "kpi,when,value\n", []string{
			`m.csv:1:2: unknown column "when"; use kpi, at, value, author, note`,
			`m.csv:1: missing column "at"; the header needs kpi, at and value`}},
		{"every bad row", "kpi,at,value\nnrr,2026-11-01,1\nnope,2026-11-01,2\nnrr,yesterday,3\ncac,2026-11-01,lots\n,2026-11-01,4\n", []string{
			`m.csv:3:1: no KPI "nope" in the database; apply a plan that declares it, or fix the key`,
			`m.csv:4:5: nrr: at "yesterday" is neither a date (2026-11-20) nor an RFC 3339 time (2026-11-20T09:00:00Z)`,
			`m.csv:5:16: cac: value "lots" is not a finite number`,
			`m.csv:6:1: kpi is empty`}},
		{"short row", "kpi,at,value\nnrr,2026-11-01\n", []string{`m.csv:2: nrr: value "" is not a finite number`}},
		{"an extra field", "kpi,at,value\nnrr,2026-11-01,1,5\n", []string{`m.csv:2:18: nrr: the row has 4 fields, the header 3; quote a value that holds the separator`}},
		{"a placeholder time", "kpi,at,value\nnrr,0001-01-01T00:00:00Z,1\n", []string{`m.csv:2:5: nrr: at: 0001-01-01T00:00:00Z is before 1900: a placeholder for no time (such as .NET's DateTime.MinValue), not when a value was observed; give the real time, or leave the time out for now`}},
		{"a long unknown column", "kpi,at,value,root:x:0:0:root:/root:/bin/bash\x1b[31m and more and more\n", []string{`m.csv:1:4: unknown column "root:x:0:0:root:/root:/bin/bash\x1b[31m and"...; use kpi, at, value, author, note`}},
		{"broken quoting", "kpi,at,value\nnrr,\"2026-11-01,1\n", []string{`m.csv:2:19: not valid CSV: extraneous or missing " in quoted-field`}},
	}
	for _, tt := range tests {
		_, err := Measurements("m.csv", strings.NewReader(tt.in), known)
		var ps engine.Problems
		if !errors.As(err, &ps) {
			t.Fatalf("%s: want engine.Problems, got %v", tt.name, err)
		}
		var got []string
		for _, p := range ps {
			got = append(got, p.String())
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
	}
}

func TestExampleMeasurements(t *testing.T) {
	f, err := os.Open("../../examples/saas-b2b/measurements.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ms, err := Measurements(f.Name(), f, nil)
	if err != nil || len(ms) < 50 {
		t.Fatalf("example measurements: %d rows, %v", len(ms), err)
	}
}

func FuzzMeasurements(f *testing.F) {
	f.Add("kpi,at,value\nnrr,2026-11-01,1\n")
	f.Add("kpi,at,value,author,note\n\"a\"\"b\",2026-11-01T00:00:00Z,1e3,x,\"y\nz\"\n")
	f.Fuzz(func(t *testing.T, in string) {
		ms, err := Measurements("f.csv", strings.NewReader(in), nil)
		var ps engine.Problems
		if err != nil && !errors.As(err, &ps) {
			t.Fatalf("error is not engine.Problems: %v", err)
		}
		if err != nil && ms != nil {
			t.Fatal("returned measurements with an error")
		}
	})
}

func FuzzCheckIns(f *testing.F) {
	f.Add("key_result,at,value,confidence,note\nkr,2026-11-01,1,0.5,x\nkr,2026-11-02,,,y\n")
	f.Fuzz(func(t *testing.T, in string) {
		cs, err := CheckIns("f.csv", strings.NewReader(in), Options{})
		var ps engine.Problems
		if err != nil && !errors.As(err, &ps) {
			t.Fatalf("error is not engine.Problems: %v", err)
		}
		for _, c := range cs {
			if c.Comment && (c.Note == "" || c.Value != 0) || c.Confidence != nil && !(*c.Confidence >= 0 && *c.Confidence <= 1) {
				t.Fatalf("a check-in okrmap would not store: %+v", c)
			}
		}
	})
}

// TestAbsentColumnsAreEmpty: without note and author columns, notes and
// authors are empty, not the KPI key of column 0.
func TestAbsentColumnsAreEmpty(t *testing.T) {
	ms, err := Measurements("m.csv", strings.NewReader("kpi,at,value\nnrr,2026-11-01,104.5\n"), known)
	if err != nil {
		t.Fatal(err)
	}
	if ms[0].Note != "" || ms[0].Author != "" {
		t.Errorf("absent columns read as %q and %q", ms[0].Note, ms[0].Author)
	}
}

func TestNonFiniteValues(t *testing.T) {
	for _, v := range []string{"NaN", "Inf", "-Inf", "+inf"} {
		_, err := Measurements("m.csv", strings.NewReader("kpi,at,value\nnrr,2026-11-01,"+v+"\n"), known)
		if err == nil || !strings.Contains(err.Error(), "is not a finite number") {
			t.Errorf("value %s: %v", v, err)
		}
	}
}

// TestHostileFiles: a huge cell, a line of NUL bytes and a huge value are
// refused with their line, without holding them whole, and echoed at most
// as a short escaped excerpt.
func TestHostileFiles(t *testing.T) {
	big := strings.Repeat("9", engine.MaxText+1)
	for _, tc := range []struct {
		name string
		in   io.Reader
		want string
	}{
		{"a cell over plan.max_text", strings.NewReader("kpi,at,value,note\nnrr,2026-11-01,1," + big + "\n"),
			"m.csv:2:18: nrr: the cell is 65537 bytes long"},
		{"a value over plan.max_text", strings.NewReader("kpi,at,value\nnrr,2026-11-01," + big + "\n"),
			`value "9999999999999999999999999999999999999999"... is not a finite number`},
		{"a line of 100 MB", io.MultiReader(strings.NewReader("kpi,at,value\nnrr,2026-11-01,"), zeros(100<<20)),
			"line 2 is longer than 1 MiB"},
	} {
		_, err := Measurements("m.csv", tc.in, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
			continue
		}
		if len(err.Error()) > 1000 {
			t.Errorf("%s: the error is %d bytes long", tc.name, len(err.Error()))
		}
	}
}

// zeros is n NUL bytes, made as they are read.
func zeros(n int64) io.Reader { return io.LimitReader(nulls{}, n) }

type nulls struct{}

func (nulls) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestRowsKeepsGoodRows: Rows returns the good rows beside the bad ones,
// each bad one keyed by its KPI.
func TestRowsKeepsGoodRows(t *testing.T) {
	ms, probs, err := Rows("s.csv", strings.NewReader("kpi,at,value\nmqls,2026-11-01,10\nsqls,2026-11-01,abc\nmqls,2026-11-08,12\n"), Options{})
	if err != nil || len(ms) != 2 || ms[1].Value != 12 {
		t.Fatalf("rows %v, %v", ms, err)
	}
	if len(probs) != 1 || probs[0].Key != "sqls" || probs[0].String() != `s.csv:3:17: sqls: value "abc" is not a finite number` {
		t.Errorf("problems %q", probs)
	}
}

// TestCheckIns: a check-ins CSV gives values, confidences and comments (a
// note, no value), and lists every bad row with its line and column.
func TestCheckIns(t *testing.T) {
	kr := func(k string) bool { return k == "sme-sqls" }
	in := "key_result,at,value,confidence,note\nsme-sqls,2026-11-10,3400,0.7,webinars\nsme-sqls,2026-11-17,,,no progress\n"
	cs, err := CheckIns("c.csv", strings.NewReader(in), Options{Known: kr})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 || cs[0].Value != 3400 || cs[0].Confidence == nil || *cs[0].Confidence != 0.7 || cs[0].Comment ||
		!cs[1].Comment || cs[1].Note != "no progress" || cs[1].Confidence != nil {
		t.Errorf("got %+v", cs)
	}
	bad := "key_result,at,value,confidence\nsme-sqls,2026-11-10,1,1.5\nnrr,2026-11-10,1,\nsme-sqls,2026-11-10,,\n"
	_, err = CheckIns("c.csv", strings.NewReader(bad), Options{Known: kr})
	var probs engine.Problems
	if !errors.As(err, &probs) || len(probs) != 3 || probs[0].Line != 2 || probs[0].Column != 23 ||
		!strings.Contains(probs[0].Msg, "confidence") || !strings.Contains(probs[1].Msg, `no key result "nrr"`) ||
		!strings.Contains(probs[2].Msg, "needs a note") {
		t.Errorf("problems: %v", err)
	}
	if _, err := CheckIns("c.csv", strings.NewReader("kpi,at,value\nnrr,2026-11-10,1\n"), Options{}); err == nil ||
		!strings.Contains(err.Error(), `unknown column "kpi"`) {
		t.Errorf("a measurements file read as check-ins: %v", err)
	}
}

// TestCellsMustBeText: a cell with a NUL byte or bytes that are not UTF-8
// is refused with its line and column, in measurements and check-ins
// alike, rather than stored (PostgreSQL cannot store a NUL in text).
func TestCellsMustBeText(t *testing.T) {
	_, err := Measurements("m.csv", strings.NewReader("kpi,at,value,note\nnrr,2026-11-01,1,a\x00b\n"), nil)
	var probs engine.Problems
	if !errors.As(err, &probs) || len(probs) != 1 || probs[0].Line != 2 || probs[0].Column != 18 || !strings.Contains(probs[0].Msg, "not text") {
		t.Errorf("a NUL in a note: %v", err)
	}
	_, err = CheckIns("c.csv", strings.NewReader("key_result,at,value,note\nkr,2026-11-01,1,\xff\xfe\n"), Options{})
	if !errors.As(err, &probs) || len(probs) != 1 || !strings.Contains(probs[0].Msg, "not UTF-8") {
		t.Errorf("bytes that are not UTF-8 in a note: %v", err)
	}
}
