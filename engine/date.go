package engine

import (
	"fmt"
	"time"
)

// DateLayout is how dates are written in plan files, the database and output.
const DateLayout = "2006-01-02"

// Date is a calendar day. The zero Date means "not set".
type Date struct{ t time.Time }

// NewDate returns the Date for year, month and day.
func NewDate(year int, month time.Month, day int) Date {
	return Date{time.Date(year, month, day, 0, 0, 0, 0, time.UTC)}
}

// DateOf returns the calendar day of t in t's location.
func DateOf(t time.Time) Date { return NewDate(t.Date()) }

// ParseDate parses a YYYY-MM-DD date.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(DateLayout, s)
	if err != nil {
		return Date{}, fmt.Errorf("%q is not a date; write it as YYYY-MM-DD", s)
	}
	return Date{t}, nil
}

// IsZero reports whether d is unset.
func (d Date) IsZero() bool { return d.t.IsZero() }

// Time returns midnight UTC at the start of d.
func (d Date) Time() time.Time { return d.t }

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.t.Before(e.t) }

// After reports whether d is after e.
func (d Date) After(e Date) bool { return d.t.After(e.t) }

// AddDays returns d moved by n days.
func (d Date) AddDays(n int) Date { return Date{d.t.AddDate(0, 0, n)} }

func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.t.Format(DateLayout)
}

// MarshalText writes d as YYYY-MM-DD.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads a YYYY-MM-DD date; empty text is the zero Date.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// earliestObserved is the earliest time a check-in or measurement may say
// it was observed.
var earliestObserved = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)

// CheckObserved refuses a time given for a check-in or measurement that
// cannot be when a value was observed: before 1900, such as the
// 0001-01-01T00:00:00Z that .NET's DateTime.MinValue exports for "none".
// Such a time is never replaced by another (the zero time.Time means
// "now" only when no time was given at all).
func CheckObserved(t time.Time) error {
	if t.Before(earliestObserved) {
		return Errorf(EINVALID, "%s is before 1900: a placeholder for no time (such as .NET's DateTime.MinValue), not when a value was observed; give the real time, or leave the time out for now",
			t.UTC().Format(time.RFC3339))
	}
	return nil
}
