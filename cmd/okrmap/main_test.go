package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/okrmap/okrmap/plugins/sdk/sdktest"
)

// TestBinary builds okrmap and runs the README's main job on the shipped
// example: apply twice, tree, audit.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	dir := t.TempDir()
	bin := sdktest.BuildTo(t, ".", filepath.Join(dir, "okrmap"))
	files, _ := filepath.Glob("../../examples/saas-b2b/*.yaml")
	run := func(args ...string) (string, int) {
		cmd := exec.Command(bin, append([]string{"--db", filepath.Join(dir, "demo.db")}, args...)...)
		cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+dir, "OKRMAP_CONFIG=")
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), code
	}
	if out, code := run(append([]string{"apply"}, files...)...); code != 0 || !strings.Contains(out, "kpi                         32") {
		t.Fatalf("apply: exit %d\n%s", code, out)
	}
	if out, code := run(append([]string{"apply"}, files...)...); code != 0 || !strings.Contains(out, "No changes") {
		t.Fatalf("second apply: exit %d\n%s", code, out)
	}
	if out, code := run("tree"); code != 0 || !strings.Contains(out, "P&L line: revenue") {
		t.Fatalf("tree: exit %d\n%s", code, out)
	}
	if out, code := run("audit", "--fail-on", "never"); code != 0 || !strings.Contains(out, "Audit run 1") {
		t.Fatalf("audit: exit %d\n%s", code, out)
	}
	if out, code := run("audit"); code != 1 || !strings.Contains(out, "okrmap: audit run 2 has findings at or above --fail-on error") {
		t.Fatalf("audit with findings: exit %d, want 1\n%s", code, out)
	}
	if out, code := run("get", "widgets"); code != 2 || !strings.Contains(out, "okrmap: unknown kind") {
		t.Fatalf("usage error: exit %d\n%s", code, out)
	}
}
