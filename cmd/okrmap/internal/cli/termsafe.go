package cli

import (
	"fmt"
	"io"
)

// safeWriter escapes control characters (C0 but newline and tab, DEL, and
// C1 in UTF-8) as \u00XX before they reach a terminal, so user text cannot
// move the cursor, set the window title or hide output. \u00XX is also what
// JSON means by them, so JSON written through it decodes the same.
type safeWriter struct {
	w      io.Writer
	lead   bool   // the last byte written was 0xC2, the lead byte of a C1 character
	before func() // if set, called before each write
}

func (s *safeWriter) Write(p []byte) (int, error) {
	if s.before != nil {
		s.before()
	}
	if !s.lead && plain(p) { // most output: write it as it is
		if _, err := s.w.Write(p); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	out := make([]byte, 0, len(p))
	for _, b := range p {
		switch {
		case s.lead && b >= 0x80 && b <= 0x9f:
			out = fmt.Appendf(out, `\u%04x`, b)
			s.lead = false
			continue
		case s.lead:
			out = append(out, 0xc2)
			s.lead = false
		}
		switch {
		case b == 0xc2:
			s.lead = true
		case b < 0x20 && b != '\n' && b != '\t', b == 0x7f:
			out = fmt.Appendf(out, `\u%04x`, b)
		default:
			out = append(out, b)
		}
	}
	if _, err := s.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes a lead byte held back at the end of the output.
func (s *safeWriter) Flush() error {
	if !s.lead {
		return nil
	}
	s.lead = false
	_, err := s.w.Write([]byte{0xc2})
	return err
}

// plain reports whether p has nothing safeWriter escapes: no control
// characters but newline and tab, and no 0xC2 byte (which may lead a C1
// character).
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
	t[0x7f], t[0xc2] = true, true
	return t
}()
