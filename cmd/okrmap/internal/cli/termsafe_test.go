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
// and tab, DEL, and 0xC2.
func TestPlainBytes(t *testing.T) {
	for b := range 256 {
		want := !(b < 0x20 && b != '\n' && b != '\t' || b == 0x7f || b == 0xc2)
		if got := plain([]byte{'a', byte(b), 'z'}); got != want {
			t.Errorf("plain(%#x) = %v, want %v", b, got, want)
		}
	}
}
