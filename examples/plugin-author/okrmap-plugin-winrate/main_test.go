package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/okrmap/okrmap/plugins/sdk/sdktest"
)

// fixture is the shipped SaaS plan with its measurements: win rate 19.5%.
func fixture(t *testing.T) *sdktest.Fixture {
	files, _ := filepath.Glob("../../saas-b2b/*.yaml")
	return sdktest.Load(t, "2026-11-20", "../../saas-b2b/measurements.csv", files...)
}

// TestFalling: a win rate that fell at each of its last two monthly
// measurements, or is past its critical threshold, is falling.
func TestFalling(t *testing.T) {
	files, _ := filepath.Glob("../../saas-b2b/*.yaml")
	fs := sdktest.Load(t, "2026-11-20", "testdata/falling.csv", files...).Check(t, &winRate{}, nil)
	if len(fs) != 2 || fs[1].Rule != "winrate-falling" ||
		fs[1].Message != "win rate win-rate fell at each of its last 2 measurements: 21% on 2026-09-30, 19.5% on 2026-10-31, 18.1% on 2026-11-17" {
		t.Fatalf("findings %+v, want winrate-low and winrate-falling on win-rate", fs)
	}
	fs = sdktest.Load(t, "2026-11-20", "testdata/thresholds.csv", "testdata/thresholds.yaml").Check(t, &winRate{}, nil)
	if len(fs) != 1 || fs[0].Rule != "winrate-falling" || !strings.Contains(fs[0].Message, "past its critical threshold of 21%") {
		t.Fatalf("findings %+v, want winrate-falling past the critical threshold", fs)
	}
}

func TestInProcess(t *testing.T) {
	fs := fixture(t).Check(t, &winRate{}, nil)
	if len(fs) != 1 || fs[0].Rule != "winrate-low" || fs[0].Entity != "win-rate" {
		t.Fatalf("findings %+v, want winrate-low on win-rate", fs)
	}
	// okrmap fills in the team and the trace up to a business objective.
	if fs[0].Team != "sales" || len(fs[0].Trace) < 2 {
		t.Errorf("team %q, trace %v", fs[0].Team, fs[0].Trace)
	}
	if fs := fixture(t).Check(t, &winRate{}, map[string]string{"min_win_rate": "15"}); len(fs) != 0 {
		t.Errorf("with a floor of 15%%: %+v", fs)
	}
}

// A floor that is not a number, or a misspelt key, is refused before any
// check: Run returns the error an audit would report.
func TestBadSettings(t *testing.T) {
	for settings, want := range map[string]string{"min_win_rate": "not a finite number", "min_wn_rate": `unknown setting "min_wn_rate"`} {
		_, err := fixture(t).Run(t, &winRate{}, map[string]string{settings: "twenty"})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", settings, err, want)
		}
	}
}

func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the plugin")
	}
	bin := sdktest.Build(t, ".")
	if fs := fixture(t).CheckBinary(t, bin, nil); len(fs) != 1 || fs[0].Entity != "win-rate" {
		t.Fatalf("findings %+v", fs)
	}
}

// TestWalkThrough runs step 4 of the walk-through as written in README.md
// (build, pin, list, audit) against the shipped SaaS plan, then the config
// snippet that sets the floor.
func TestWalkThrough(t *testing.T) {
	if testing.Short() {
		t.Skip("builds okrmap and the plugin")
	}
	step := readmeStep(t, "## 4. Build, pin and run")
	var script, configYAML []string
	inYAML := false
	for _, line := range strings.Split(step, "\n") {
		switch {
		case line == "```yaml":
			inYAML = true
		case line == "```":
			inYAML = false
		case inYAML:
			configYAML = append(configYAML, line)
		case strings.HasPrefix(line, "    "):
			script = append(script, strings.TrimPrefix(line, "    "))
		}
	}
	if len(script) < 4 || len(configYAML) == 0 {
		t.Fatalf("step 4 of the README has no commands or no config:\n%s", step)
	}

	home := t.TempDir()
	bin := filepath.Join(home, "bin")
	sdktest.BuildTo(t, "github.com/okrmap/okrmap/cmd/okrmap", filepath.Join(bin, "okrmap"))
	goEnv, err := exec.Command("go", "env", "GOCACHE", "GOMODCACHE", "GOPATH").Output()
	if err != nil {
		t.Fatal(err)
	}
	dirs := strings.Fields(string(goEnv))
	env := append(os.Environ(), "HOME="+home, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "XDG_CACHE_HOME=", "OKRMAP_CONFIG=", "OKRMAP_DB="+filepath.Join(home, "okrmap.db"),
		"OKRMAP_PLUGINS_DIRS=", "GOCACHE="+dirs[0], "GOMODCACHE="+dirs[1], "GOPATH="+dirs[2])
	run := func(name string, args ...string) string {
		cmd := exec.Command(name, args...)
		cmd.Env = env
		out, _ := cmd.CombinedOutput() // the audit exits 1: the example plan has errors
		return string(out)
	}
	files, _ := filepath.Glob("../../saas-b2b/*.yaml")
	run(filepath.Join(bin, "okrmap"), append([]string{"apply"}, files...)...)
	run(filepath.Join(bin, "okrmap"), "import", "measurements", "../../saas-b2b/measurements.csv")

	out := run("bash", "-c", strings.Join(script, "\n"))
	for _, want := range []string{"pinned winrate 1.1.0", "setting min_win_rate (float, default 20)", "win rate win-rate is 19.5%, under the floor of 20%"} {
		if !strings.Contains(out, want) {
			t.Errorf("step 4 output lacks %q:\n%s", want, out)
		}
	}
	config := filepath.Join(home, ".config", "okrmap", "config.yaml")
	os.MkdirAll(filepath.Dir(config), 0o755)
	if err := os.WriteFile(config, []byte(strings.Join(configYAML, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := run(filepath.Join(bin, "okrmap"), "audit"); !strings.Contains(out, "under the floor of 22%") {
		t.Errorf("the config snippet did not set the floor:\n%s", out)
	}

	// Step 5: the plugin run from this folder's source.
	var dev []string
	for _, line := range strings.Split(readmeStep(t, "## 5. Iterate with --plugin-dev"), "\n") {
		if cmd, ok := strings.CutPrefix(line, "    "); ok {
			dev = append(dev, cmd)
		}
	}
	out = run("bash", "-c", strings.Join(dev, "\n"))
	for _, want := range []string{"winrate-falling", "(DEV: winrate unpinned)",
		"win rate win-rate fell at each of its last 2 measurements: 21% on 2026-09-30, 19.5% on 2026-10-31, 18.1% on 2026-11-17"} {
		if !strings.Contains(out, want) {
			t.Errorf("step 5 output lacks %q:\n%s", want, out)
		}
	}
	cache, _ := filepath.Glob(filepath.Join(home, ".cache", "okrmap", "plugin-dev", "winrate-*", "okrmap-plugin-winrate"))
	if len(cache) != 1 {
		t.Errorf("the dev build is not in okrmap's cache: %v", cache)
	}
}

// section returns the text from heading to the next heading of its level.
// readmeStep returns the walk-through's section under heading.
func readmeStep(t *testing.T, heading string) string {
	t.Helper()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	return section(t, string(readme), heading)
}

func section(t *testing.T, doc, heading string) string {
	_, rest, ok := strings.Cut(doc, heading+"\n")
	if !ok {
		t.Fatalf("README has no %q", heading)
	}
	if i := strings.Index(rest, "\n## "); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// TestFromEmptyFolder follows step 1 as written for an unpublished okrmap
// (go mod init, then require and replace, then tidy and build) in an empty
// folder with this plugin's main.go, and the binary it builds fires.
func TestFromEmptyFolder(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the plugin in a new module")
	}
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	step := readmeStep(t, "## 1. Start a module")
	var cmds []string
	for _, line := range strings.Split(step, "\n") {
		cmd, ok := strings.CutPrefix(line, "    ")
		switch {
		case !ok, strings.HasPrefix(cmd, "mkdir "), strings.HasPrefix(cmd, "go get "):
			// the test's folder is new and empty; go get needs okrmap published
		default:
			cmds = append(cmds, strings.ReplaceAll(cmd, "/path/to/okrmap", root))
		}
	}
	if len(cmds) != 4 {
		t.Fatalf("step 1 has %d commands for an unpublished okrmap, want 4: %q", len(cmds), cmds)
	}
	dir := t.TempDir()
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	for i, cmd := range cmds {
		if i == 2 { // main.go is written (step 2) before go mod tidy
			if err := os.WriteFile(filepath.Join(dir, "main.go"), src, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		c := exec.Command("sh", "-c", cmd)
		c.Dir = dir
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", cmd, err, out)
		}
	}
	fs := fixture(t).CheckBinary(t, filepath.Join(dir, "okrmap-plugin-winrate"), nil)
	if len(fs) != 1 || fs[0].Rule != "winrate-low" {
		t.Fatalf("the plugin built from an empty folder found %+v", fs)
	}
}
