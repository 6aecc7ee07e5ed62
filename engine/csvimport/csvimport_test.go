package csvimport

import (
	"errors"
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
			`m.csv:4:5: at "yesterday" is neither a date (2026-11-20) nor an RFC 3339 time (2026-11-20T09:00:00Z)`,
			`m.csv:5:16: value "lots" is not a finite number`,
			`m.csv:6:1: kpi is empty`}},
		{"short row", "kpi,at,value\nnrr,2026-11-01\n", []string{`m.csv:2: value "" is not a finite number`}},
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
