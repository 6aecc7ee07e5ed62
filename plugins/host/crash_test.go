package host

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hashicorp/go-hclog"
)

// A plugin chooses its panic message; the failure reports a bounded line
// and the exit status.
func TestCrashSinkBoundsThePanicLine(t *testing.T) {
	c := &crashSink{}
	c.Accept("plugin.x", hclog.Debug, "panic: "+strings.Repeat("é", 40000))
	c.Accept("plugin.x", hclog.Error, "panic: a second one")
	c.Accept("plugin.x", hclog.Error, "plugin process exited", "plugin", "x", "error", "exit status 2")
	got := c.explain()
	if !strings.HasPrefix(got, "exit status 2: panic: éé") || !strings.HasSuffix(got, " ...") || len(got) > panicCap+40 || strings.Contains(got, "second") {
		t.Errorf("explain() = %.80q... (%d bytes)", got, len(got))
	}
	if !utf8.ValidString(got) {
		t.Error("the cut split a character")
	}
}
