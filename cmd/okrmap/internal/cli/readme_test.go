package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeQuarter runs the README's "A quarter with okrmap" commands as
// written, from the repository root, against a temporary database. The
// quarter has not ended on the day the test runs, so its close gets --force.
func TestReadmeQuarter(t *testing.T) {
	b, err := os.ReadFile("../../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	start := strings.Index(text, "## A quarter with okrmap")
	end := strings.Index(text[start+1:], "\n## ") + start + 1
	var commands []string
	for _, line := range strings.Split(text[start:end], "\n") {
		if cmd, ok := strings.CutPrefix(strings.TrimSpace(line), "okrmap "); ok && strings.HasPrefix(line, "       ") {
			commands = append(commands, strings.TrimSpace(strings.SplitN(cmd, " #", 2)[0]))
		}
	}
	if len(commands) < 12 {
		t.Fatalf("found %d commands in the README's quarter walkthrough", len(commands))
	}
	e := newEnv(t)
	t.Chdir("../../../..")
	for _, cmd := range commands {
		args, stdout := shellWords(t, e, cmd)
		if args[0] == "quarter" && args[1] == "close" && !strings.Contains(cmd, "--dry-run") {
			args = append(args, "--force")
		}
		out, errOut, code := e.run("", args...)
		lint := args[0] == "lint" && code == ExitFindings
		if code != ExitOK && !lint {
			t.Errorf("README: okrmap %s: exit %d\n%s%s", cmd, code, out, errOut)
			continue
		}
		if stdout != "" {
			if err := os.WriteFile(stdout, []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if b, err := os.ReadFile(filepath.Join(e.dir, "q1.yaml")); err != nil || !strings.Contains(string(b), "mkt-pipeline-2027-q1") {
		t.Errorf("the exported Q1 plan: %v", err)
	}
}

// shellWords splits a README command line as a shell would for these
// commands: quotes, globs, $(date +%F) and a > redirect into the test's
// directory.
func shellWords(t *testing.T, e *env, cmd string) (args []string, stdout string) {
	cmd = strings.ReplaceAll(cmd, "$(date +%F)", "2026-11-25")
	if before, after, ok := strings.Cut(cmd, " > "); ok {
		cmd, stdout = before, filepath.Join(e.dir, strings.TrimSpace(after))
	}
	for _, m := range regexp.MustCompile(`"([^"]*)"|(\S+)`).FindAllStringSubmatch(cmd, -1) {
		if m[2] == "" {
			args = append(args, m[1])
			continue
		}
		word := m[2]
		if strings.Contains(word, "*") {
			matches, _ := filepath.Glob(word)
			if len(matches) == 0 {
				t.Fatalf("README: %s matches no file", word)
			}
			args = append(args, matches...)
			continue
		}
		if strings.HasSuffix(word, ".db") && !strings.Contains(word, "/") {
			word = filepath.Join(e.dir, word) // backups go to the test's directory
		}
		args = append(args, word)
	}
	return args, stdout
}
