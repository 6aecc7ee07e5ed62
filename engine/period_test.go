package engine

import (
	"testing"
	"time"
)

func TestParsePeriod(t *testing.T) {
	tests := []struct {
		in, name, start, end, next string
	}{
		{"2026-Q4", "2026-Q4", "2026-10-01", "2026-12-31", "2027-Q1"},
		{"2026-q1", "2026-Q1", "2026-01-01", "2026-03-31", "2026-Q2"},
		{"2026-H2", "2026-H2", "2026-07-01", "2026-12-31", "2027-H1"},
		{"2026-02", "2026-02", "2026-02-01", "2026-02-28", "2026-03"},
		{"2024-02", "2024-02", "2024-02-01", "2024-02-29", "2024-03"},
		{"2026-12", "2026-12", "2026-12-01", "2026-12-31", "2027-01"},
		{"FY2026", "FY2026", "2026-01-01", "2026-12-31", "FY2027"},
		{"2026", "2026", "2026-01-01", "2026-12-31", "2027"},
		{"FY2026-Q1", "FY2026-Q1", "2026-01-01", "2026-03-31", "FY2026-Q2"},
		{"fy2026-h2", "FY2026-H2", "2026-07-01", "2026-12-31", "FY2027-H1"},
	}
	for _, tt := range tests {
		p, err := ParsePeriod(tt.in)
		if err != nil {
			t.Fatalf("ParsePeriod(%q): %v", tt.in, err)
		}
		if p.Name != tt.name || p.Start.String() != tt.start || p.End.String() != tt.end || p.Next().Name != tt.next {
			t.Errorf("ParsePeriod(%q) = %s %s..%s next %s; want %s %s..%s next %s",
				tt.in, p.Name, p.Start, p.End, p.Next().Name, tt.name, tt.start, tt.end, tt.next)
		}
	}
	for _, bad := range []string{"", "Q4", "2026-Q5", "2026-Q0", "2026-H3", "2026-13", "2026-00", "FY2026-11", "FY2026-Q5", "26-Q1", "2026-Q4x", "FY", "0001"} {
		if _, err := ParsePeriod(bad); err == nil {
			t.Errorf("ParsePeriod(%q) succeeded; want an error", bad)
		}
	}
}

func TestPeriodContains(t *testing.T) {
	q4, _ := ParsePeriod("2026-Q4")
	fy, _ := ParsePeriod("FY2026")
	for d, want := range map[string]bool{"2026-10-01": true, "2026-12-31": true, "2026-09-30": false, "2027-01-01": false} {
		day, _ := ParseDate(d)
		if got := q4.Contains(day); got != want {
			t.Errorf("2026-Q4 contains %s = %v, want %v", d, got, want)
		}
	}
	if !fy.Covers(q4) || q4.Covers(fy) {
		t.Error("FY2026 should cover 2026-Q4 and not the other way round")
	}
}

// TestFiscalYears: with a fiscal year starting in February, FY2020 runs
// from 2019-02-01 to 2020-01-31 (named by the year it ends in), its
// quarters follow it, and a key result due 2020-01-31 lies in FY2020-Q4.
func TestFiscalYears(t *testing.T) {
	defer func(m time.Month) { FiscalYearStart = m }(FiscalYearStart)
	FiscalYearStart = time.February
	for in, want := range map[string][3]string{
		"FY2020":    {"2019-02-01", "2020-01-31", "FY2021"},
		"FY2020-Q1": {"2019-02-01", "2019-04-30", "FY2020-Q2"},
		"FY2020-Q4": {"2019-11-01", "2020-01-31", "FY2021-Q1"},
		"FY2020-H2": {"2019-08-01", "2020-01-31", "FY2021-H1"},
		"2019-Q4":   {"2019-10-01", "2019-12-31", "2020-Q1"},
	} {
		p, err := ParsePeriod(in)
		if err != nil || p.Start.String() != want[0] || p.End.String() != want[1] || p.Next().Name != want[2] {
			t.Errorf("%s: %s..%s next %s (%v), want %s..%s next %s", in, p.Start, p.End, p.Next().Name, err, want[0], want[1], want[2])
		}
	}
	q4, _ := ParsePeriod("FY2020-Q4")
	fy, _ := ParsePeriod("FY2020")
	due, _ := ParseDate("2020-01-31")
	if !q4.Contains(due) || !fy.Covers(q4) {
		t.Error("FY2020-Q4 does not hold 2020-01-31, or FY2020 does not cover it")
	}
}
