package cli

import (
	"bytes"
	"testing"
)

func TestSafeWriter(t *testing.T) {
	for _, c := range []struct {
		writes []string
		want   string
	}{
		{[]string{"plain text, tabs\tand\nnewlines; é ü"}, "plain text, tabs\tand\nnewlines; é ü"},
		{[]string{"red \x1b[31mtitle\x07"}, `red \u001b[31mtitle\u0007`},
		{[]string{"nbsp \xc2\xa0 ok"}, "nbsp \xc2\xa0 ok"},
		{[]string{"c1 \xc2", "\x85 next"}, `c1 \u0085 next`}, // split across writes
		{[]string{"del \x7f"}, `del \u007f`},
		{[]string{"invoice\u202egpj.exe"}, `invoice\u202egpj.exe`},
		{[]string{"a\u2066b\u2069c\u200fd\u061ce\u202a"}, `a\u2066b\u2069c\u200fd\u061ce\u202a`},
		{[]string{"split \xe2", "\x80", "\xae after"}, `split \u202e after`},
		{[]string{"kept: – ↑ … é ‐ ⁦ not"}, "kept: – ↑ … é ‐ \\u2066 not"},
		{[]string{"dash \xe2\x80\x94 and end \xe2"}, "dash \xe2\x80\x94 and end \xe2"},
		{[]string{"arabic \xd8\xa7 ok"}, "arabic \xd8\xa7 ok"},
	} {
		var buf bytes.Buffer
		w := &safeWriter{w: &buf}
		for _, s := range c.writes {
			if n, err := w.Write([]byte(s)); err != nil || n != len(s) {
				t.Fatalf("write %q: %d, %v", s, n, err)
			}
		}
		w.Flush()
		if buf.String() != c.want {
			t.Errorf("%q: wrote %q, want %q", c.writes, buf.String(), c.want)
		}
	}
}

// TestPlainBytes: plain refuses exactly the control characters but newline
// and tab, DEL, and the lead bytes 0xC2, 0xD8 and 0xE2.
func TestPlainBytes(t *testing.T) {
	for b := range 256 {
		want := !(b < 0x20 && b != '\n' && b != '\t' || b == 0x7f || b == 0xc2 || b == 0xd8 || b == 0xe2)
		if got := plain([]byte{'a', byte(b), 'z'}); got != want {
			t.Errorf("plain(%#x) = %v, want %v", b, got, want)
		}
	}
}
