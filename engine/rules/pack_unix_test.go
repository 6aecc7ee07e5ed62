//go:build unix

package rules

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A FIFO is refused at once rather than waited on.
func TestPackFromFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo.yaml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("cannot make a FIFO here: %v", err)
	}
	if _, err := LoadPack(fifo); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a FIFO: %v", err)
	}
}
