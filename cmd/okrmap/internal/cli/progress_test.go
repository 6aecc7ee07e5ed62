package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The spinner names each phase and clears its line when stopped; after a
// stop it shows nothing more.
func TestProgressShowsPhasesAndClears(t *testing.T) {
	var buf bytes.Buffer
	p := &progress{w: &buf}
	p.phase("apply", "load")
	p.phase("apply", "validate and store")
	p.stop()
	out := buf.String()
	for _, want := range []string{"apply: load", "apply: validate and store"} {
		if !strings.Contains(out, want) {
			t.Errorf("progress output lacks %q: %q", want, out)
		}
	}
	last := out[strings.LastIndexByte(strings.TrimSuffix(out, "\r"), '\r'):]
	if strings.Trim(last, "\r ") != "" {
		t.Errorf("the line was not cleared: ends with %q", last)
	}
	n := buf.Len()
	p.phase("apply", "again")
	if buf.Len() != n {
		t.Errorf("a stopped progress drew again: %q", buf.String()[n:])
	}
}

// Off a terminal there is no progress: the output holds no spinner.
func TestNoProgressOffATerminal(t *testing.T) {
	if newProgress(&bytes.Buffer{}) != nil {
		t.Fatal("progress on a buffer")
	}
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	files, _ := filepath.Glob("../../../../examples/saas-b2b/*.yaml")
	code := Main(context.Background(), append([]string{"--db", filepath.Join(dir, "x.db"), "apply"}, files...), nil, &stdout, &stderr)
	if code != 0 || strings.ContainsAny(stdout.String()+stderr.String(), "\r") {
		t.Fatalf("exit %d, output with carriage returns:\n%q\n%q", code, stdout.String(), stderr.String())
	}
}

// At debug level, long commands log each phase's time.
func TestDebugLogsPhases(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "x.db")
	files, _ := filepath.Glob("../../../../examples/saas-b2b/*.yaml")
	for _, c := range []struct {
		args   []string
		phases []string
	}{
		{append([]string{"apply"}, files...), []string{"load", `"validate and store"`}},
		{append([]string{"lint", "--fail-on", "never"}, files...), []string{"load", "validate", "resolve", "evaluate", "locate"}},
		{[]string{"audit", "--fail-on", "never"}, []string{"load", "resolve", "evaluate", "score", `"previous run"`, "store", "compare", "report"}},
	} {
		var stdout, stderr bytes.Buffer
		if code := Main(context.Background(), append([]string{"--db", db, "--log-level", "debug"}, c.args...), nil, &stdout, &stderr); code != 0 {
			t.Fatalf("%s: exit %d\n%s", c.args[0], code, stderr.String())
		}
		for _, ph := range c.phases {
			if want := "phase=" + ph + " took="; !strings.Contains(stderr.String(), want) {
				t.Errorf("%s: no %q in\n%s", c.args[0], want, stderr.String())
			}
		}
		if !strings.Contains(stderr.String(), c.args[0]+` done" took=`) {
			t.Errorf("%s: no total time in\n%s", c.args[0], stderr.String())
		}
	}
}

// --cpuprofile and --memprofile write profiles go tool pprof reads
// (gzipped protocol buffers); a path that cannot be written is refused.
func TestProfiles(t *testing.T) {
	dir := t.TempDir()
	cpu, mem := filepath.Join(dir, "cpu.out"), filepath.Join(dir, "mem.out")
	files, _ := filepath.Glob("../../../../examples/saas-b2b/*.yaml")
	var stdout, stderr bytes.Buffer
	args := append([]string{"--cpuprofile", cpu, "--memprofile", mem, "validate"}, files...)
	if code := Main(context.Background(), args, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	for _, f := range []string{cpu, mem} {
		b, err := os.ReadFile(f)
		if err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
			t.Errorf("%s: not a profile (%d bytes, %v)", f, len(b), err)
		}
	}
	stderr.Reset()
	args = append([]string{"--memprofile", filepath.Join(dir, "missing", "mem.out"), "validate"}, files...)
	if code := Main(context.Background(), args, nil, &stdout, &stderr); code != ExitInput || !strings.Contains(stderr.String(), "--memprofile") {
		t.Errorf("unwritable --memprofile: exit %d\n%s", code, stderr.String())
	}
}
