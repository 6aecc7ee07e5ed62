package engine

import (
	"regexp"
	"strings"
	"testing"
)

var keyPattern = regexp.MustCompile(KeyPattern)

func FuzzValidKey(f *testing.F) {
	for _, s := range []string{"", "a", "kpi-1", "-a", "_a", "a_b-c", "A", "é", "a b", "a\n", strings.Repeat("a", 128), strings.Repeat("a", 129)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		match := keyPattern.MatchString(s)
		if got := MatchesKeyPattern(s); got != match {
			t.Errorf("MatchesKeyPattern(%q) = %v, want %v", s, got, match)
		}
		if got, want := ValidKey(s), len(s) <= 128 && match; got != want {
			t.Errorf("ValidKey(%q) = %v, want %v", s, got, want)
		}
	})
}
