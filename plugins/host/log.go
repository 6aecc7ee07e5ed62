package host

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"

	"github.com/hashicorp/go-hclog"
)

// pluginLogger passes what go-plugin logs about a plugin to log: its start
// and exit, what the plugin logs through sdk.Log, and anything else on its
// standard error (a panic at error, plain lines at debug).
func pluginLogger(name string, log *slog.Logger, crash *crashSink) hclog.Logger {
	l := hclog.NewInterceptLogger(&hclog.LoggerOptions{Name: name, Output: io.Discard, Level: hclog.Trace})
	if log != nil {
		l.RegisterSink(slogSink{log, name})
	}
	l.RegisterSink(crash)
	return l
}

// panicCap bounds the panic line a plugin failure reports.
const panicCap = 1 << 10

// crashSink keeps what explains a plugin's death: the first line of a
// panic or fatal error on its standard error, and its exit status.
type crashSink struct {
	mu          sync.Mutex
	panic, exit string
}

func (c *crashSink) Accept(_ string, _ hclog.Level, msg string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.panic == "" && (strings.HasPrefix(msg, "panic: ") || strings.HasPrefix(msg, "fatal error: ")):
		if len(msg) > panicCap { // the plugin chooses the message; a finding stays readable
			msg = strings.ToValidUTF8(msg[:panicCap], "") + " ..."
		}
		c.panic = msg
	case msg == "plugin process exited":
		for i := 0; i+1 < len(args); i += 2 {
			if args[i] == "error" {
				c.exit, _ = args[i+1].(string)
			}
		}
	}
}

// explain returns why the plugin died ("exit status 2: panic: ..."), or ""
// when it left no panic line or exit status.
func (c *crashSink) explain() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.exit != "" && c.panic != "":
		return c.exit + ": " + c.panic
	case c.panic != "":
		return c.panic
	}
	return c.exit
}

// slogSink forwards hclog entries to a slog.Logger, which filters by level,
// under one name for everything from the plugin.
type slogSink struct {
	log  *slog.Logger
	name string
}

func (s slogSink) Accept(_ string, level hclog.Level, msg string, args ...any) {
	lv := slog.LevelDebug
	switch level {
	case hclog.Info:
		lv = slog.LevelInfo
	case hclog.Warn:
		lv = slog.LevelWarn
	case hclog.Error:
		lv = slog.LevelError
	}
	// go-plugin adds the plugin's own timestamp; okrmap's log has its own.
	if n := len(args); n >= 2 && args[n-2] == "timestamp" {
		args = args[:n-2]
	}
	logAt(s.log, lv, s.name, msg, args...)
}

func logAt(log *slog.Logger, lv slog.Level, name, msg string, args ...any) {
	if log != nil && log.Enabled(context.Background(), lv) {
		log.Log(context.Background(), lv, msg, append([]any{"logger", name}, args...)...)
	}
}

// lineLogger logs what a plugin prints to os.Stdout or os.Stderr once
// served, a line at a time: a line starting [DEBUG], [INFO], [WARN] or
// [ERROR] at that level, others at info. go-plugin forwards these
// asynchronously, so the last lines before the plugin stops can be lost;
// sdk.Log has no such gap.
type lineLogger struct {
	log  *slog.Logger
	name string
	mu   sync.Mutex
	buf  []byte
	cut  bool // the current line passed lineCap; the rest of it is dropped
}

var linePrefixes = []struct {
	prefix string
	level  slog.Level
}{{"[TRACE]", slog.LevelDebug}, {"[DEBUG]", slog.LevelDebug}, {"[INFO]", slog.LevelInfo}, {"[WARN]", slog.LevelWarn}, {"[ERROR]", slog.LevelError}}

// Write logs each complete line. Each byte is scanned once, and a line
// longer than lineCap is logged cut, so output without newlines costs
// linear time and bounded memory.
func (l *lineLogger) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		chunk := p
		if i >= 0 {
			chunk = p[:i]
		}
		if !l.cut {
			room := lineCap - len(l.buf)
			if len(chunk) > room {
				l.buf = append(l.buf, chunk[:room]...)
				l.line(string(l.buf) + " ... (line cut at 64 KiB)")
				l.buf, l.cut = l.buf[:0], true
			} else {
				l.buf = append(l.buf, chunk...)
			}
		}
		if i < 0 {
			break
		}
		if !l.cut {
			l.line(string(l.buf))
		}
		l.buf, l.cut = l.buf[:0], false
		p = p[i+1:]
	}
	return n, nil
}

// flush logs a last line that has no newline.
func (l *lineLogger) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf) > 0 && !l.cut {
		l.line(string(l.buf))
	}
	l.buf, l.cut = nil, false
}

func (l *lineLogger) line(s string) {
	s = strings.TrimRight(s, "\r")
	lv := slog.LevelInfo
	for _, p := range linePrefixes {
		if rest, ok := strings.CutPrefix(s, p.prefix); ok {
			s, lv = strings.TrimSpace(rest), p.level
			break
		}
	}
	if s != "" {
		logAt(l.log, lv, l.name, s)
	}
}
