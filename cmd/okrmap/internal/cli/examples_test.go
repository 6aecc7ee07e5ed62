package cli

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestScheduleExamples runs the okrmap command line of each scheduling
// example against a temporary database, with the webhook and paths swapped
// for local ones, so the examples cannot rot.
func TestScheduleExamples(t *testing.T) {
	e := newEnv(t)
	e.ok(append([]string{"apply"}, exampleFiles(t)...)...)
	line := regexp.MustCompile(`okrmap (audit --[^;\n>]*)`)
	for _, name := range []string{"crontab", "okrmap-audit.service", "cronjob.yaml"} {
		b, err := os.ReadFile("../../../../examples/cron/" + name)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.ReplaceAll(string(b), ">-\n", "")
		text = regexp.MustCompile(`\n\s+`).ReplaceAllString(text, " ")
		m := line.FindStringSubmatch(text)
		if m == nil {
			t.Fatalf("%s: no okrmap audit command", name)
		}
		args := strings.Fields(m[1])
		for i, a := range args {
			switch {
			case strings.HasPrefix(a, "https://"):
				args[i] = "http://127.0.0.1:1" // refused at once: the run must still finish
			case strings.HasPrefix(a, "/var/lib/okrmap/") || strings.HasPrefix(a, "/data/"):
				args[i] = e.dir + "/" + name + ".html"
			}
		}
		_, errOut, code := e.run("", args...)
		if code != ExitOK && code != ExitFindings {
			t.Errorf("%s: okrmap %s: exit %d\n%s", name, strings.Join(args, " "), code, errOut)
		}
		if _, err := os.Stat(e.dir + "/" + name + ".html"); err != nil {
			t.Errorf("%s: no report written: %v", name, err)
		}
	}
}
