package cli

import (
	"fmt"
	"io"
	"unicode/utf8"
)

// safeWriter escapes control characters (C0 but newline and tab, DEL, and
// C1 in UTF-8) and the bidirectional controls (U+061C, U+200E, U+200F,
// U+202A-U+202E, U+2066-U+2069) as \uXXXX before they reach a terminal, so
// user text cannot move the cursor, set the window title, hide output or
// show it reordered. \uXXXX is also what JSON means by them, so JSON
// written through it decodes the same.
type safeWriter struct {
	w      io.Writer
	held   []byte // the start of a sequence that may be escaped, split across writes
	before func() // if set, called before each write
}

func (s *safeWriter) Write(p []byte) (int, error) {
	if s.before != nil {
		s.before()
	}
	if len(s.held) == 0 && plain(p) { // most output: write it as it is
		if _, err := s.w.Write(p); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	out := make([]byte, 0, len(p)+8)
	for _, b := range p {
		out = s.next(out, b)
	}
	if _, err := s.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// next appends b to out, escaped when it completes a sequence to escape,
// or holds it when it may start or continue one.
func (s *safeWriter) next(out []byte, b byte) []byte {
	if len(s.held) > 0 {
		seq := append(s.held, b)
		switch {
		case isEscaped(seq):
			r, _ := utf8.DecodeRune(seq)
			if len(seq) == 2 && seq[0] == 0xc2 {
				r = rune(b) // C1: the byte is the code point
			}
			s.held = s.held[:0]
			return fmt.Appendf(out, `\u%04x`, r)
		case len(seq) == 2 && seq[0] == 0xe2 && (b == 0x80 || b == 0x81):
			s.held = seq // U+200x or U+206x: one byte more decides
			return out
		}
		out = append(out, s.held...)
		s.held = s.held[:0]
	}
	switch {
	case b == 0xc2 || b == 0xd8 || b == 0xe2:
		s.held = append(s.held, b)
	case b < 0x20 && b != '\n' && b != '\t', b == 0x7f:
		out = fmt.Appendf(out, `\u%04x`, b)
	default:
		out = append(out, b)
	}
	return out
}

// isEscaped reports whether seq is a whole character safeWriter escapes
// beyond C0 and DEL: C1 or a bidirectional control.
func isEscaped(seq []byte) bool {
	switch len(seq) {
	case 2:
		return seq[0] == 0xc2 && seq[1] >= 0x80 && seq[1] <= 0x9f || seq[0] == 0xd8 && seq[1] == 0x9c
	case 3:
		c := seq[2]
		return seq[0] == 0xe2 && (seq[1] == 0x80 && (c == 0x8e || c == 0x8f || c >= 0xaa && c <= 0xae) ||
			seq[1] == 0x81 && c >= 0xa6 && c <= 0xa9)
	}
	return false
}

// Flush writes bytes held back at the end of the output.
func (s *safeWriter) Flush() error {
	if len(s.held) == 0 {
		return nil
	}
	_, err := s.w.Write(s.held)
	s.held = s.held[:0]
	return err
}

// plain reports whether p has nothing safeWriter escapes: no control
// characters but newline and tab, and no byte that may lead a C1 or a
// bidirectional control (0xC2, 0xD8, 0xE2).
func plain(p []byte) bool {
	for _, b := range p {
		if escaped[b] {
			return false
		}
	}
	return true
}

// escaped marks the bytes plain refuses; a table is read twice as fast as
// the comparisons, which a 140 MB JSON report felt.
var escaped = func() (t [256]bool) {
	for b := range 0x20 {
		t[b] = b != '\n' && b != '\t'
	}
	t[0x7f], t[0xc2], t[0xd8], t[0xe2] = true, true, true, true
	return t
}()
