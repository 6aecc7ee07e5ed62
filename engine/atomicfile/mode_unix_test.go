//go:build unix

package atomicfile

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// A new file gets its mode less the umask; a private file is not widened.
func TestModes(t *testing.T) {
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	path := filepath.Join(t.TempDir(), "report.html")
	if err := WriteBytes(path, 0o666, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("new file under umask 077: %v, want 0600", st.Mode().Perm())
	}
}

// A file that is not a regular one (here a named pipe; /dev/null in use)
// is written to, never replaced: --out-file /dev/null must leave /dev/null
// a device.
func TestWriteToPipeKeepsIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan string)
	go func() {
		b, _ := os.ReadFile(path)
		got <- string(b)
	}()
	if err := WriteBytes(path, 0o644, []byte("through the pipe")); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Lstat(path); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("the pipe was replaced: %v %v", st.Mode(), err)
	}
	if s := <-got; s != "through the pipe" {
		t.Errorf("read %q from the pipe", s)
	}
	if err := WriteBytes(t.TempDir(), 0o644, []byte("x")); err == nil {
		t.Error("a directory was written as a file")
	}
}
