// Package wording finds words and phrases in the text of a plan (names,
// titles), as rules and kind inference read them: whole words matched by
// prefix, ignoring case.
package wording

import (
	"strings"
	"sync"
)

// Mentions reports whether text contains one of phrases: each phrase's
// words must appear consecutively in text as word prefixes, ignoring case
// ("open rate" matches "email open rates").
func Mentions(text string, phrases ...string) bool {
	_, ok := Which(text, phrases...)
	return ok
}

// Which returns the first of phrases that text mentions (see Mentions).
func Which(text string, phrases ...string) (string, bool) {
	return Find(text, phrases, func(p string) (string, bool) { return p, true })
}

// Find is Which of the phrases str finds in list; rules pass lists as
// []any, and converting them would allocate on every call.
func Find[E any](text string, list []E, str func(E) (string, bool)) (string, bool) {
	if isASCII(text) {
		return findASCII(text, list, str)
	}
	return findWords(Words(text), list, str)
}

// findWords is Find of a text split into lowercase words.
func findWords[E any](tw []string, list []E, str func(E) (string, bool)) (string, bool) {
	return findIn(len(tw), func(i int, w string) bool { return strings.HasPrefix(tw[i], w) }, list, str)
}

// findASCII is Find of an ASCII text, read in place: rules call mentions
// on every entity, and splitting each text into words allocated.
func findASCII[E any](text string, list []E, str func(E) (string, bool)) (string, bool) {
	var spans [32][2]int
	tw := spans[:0] // where each word of text starts and ends
	for i := 0; i < len(text); {
		for i < len(text) && !isWordByte(text[i]) {
			i++
		}
		start := i
		for i < len(text) && isWordByte(text[i]) {
			i++
		}
		if i > start {
			tw = append(tw, [2]int{start, i})
		}
	}
	return findIn(len(tw), func(i int, w string) bool { return hasLowerPrefix(text[tw[i][0]:tw[i][1]], w) }, list, str)
}

// findIn is Find of a text of n words; starts reports whether word i,
// lowercased, starts with w.
func findIn[E any](n int, starts func(i int, w string) bool, list []E, str func(E) (string, bool)) (string, bool) {
	for _, e := range list {
		p, ok := str(e)
		if !ok {
			continue
		}
		pw := phraseWords(p)
		for i := 0; len(pw) > 0 && i+len(pw) <= n; i++ {
			match := true
			for j, w := range pw {
				if !starts(i+j, w) {
					match = false
					break
				}
			}
			if match {
				return p, true
			}
		}
	}
	return "", false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] > 127 {
			return false
		}
	}
	return true
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// hasLowerPrefix reports whether the ASCII word, lowercased, starts with
// prefix.
func hasLowerPrefix(word, prefix string) bool {
	if len(word) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		c := word[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}

// phraseCache holds tokenised phrases: rules pass the same constant word
// lists for every entity.
var phraseCache sync.Map // string -> []string

func phraseWords(p string) []string {
	if w, ok := phraseCache.Load(p); ok {
		return w.([]string)
	}
	w := Words(p)
	phraseCache.Store(p, w)
	return w
}

// Words splits s into lowercase words: runs of letters and digits (any
// non-ASCII character counts as a letter).
func Words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127)
	})
}

// WhichWord returns the first of phrases whose words appear consecutively
// in text as whole words (a plural s allowed), ignoring case: "cac"
// matches "CAC" and "CACs" but not "cache".
func WhichWord(text string, phrases ...string) (string, bool) {
	tw := Words(text)
	return findIn(len(tw), func(i int, w string) bool { return tw[i] == w || tw[i] == w+"s" }, phrases,
		func(p string) (string, bool) { return p, true })
}
