// Package testenv finds the outside tools some tests need (a browser, a
// schema file) and skips those tests without them, except in CI, where
// .ci/run installs them and their absence is a failure.
package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// SkipOutsideCI skips t for why; in CI (CI set) it fails t instead.
func SkipOutsideCI(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal(why)
	}
	t.Skip(why)
}

// Chromium returns the path of a Chromium or Chrome binary on PATH, or
// skips t (see SkipOutsideCI) saying what it is for.
func Chromium(t testing.TB, what string) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	SkipOutsideCI(t, "no chromium on PATH: apt-get install chromium (.ci/run does) to "+what)
	return ""
}
