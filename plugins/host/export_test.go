package host

import (
	"io"
	"log/slog"
)

// PluginOutput is the writer a plugin's stdout or stderr is logged
// through.
func PluginOutput(log *slog.Logger, name string) io.Writer {
	return &lineLogger{log: log, name: "plugin." + name}
}
