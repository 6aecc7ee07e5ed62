package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/okrmap/okrmap/plugins/sdk/sdktest"
)

// TestDeploymentExamples checks examples/server as far as this machine
// allows: the systemd unit passes systemd-analyze verify, the Dockerfile's
// build commands build, and the command lines, probes and configuration of
// the unit, the image and the Kubernetes manifests are ones okrmap accepts.
func TestDeploymentExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("builds okrmap; skipped with -short")
	}
	dir := t.TempDir()
	bin := sdktest.BuildTo(t, ".", filepath.Join(dir, "okrmap"))
	// accepts runs okrmap with args and --help: the flags must parse.
	accepts := func(what string, args []string, env ...string) {
		t.Helper()
		cmd := exec.Command(bin, append(args, "--help")...)
		cmd.Env = append(os.Environ(), append([]string{"XDG_CONFIG_HOME=" + dir, "OKRMAP_CONFIG="}, env...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s: okrmap %s: %v\n%s", what, strings.Join(args, " "), err, out)
		}
	}
	read := func(name string) string {
		b, err := os.ReadFile("../../examples/server/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	t.Run("systemd", func(t *testing.T) {
		unit := read("okrmap.service")
		exec1 := regexp.MustCompile(`(?m)^ExecStart=/usr/local/bin/okrmap (.*)$`).FindStringSubmatch(unit)
		if exec1 == nil {
			t.Fatal("okrmap.service has no ExecStart of /usr/local/bin/okrmap")
		}
		accepts("okrmap.service", strings.Fields(exec1[1]))
		if _, err := exec.LookPath("systemd-analyze"); err != nil {
			t.Skip("systemd-analyze is not installed (Debian package systemd); .ci/run installs it")
		}
		path := filepath.Join(dir, "okrmap.service")
		os.WriteFile(path, []byte(strings.ReplaceAll(unit, "/usr/local/bin/okrmap", bin)), 0o644)
		out, err := exec.Command("systemd-analyze", "verify", path).CombinedOutput()
		if err != nil || len(bytes.TrimSpace(out)) > 0 {
			t.Errorf("systemd-analyze verify okrmap.service: %v\n%s", err, out)
		}
	})

	t.Run("Dockerfile", func(t *testing.T) {
		df := read("Dockerfile")
		if !strings.Contains(df, " AS build") || !strings.Contains(df, "COPY --from=build") || !strings.Contains(df, "CGO_ENABLED=1 go build") {
			t.Error("the Dockerfile is not a multi-stage cgo build")
		}
		builds := regexp.MustCompile(`CGO_ENABLED=\d go build .* -o /out/\S+ \S+`).FindAllString(df, -1)
		if len(builds) != 3 {
			t.Fatalf("%d go build commands in the Dockerfile, want okrmap and two plugins", len(builds))
		}
		// Compile okrmap (the cgo build) exactly as the image does; for the
		// plugins, which other tests build, check that the packages exist.
		for i, b := range builds {
			line := strings.ReplaceAll(b, "/out/", filepath.Join(dir, "out")+"/")
			if i > 0 {
				fields := strings.Fields(b)
				line = "go list " + fields[len(fields)-1]
			}
			cmd := exec.Command("sh", "-c", line)
			cmd.Dir = "../.."
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("Dockerfile: %s: %v\n%s", b, err, out)
			}
		}
		cmdArgs := regexp.MustCompile(`(?m)^CMD \[(.*)\]$`).FindStringSubmatch(df)
		if cmdArgs == nil {
			t.Fatal("the Dockerfile has no CMD")
		}
		var args []string
		for _, a := range strings.Split(cmdArgs[1], ",") {
			args = append(args, strings.Trim(strings.TrimSpace(a), `"`))
		}
		accepts("Dockerfile CMD", args)
	})

	t.Run("kubernetes", func(t *testing.T) {
		dec := yaml.NewDecoder(strings.NewReader(read("kubernetes.yaml")))
		kinds := map[string]map[string]any{}
		for {
			var doc map[string]any
			err := dec.Decode(&doc)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("kubernetes.yaml: %v", err)
			}
			kinds[doc["kind"].(string)] = doc
		}
		for _, k := range []string{"Deployment", "Service", "ConfigMap", "PersistentVolumeClaim"} {
			if kinds[k] == nil {
				t.Errorf("kubernetes.yaml has no %s", k)
			}
		}
		dep := kinds["Deployment"]
		spec := dig(dep, "spec", "template", "spec")
		c := dig(spec, "containers").([]any)[0].(map[string]any)
		var args []string
		for _, a := range c["args"].([]any) {
			args = append(args, a.(string))
		}
		accepts("Deployment args", args)
		for probe, path := range map[string]string{"livenessProbe": "/healthz", "readinessProbe": "/readyz"} {
			if got := dig(c, probe, "httpGet", "path"); got != path {
				t.Errorf("%s path %v, want %s", probe, got, path)
			}
		}
		if dig(dep, "spec", "replicas") != 1 || dig(dep, "spec", "strategy", "type") != "Recreate" {
			t.Error("the Deployment may run two writers on one SQLite volume")
		}
		// The ConfigMap's config.yaml is a valid okrmap configuration.
		cfg := filepath.Join(dir, "config.yaml")
		os.WriteFile(cfg, []byte(dig(kinds["ConfigMap"], "data", "config.yaml").(string)), 0o644)
		cmd := exec.Command(bin, "--config", cfg, "version")
		cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("the ConfigMap's config.yaml: %v\n%s", err, out)
		}
	})
}

func dig(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}
