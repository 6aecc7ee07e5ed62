package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// dev gen --history writes measurements that import into the plan it
// wrote, once.
func TestDevGenHistoryImports(t *testing.T) {
	dir := t.TempDir()
	planFile, csvFile, db := filepath.Join(dir, "p.json"), filepath.Join(dir, "h.csv"), filepath.Join(dir, "x.db")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"dev", "gen", "--kpis", "300", "--teams", "20", "--driver-chain", "2", "-o", "json", "--out-file", planFile,
			"--history", "4", "--history-file", csvFile}, ""},
		{[]string{"--db", db, "apply", planFile}, "kpi                        300"},
		{[]string{"--db", db, "import", "measurements", csvFile}, "imported 1200 measurements"},
	} {
		var stdout, stderr bytes.Buffer
		if code := Main(context.Background(), c.args, nil, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), c.want) {
			t.Fatalf("%v: exit %d, want %q in\n%s%s", c.args, code, c.want, stdout.String(), stderr.String())
		}
	}
}
