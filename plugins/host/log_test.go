package host

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestLineLogger(t *testing.T) {
	var buf bytes.Buffer
	l := &lineLogger{log: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), name: "plugin.x"}
	// Lines split across writes, with and without level prefixes.
	for _, w := range []string{"[WARN] thresh", "old unset\n[ERROR] boom\r\nplain ", "line\n[DEBUG] detail\n", "\n", "no newline"} {
		l.Write([]byte(w))
	}
	l.flush()
	want := []string{
		`level=WARN msg="threshold unset" logger=plugin.x`,
		`level=ERROR msg=boom logger=plugin.x`,
		`level=INFO msg="plain line" logger=plugin.x`,
		`level=DEBUG msg=detail logger=plugin.x`,
		`level=INFO msg="no newline" logger=plugin.x`,
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != len(want) {
		t.Fatalf("logged %d lines, want %d:\n%s", len(lines), len(want), buf.String())
	}
	for i, w := range want {
		if !strings.Contains(lines[i], w) {
			t.Errorf("line %d: %q, want it to contain %q", i+1, lines[i], w)
		}
	}
	// Without a logger, output is dropped.
	(&lineLogger{}).Write([]byte("dropped\n"))
}
