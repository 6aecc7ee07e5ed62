package host_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/okrmap/okrmap/plugins/host"
)

// TestSwappedBinaryNeverRuns swaps the pinned binary for another file in a
// loop while plugins start: every start runs the verified bytes or is
// refused, never the swapped-in file.
func TestSwappedBinaryNeverRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a plugin binary")
	}
	good := build(t, "github.com/okrmap/okrmap/plugins/host/testdata/broken")
	dir := t.TempDir()
	marker := filepath.Join(dir, "evil-ran")
	evil := filepath.Join(dir, "evil")
	os.WriteFile(evil, []byte("#!/bin/sh\ntouch "+marker+"\nexec "+good+"\n"), 0o755)
	path := filepath.Join(dir, "okrmap-plugin-broken")
	copyFile(t, good, path)
	s := spec(t, path)
	s.Timeout = 10 * time.Second
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // rename the good and the evil file into place, in turn
		defer wg.Done()
		goodCopy, evilCopy := filepath.Join(dir, "g"), filepath.Join(dir, "e")
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			src, tmp := good, goodCopy
			if i%2 == 1 {
				src, tmp = evil, evilCopy
			}
			copyFile(t, src, tmp)
			os.Rename(tmp, path)
			time.Sleep(time.Millisecond)
		}
	}()
	var ran, refused atomic.Int32
	for range 30 {
		if _, err := host.Describe(context.Background(), s); err == nil {
			ran.Add(1)
		} else if strings.Contains(err.Error(), "changed since it was pinned") {
			refused.Add(1)
		} else {
			t.Errorf("a start failed otherwise: %v", err)
		}
	}
	close(stop)
	wg.Wait()
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("a swapped-in file ran")
	}
	if ran.Load() == 0 || refused.Load() == 0 {
		t.Errorf("%d runs and %d refusals in 30 starts: the swap loop did not race the starts", ran.Load(), refused.Load())
	}
}

func copyFile(t *testing.T, src, dst string) {
	b, err := os.ReadFile(src)
	if err != nil {
		t.Error(err)
		return
	}
	os.WriteFile(dst, b, 0o755)
	os.Chmod(dst, 0o755)
}

// TestWritableByOthersIsRefused: plugin directories, binaries and lock
// files that others may write are refused, saying how to fix them.
func TestWritableByOthersIsRefused(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "okrmap-plugin-x")
	os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755)
	if _, err := host.Discover([]string{dir}); err != nil {
		t.Fatalf("a private directory: %v", err)
	}
	os.Chmod(dir, 0o777)
	if _, err := host.Discover([]string{dir}); err == nil || !strings.Contains(err.Error(), "is writable by everyone (mode 0777)") || !strings.Contains(err.Error(), "chmod go-w "+dir) {
		t.Errorf("a world-writable directory: %v", err)
	}
	os.Chmod(dir, 0o700)
	os.Chmod(bin, 0o775)
	if _, err := host.Discover([]string{dir}); err == nil || !strings.Contains(err.Error(), "plugin binary "+bin+" is writable by its group") {
		t.Errorf("a group-writable binary: %v", err)
	}
	sum, _ := host.FileSHA256(bin)
	if _, err := host.Describe(context.Background(), host.Spec{Name: "x", Path: bin, SHA256: sum}); err == nil || !strings.Contains(err.Error(), "writable by its group") {
		t.Errorf("starting a group-writable binary: %v", err)
	}
	lock := filepath.Join(dir, "plugins.lock")
	os.WriteFile(lock, []byte("plugins: []\n"), 0o666)
	os.Chmod(lock, 0o666)
	if _, err := host.ReadLock(lock); err == nil || !strings.Contains(err.Error(), "plugin lock file") {
		t.Errorf("a world-writable lock file: %v", err)
	}
}

// TestLockEntriesStayInPluginDirs: a lock entry outside plugins.dirs, or a
// symlink out of them, is refused; relative entries are read from the lock
// file's directory; a symlink inside them is pinned as its target.
func TestLockEntriesStayInPluginDirs(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	lockPath := filepath.Join(dir, "plugins.lock")
	sum := strings.Repeat("a", 64)
	os.WriteFile(lockPath, []byte("plugins:\n  - {name: sh, path: /bin/sh, sha256: "+sum+"}\n"), 0o600)
	l, err := host.ReadLock(lockPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Contain([]string{dir}); err == nil || !strings.Contains(err.Error(), "plugin sh is pinned at /bin/sh, outside plugins.dirs") {
		t.Errorf("/bin/sh: %v", err)
	}
	os.WriteFile(lockPath, []byte("plugins:\n  - {name: x, path: okrmap-plugin-x, sha256: "+sum+"}\n"), 0o600)
	if l, err = host.ReadLock(lockPath); err != nil || l.Plugins[0].Path != filepath.Join(dir, "okrmap-plugin-x") || l.Contain([]string{dir}) != nil {
		t.Errorf("a relative entry: %+v %v", l, err)
	}
	target := filepath.Join(dir, "real-binary")
	os.WriteFile(target, []byte("#!/bin/sh\n"), 0o755)
	os.Symlink(target, filepath.Join(dir, "okrmap-plugin-linked"))
	if got, err := host.Discover([]string{dir}); err != nil || len(got) != 1 || got[0] != target {
		t.Errorf("a symlink inside: %v %v", got, err)
	}
	outside := filepath.Join(other, "binary")
	os.WriteFile(outside, []byte("#!/bin/sh\n"), 0o755)
	os.Symlink(outside, filepath.Join(dir, "okrmap-plugin-escape"))
	if _, err := host.Discover([]string{dir}); err == nil || !strings.Contains(err.Error(), "outside plugins.dirs") {
		t.Errorf("a symlink out: %v", err)
	}
}

// TestPluginChildrenAreKilled: what a plugin starts dies with it.
func TestPluginChildrenAreKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a plugin binary")
	}
	bin := build(t, "github.com/okrmap/okrmap/plugins/host/testdata/broken")
	pidfile := filepath.Join(t.TempDir(), "child.pid")
	t.Setenv("OKRMAP_TEST_FAULT", "child")
	t.Setenv("OKRMAP_TEST_CHILD_PIDFILE", pidfile)
	if _, err := host.Describe(context.Background(), spec(t, bin)); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(pidfile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(string(b))
	deadline := time.Now().Add(5 * time.Second)
	for alive(pid) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if alive(pid) {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Fatalf("the plugin's child %d outlived it", pid)
	}
}

// alive reports whether pid runs (a zombie does not count).
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	return err == nil && !strings.Contains(string(b), ") Z ")
}

// TestLongLinesAreCut: output without newlines is logged in lines cut at
// 64 KiB, and the next line is whole.
func TestLongLinesAreCut(t *testing.T) {
	var buf bytes.Buffer
	w := host.PluginOutput(slog.New(slog.NewTextHandler(&buf, nil)), "noisy")
	chunk := bytes.Repeat([]byte("x"), 4096)
	for range 256 { // 1 MiB without a newline
		w.Write(chunk)
	}
	io.WriteString(w, "\nnext line\n")
	out := buf.String()
	if strings.Count(out, "\n") != 2 || !strings.Contains(out, "(line cut at 64 KiB)") || !strings.Contains(out, "next line") || len(out) > 70<<10 {
		t.Errorf("%d bytes logged in %d lines", len(out), strings.Count(out, "\n"))
	}
}

// BenchmarkOutputWithoutNewlines logs 16 MiB of plugin output without a
// newline, written in 4 KiB pieces: linear, where it used to be quadratic.
func BenchmarkOutputWithoutNewlines(b *testing.B) {
	chunk := bytes.Repeat([]byte("x"), 4096)
	log := slog.New(slog.DiscardHandler)
	for b.Loop() {
		w := host.PluginOutput(log, "noisy")
		for range 4096 {
			w.Write(chunk)
		}
	}
}
