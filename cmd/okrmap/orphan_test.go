package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/okrmap/okrmap/plugins/sdk/sdktest"
)

func waitFor(cond func() bool, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return cond()
}

// TestNoOrphanPlugins interrupts, terminates and kills okrmap while a plugin
// hangs in its check or before its handshake: no plugin process may outlive
// okrmap either way.
func TestNoOrphanPlugins(t *testing.T) {
	if testing.Short() {
		t.Skip("builds okrmap and a plugin")
	}
	if _, err := os.Stat("/proc/self/exe"); err != nil {
		t.Skip("needs /proc to find plugin processes")
	}
	dir := t.TempDir()
	okrmap := filepath.Join(dir, "okrmap")
	plugin := filepath.Join(dir, "plugins", "okrmap-plugin-broken")
	for _, b := range [][2]string{{okrmap, "."}, {plugin, "github.com/okrmap/okrmap/plugins/host/testdata/broken"}} {
		sdktest.BuildTo(t, b[1], b[0])
	}
	// Plugins see only the variables the config names: the fault is one.
	config := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(config, []byte("plugins:\n  env: {broken: [OKRMAP_TEST_FAULT]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "XDG_CONFIG_HOME="+dir, "OKRMAP_CONFIG="+config, "OKRMAP_DB="+filepath.Join(dir, "o.db"),
		"OKRMAP_PLUGINS_DIRS="+filepath.Dir(plugin), "OKRMAP_PLUGINS_TIMEOUT=120s")
	cmd := func(args ...string) *exec.Cmd {
		c := exec.Command(okrmap, args...)
		c.Env = env
		return c
	}
	files, _ := filepath.Glob("../../examples/saas-b2b/*.yaml")
	if out, err := cmd(append([]string{"apply"}, files...)...).CombinedOutput(); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	if out, err := cmd("plugins", "lock").CombinedOutput(); err != nil {
		t.Fatalf("plugins lock: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		fault string
		sig   syscall.Signal
	}{
		{"hang", syscall.SIGINT}, {"hang", syscall.SIGTERM}, {"hang", syscall.SIGKILL},
		// Killed before the plugin reached sdk.Serve and its own watch.
		{"hang-at-start", syscall.SIGKILL},
	} {
		sig := tc.sig
		t.Run(tc.fault+"/"+sig.String(), func(t *testing.T) {
			audit := cmd("audit")
			audit.Env = append(audit.Env, "OKRMAP_TEST_FAULT="+tc.fault)
			if err := audit.Start(); err != nil {
				t.Fatal(err)
			}
			if !waitFor(func() bool { return sdktest.Processes(plugin) > 0 }, 15*time.Second) {
				audit.Process.Kill()
				t.Fatal("the plugin never started")
			}
			audit.Process.Signal(sig)
			exited := make(chan error, 1)
			go func() { exited <- audit.Wait() }()
			select {
			case <-exited:
			case <-time.After(15 * time.Second):
				audit.Process.Kill()
				t.Fatalf("okrmap did not exit on %s", sig)
			}
			if !waitFor(func() bool { return sdktest.Processes(plugin) == 0 }, 10*time.Second) {
				t.Errorf("a plugin process outlived okrmap after %s", sig)
			}
		})
	}
}
