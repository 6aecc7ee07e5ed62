package sdk

import (
	"log/slog"
	"os"
	"strings"
)

// Log is the plugin's logger. What it logs reaches okrmap's log under
// logger=plugin.<name> at the level given, and okrmap's log.level decides
// what is shown (warn by default):
//
//	sdk.Log.Warn("min_win_rate is not set; using the default", "default", 0.2)
//
// It writes JSON in the form go-plugin reads from a plugin's standard
// error, which okrmap reads to the end before it stops the plugin.
var Log = slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: hclogAttr}))

// hclogAttr renames slog's time, level and message to the keys go-plugin
// parses.
func hclogAttr(groups []string, a slog.Attr) slog.Attr {
	if len(groups) > 0 {
		return a
	}
	switch a.Key {
	case slog.TimeKey:
		return slog.String("@timestamp", a.Value.Time().Format("2006-01-02T15:04:05.000000Z07:00"))
	case slog.LevelKey:
		level, _ := a.Value.Any().(slog.Level)
		return slog.String("@level", strings.ToLower(level.String()))
	case slog.MessageKey:
		return slog.String("@message", a.Value.String())
	}
	return a
}
