package engine

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// FiscalYearStart is the month fiscal years start in (plan.fiscal_year_start).
// A fiscal year is named by the calendar year it ends in: with February,
// FY2020 runs from 2019-02-01 to 2020-01-31 and FY2020-Q4 is its last
// quarter, November to January. Calendar periods (2026-Q4) are unchanged.
var FiscalYearStart = time.January

// Period is a planning period: a quarter (2026-Q4), a half (2026-H1), a month
// (2026-11) or a year (2026), calendar; or a fiscal year (FY2026) and its
// quarters and halves (FY2026-Q1, FY2026-H2). Start and End are inclusive
// days.
type Period struct {
	Name  string
	Start Date
	End   Date
	unit  byte // 'Q', 'H', 'M' or 'Y'
	fy    bool // fiscal: written as FY2026, FY2026-Q1
}

// ParsePeriod parses a period name.
func ParsePeriod(s string) (Period, error) {
	bad := fmt.Errorf("%q is not a period; write a quarter (2026-Q4), a half (2026-H1), a month (2026-11), a year (2026), or a fiscal year, quarter or half (FY2026, FY2026-Q4, FY2026-H1)", s)
	name := strings.ToUpper(strings.TrimSpace(s))
	fy := strings.HasPrefix(name, "FY")
	if fy {
		name = strings.TrimPrefix(name, "FY")
	}
	yearText, rest, hasRest := strings.Cut(name, "-")
	if len(yearText) != 4 {
		return Period{}, bad
	}
	year, err := strconv.Atoi(yearText)
	if err != nil || year < 1900 || year > 9999 {
		return Period{}, bad
	}
	if !hasRest {
		return newPeriod(year, 'Y', 1, fy), nil
	}
	switch {
	case len(rest) == 2 && rest[0] == 'Q' && rest[1] >= '1' && rest[1] <= '4':
		return newPeriod(year, 'Q', int(rest[1]-'0'), fy), nil
	case len(rest) == 2 && rest[0] == 'H' && (rest[1] == '1' || rest[1] == '2'):
		return newPeriod(year, 'H', int(rest[1]-'0'), fy), nil
	case len(rest) == 2 && !fy:
		m, err := strconv.Atoi(rest)
		if err != nil || m < 1 || m > 12 {
			return Period{}, bad
		}
		return newPeriod(year, 'M', m, false), nil
	}
	return Period{}, bad
}

// newPeriod is the nth quarter, half or month (or the whole, for 'Y') of
// calendar year year, or with fy of fiscal year year.
func newPeriod(year int, unit byte, n int, fy bool) Period {
	var months int
	var name string
	switch unit {
	case 'Q':
		months, name = 3, fmt.Sprintf("%d-Q%d", year, n)
	case 'H':
		months, name = 6, fmt.Sprintf("%d-H%d", year, n)
	case 'M':
		months, name = 1, fmt.Sprintf("%d-%02d", year, n)
	default:
		months, name = 12, strconv.Itoa(year)
	}
	first := NewDate(year, time.Month((n-1)*months+1), 1)
	if fy {
		name = "FY" + name
		if FiscalYearStart > time.January { // FY year ends in year
			first = NewDate(year-1, FiscalYearStart, 1)
			first = Date{first.Time().AddDate(0, (n-1)*months, 0)}
		}
	}
	end := Date{first.Time().AddDate(0, months, -1)}
	return Period{Name: name, Start: first, End: end, unit: unit, fy: fy}
}

// Contains reports whether day d lies in p.
func (p Period) Contains(d Date) bool { return !d.Before(p.Start) && !d.After(p.End) }

// Covers reports whether q lies entirely within p.
func (p Period) Covers(q Period) bool { return p.Contains(q.Start) && p.Contains(q.End) }

// Next returns the period of the same length that follows p.
func (p Period) Next() Period {
	if p.fy {
		year := fiscalYear(p.Start)
		if p.unit == 'Y' {
			return newPeriod(year+1, 'Y', 1, true)
		}
		months := map[byte]int{'Q': 3, 'H': 6}[p.unit]
		first, start := newPeriod(year, 'Y', 1, true).Start.Time(), p.Start.Time()
		n := ((start.Year()*12+int(start.Month()))-(first.Year()*12+int(first.Month())))/months + 2
		if n > 12/months {
			year, n = year+1, 1
		}
		return newPeriod(year, p.unit, n, true)
	}
	d := p.End.AddDays(1).Time()
	switch p.unit {
	case 'Q':
		return newPeriod(d.Year(), 'Q', int(d.Month()-1)/3+1, false)
	case 'H':
		return newPeriod(d.Year(), 'H', int(d.Month()-1)/6+1, false)
	case 'M':
		return newPeriod(d.Year(), 'M', int(d.Month()), false)
	}
	return newPeriod(d.Year(), 'Y', 1, false)
}

// fiscalYear is the fiscal year day d falls in.
func fiscalYear(d Date) int {
	t := d.Time()
	if FiscalYearStart > time.January && t.Month() >= FiscalYearStart {
		return t.Year() + 1
	}
	return t.Year()
}

func (p Period) String() string { return p.Name }
