package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/okrmap/okrmap/plugins/sdk/sdktest"
)

// TestHostilePacksUnderAMemoryLimit runs the hostile packs of the corpus
// through the real binary with its address space capped at 2 GiB: each is
// stopped by a rule limit and exits 3, never killed by the kernel or the
// runtime (which would exit 2 or by a signal).
func TestHostilePacksUnderAMemoryLimit(t *testing.T) {
	dir, bin := okrmapBinary(t)
	files, _ := filepath.Glob("../../examples/saas-b2b/*.yaml")
	cfg := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfg, []byte("rules: {max_steps: 100000}\n"), 0o644)
	for _, pack := range []string{"doubling-text.yaml", "doubling-message.yaml", "huge-repeat.yaml", "nested-loops.yaml"} {
		args := append([]string{"--config", cfg, "lint", "--fail-on", "never", "--rules", filepath.Join("internal/cli/testdata/hostile", pack)}, files...)
		cmd := exec.Command("sh", append([]string{"-c", `ulimit -v 2097152 && exec "$0" "$@"`, bin}, args...)...)
		cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+dir, "OKRMAP_CONFIG=", "GOMAXPROCS=2")
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 3 || !strings.Contains(string(out), "stopped by a limit") {
			t.Errorf("%s: %v\n%.1500s", pack, err, out)
		}
	}
}

// TestSignalStopsAnAuditInsideARule: SIGTERM during a rule that would run
// for hours stops the audit within moments, and nothing is stored.
func TestSignalStopsAnAuditInsideARule(t *testing.T) {
	dir, bin := okrmapBinary(t)
	db := filepath.Join(dir, "okrmap.db")
	env := append(os.Environ(), "XDG_CONFIG_HOME="+dir, "OKRMAP_CONFIG=")
	files, _ := filepath.Glob("../../examples/saas-b2b/*.yaml")
	apply := exec.Command(bin, append([]string{"--db", db, "apply"}, files...)...)
	apply.Env = env
	if out, err := apply.CombinedOutput(); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	audit := exec.Command(bin, "--db", db, "audit", "--rules", "internal/cli/testdata/hostile/nested-loops.yaml")
	audit.Env = env
	if err := audit.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond) // well inside the rule's loops
	start := time.Now()
	audit.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- audit.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second): // unbounded, it runs for hours
		audit.Process.Kill()
		t.Fatal("SIGTERM did not stop the audit")
	}
	t.Logf("stopped %s after SIGTERM", time.Since(start))
	history := exec.Command(bin, "--db", db, "audit", "history", "-o", "json")
	history.Env = env
	if out, err := history.CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "[]" {
		t.Errorf("a stopped audit stored a run: %v\n%s", err, out)
	}
}

// TestMemoryLimitStopsWithExit3: past memory_limit okrmap stops itself
// with exit 3 and says why, rather than being killed.
func TestMemoryLimitStopsWithExit3(t *testing.T) {
	dir, bin := okrmapBinary(t)
	cmd := exec.Command(bin, "--db", filepath.Join(dir, "okrmap.db"), "dev", "gen", "--kpis", "1000000")
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+dir, "OKRMAP_CONFIG=", "OKRMAP_MEMORY_LIMIT=100000000")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 || !strings.Contains(stderr.String(), "over its limit of 95 MiB (memory_limit)") {
		t.Errorf("exit %v\n%s", err, stderr.String())
	}
}

// okrmapBinary builds okrmap into a new directory, or skips with -short.
func okrmapBinary(t *testing.T) (dir, bin string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	dir = t.TempDir()
	return dir, sdktest.BuildTo(t, ".", filepath.Join(dir, "okrmap"))
}
