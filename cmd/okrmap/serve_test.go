package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/okrmap/okrmap/plugins/sdk/sdktest"
)

// TestServeBinary runs okrmap serve as an operator would: a real database
// file, the shipped saas plugin pinned, a random port. Over HTTP it applies
// the shipped plan, checks in, audits twice, fetches every report format
// and the diff; SIGTERM then stops it cleanly.
func TestServeBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds okrmap and a plugin; skipped with -short")
	}
	dir := t.TempDir()
	bin := sdktest.BuildTo(t, ".", filepath.Join(dir, "okrmap"))
	sdktest.BuildTo(t, "../../plugins/saas/cmd/okrmap-plugin-saas", filepath.Join(dir, "plugins", "okrmap-plugin-saas"))
	env := append(os.Environ(), "XDG_CONFIG_HOME="+dir, "OKRMAP_CONFIG=", "OKRMAP_DB="+filepath.Join(dir, "okrmap.db"),
		"OKRMAP_PLUGINS_DIRS="+filepath.Join(dir, "plugins"))
	run := runner(t, bin, env)
	run("init")
	run("plugins", "lock")
	token := strings.TrimSpace(run("token", "create", "--name", "ops", "--role", "admin"))

	serve := startReplica(t, bin, env)

	call := func(method, path string, body any, want int) []byte {
		t.Helper()
		return serve.call(t, token, method, path, body, nil, want)
	}
	files, _ := filepath.Glob("../../examples/saas-b2b/*.yaml")
	var docs []map[string]string
	for _, f := range files {
		b, _ := os.ReadFile(f)
		docs = append(docs, map[string]string{"name": filepath.Base(f), "content": string(b)})
	}
	call("POST", "/api/v1/plans", map[string]any{"documents": docs}, 200)
	call("POST", "/api/v1/checkins", map[string]any{"checkins": []map[string]any{{"key_result": "sme-sqls", "value": 3600}}}, 201)
	call("POST", "/api/v1/audits", map[string]any{}, 201)
	call("POST", "/api/v1/measurements", map[string]any{"measurements": []map[string]any{{"kpi": "sqls", "value": 3600}}}, 201)
	call("POST", "/api/v1/audits", map[string]any{}, 201)
	var run2 struct {
		Packs []struct {
			Name   string
			Plugin bool
			Failed bool
		}
	}
	json.Unmarshal(call("GET", "/api/v1/audits/2", nil, 200), &run2)
	plugin := false
	for _, p := range run2.Packs {
		plugin = plugin || p.Name == "saas" && p.Plugin && !p.Failed
	}
	if !plugin {
		t.Errorf("the pinned saas plugin did not run in the audit: %+v", run2.Packs)
	}
	var rules struct{ Items []struct{ ID, Pack string } }
	json.Unmarshal(call("GET", "/api/v1/rules?pack=saas", nil, 200), &rules)
	if len(rules.Items) == 0 || rules.Items[0].Pack != "plugin:saas" {
		t.Errorf("the saas plugin's rules: %+v", rules.Items)
	}
	for _, format := range []string{"text", "json", "markdown", "html", "junit", "sarif"} {
		if out := call("GET", "/api/v1/audits/2/report?format="+format, nil, 200); len(out) < 200 {
			t.Errorf("%s report: %d bytes", format, len(out))
		}
	}
	var diff struct{ From, To int }
	json.Unmarshal(call("GET", "/api/v1/audits/diff", nil, 200), &diff)
	if diff.From != 1 || diff.To != 2 {
		t.Errorf("diff: %+v", diff)
	}

	serve.stop(t)
}
