package engine

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Period is a planning period: a quarter (2026-Q4), a half (2026-H1), a month
// (2026-11) or a year (FY2026 or 2026). Start and End are inclusive days.
type Period struct {
	Name  string
	Start Date
	End   Date
	unit  byte // 'Q', 'H', 'M' or 'Y'
	fy    bool // written as FY2026
}

// ParsePeriod parses a period name. Years are calendar years.
func ParsePeriod(s string) (Period, error) {
	bad := fmt.Errorf("%q is not a period; write a quarter (2026-Q4), a half (2026-H1), a month (2026-11) or a year (FY2026)", s)
	name := strings.ToUpper(strings.TrimSpace(s))
	fy := strings.HasPrefix(name, "FY")
	if fy {
		name = strings.TrimPrefix(name, "FY")
	}
	yearText, rest, hasRest := strings.Cut(name, "-")
	if len(yearText) != 4 || fy && hasRest {
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
		return newPeriod(year, 'Q', int(rest[1]-'0'), false), nil
	case len(rest) == 2 && rest[0] == 'H' && (rest[1] == '1' || rest[1] == '2'):
		return newPeriod(year, 'H', int(rest[1]-'0'), false), nil
	case len(rest) == 2:
		m, err := strconv.Atoi(rest)
		if err != nil || m < 1 || m > 12 {
			return Period{}, bad
		}
		return newPeriod(year, 'M', m, false), nil
	}
	return Period{}, bad
}

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
		if fy {
			name = "FY" + name
		}
	}
	start := NewDate(year, time.Month((n-1)*months+1), 1)
	end := Date{start.Time().AddDate(0, months, -1)}
	return Period{Name: name, Start: start, End: end, unit: unit, fy: fy}
}

// Contains reports whether day d lies in p.
func (p Period) Contains(d Date) bool { return !d.Before(p.Start) && !d.After(p.End) }

// Covers reports whether q lies entirely within p.
func (p Period) Covers(q Period) bool { return p.Contains(q.Start) && p.Contains(q.End) }

// Next returns the period of the same length that follows p.
func (p Period) Next() Period {
	d := p.End.AddDays(1).Time()
	switch p.unit {
	case 'Q':
		return newPeriod(d.Year(), 'Q', int(d.Month()-1)/3+1, false)
	case 'H':
		return newPeriod(d.Year(), 'H', int(d.Month()-1)/6+1, false)
	case 'M':
		return newPeriod(d.Year(), 'M', int(d.Month()), false)
	}
	return newPeriod(d.Year(), 'Y', 1, p.fy)
}

func (p Period) String() string { return p.Name }
