package engine

import (
	"math"
	"strconv"
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

var printer = message.NewPrinter(language.English)

// Number formats x for people: thousands separators and no more decimals
// than the unit deserves (none for currencies and counts from 100 up, one
// for percentages, two otherwise), trailing zeros dropped. Files and APIs
// write numbers as they are; this is for text and tables.
func Number(x float64, unit string) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	decimals := 2
	switch u := strings.ToLower(unit); {
	case u == "percent" || u == "%":
		decimals = 1
	case math.Abs(x) >= 100 && (len(u) == 3 && strings.ToUpper(u) == unit || u == "count" || u == "days"):
		decimals = 0 // currencies (USD, EUR ...), counts, days
	case math.Abs(x) >= 10000:
		decimals = 0
	}
	s := printer.Sprintf("%.*f", decimals, x)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// MaxMagnitude bounds every number a plan or a value may hold: beyond it,
// differences and ratios (progress, pace, chart scales) could overflow,
// and no business quantity is that large.
const MaxMagnitude = 1e18

// CheckMagnitude refuses x unless it is finite and within ±MaxMagnitude.
func CheckMagnitude(x float64) error {
	if math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) > MaxMagnitude {
		return Errorf(EINVALID, "%g is not a finite number within ±1e18 (a quintillion); okrmap keeps numbers it can score and chart", x)
	}
	return nil
}

// Percent writes a 0-1 share as a whole percentage, rounded half away
// from zero: every report, page and finding rounds shares this way, so a
// page and a finding never disagree by one point.
func Percent(x float64) string {
	return strconv.Itoa(int(math.Round(x*100))) + "%"
}
