package rules

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/okrmap/okrmap/engine"
)

const goodRule = `pack: mine
rules:
  - id: r1
    name: R1
    severity: warning
    scope: kpi
    assert: kpi.owner != ""
    message: "KPI {{ kpi.key }} has no owner"
`

// compileText parses and compiles one pack and returns its problems.
func compileText(t *testing.T, text string) []string {
	t.Helper()
	p, err := ParsePack("pack.yaml", []byte(text))
	if err == nil {
		_, err = Compile(p)
	}
	var ps engine.Problems
	if err != nil && !errors.As(err, &ps) {
		t.Fatalf("want engine.Problems, got %T: %v", err, err)
	}
	var out []string
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}

func TestBrokenPacks(t *testing.T) {
	tests := []struct {
		name     string
		old, new string
		want     string // the first line of the only problem
	}{
		{"unknown field", `kpi.owner != ""`, `kpi.ownr != ""`,
			"pack.yaml:7:17: r1: assert: kpi has no field ownr (did you mean kpi.owner?); kpi's fields: key, name"},
		{"syntax error", `kpi.owner != ""`, `kpi.owner !=`,
			"pack.yaml:7:24: r1: assert: unexpected token EOF"},
		{"wrong type", `kpi.owner != ""`, `kpi.owner + 1`,
			"pack.yaml:7:23: r1: assert: invalid operation: + (mismatched types string and int)"},
		{"not a bool", `kpi.owner != ""`, `kpi.owner`,
			"pack.yaml:7: r1: assert: expected bool, but got string"},
		{"bad template expression", `{{ kpi.key }}`, `{{ kpi.kee }}`,
			"pack.yaml:8:26: r1: message: kpi has no field kee (did you mean kpi.key?)"},
		{"unclosed template", `{{ kpi.key }}`, `{{ kpi.key`, "pack.yaml:8:14: r1: message: '{{' at offset 4 is not closed with '}}'"},
		{"unknown scope", "scope: kpi", "scope: kpis", "pack.yaml:6:12: r1: scope \"kpis\" is not one of"},
		{"unknown severity", "severity: warning", "severity: fatal", "pack.yaml:5:15: r1: severity \"fatal\" is not one of: error, warning, info"},
		{"unknown key", "    name: R1", "    nme: R1", "pack.yaml: rule pack: line 4: field nme not found"},
		{"block scalar", "    assert: kpi.owner != \"\"", "    assert: |\n      kpi.owner != \"\" &&\n        kpi.nope", "pack.yaml:9: r1: assert: kpi has no field nope; kpi's fields:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(goodRule, tt.old) {
				t.Fatalf("goodRule has no %q", tt.old)
			}
			got := compileText(t, strings.Replace(goodRule, tt.old, tt.new, 1))
			if len(got) == 0 || !strings.HasPrefix(got[0], tt.want) {
				t.Errorf("problems %q\nwant one starting %q", got, tt.want)
			}
		})
	}
	if got := compileText(t, goodRule); len(got) != 0 {
		t.Errorf("good pack: %q", got)
	}
}

func TestOversizeExpression(t *testing.T) {
	huge := strings.Repeat("kpi.owner != \"\" && ", 1500) + "true"
	got := compileText(t, strings.Replace(goodRule, `kpi.owner != ""`, huge, 1))
	if len(got) != 1 || !strings.Contains(got[0], "r1: assert: compilation failed: expression exceeds maximum allowed nodes") {
		t.Errorf("oversize expression: %q", got)
	}
}

func TestExtendsAndOverrides(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte(text), 0o644)
		return path
	}
	write("base.yaml", goodRule)
	child := write("child.yaml", `pack: child
extends: [base.yaml, okrmap-default]
overrides:
  - {id: r1, severity: error}
  - {id: kpi-unlinked, disabled: true}
rules:
  - id: kpi-stale
    replace: true
    name: Stale, stricter
    scope: kpi
    assert: kpi.has_measurement
    message: "{{ kpi.key }} unmeasured"
`)
	p, err := LoadPack(child)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	if r := s.Rule("r1"); r == nil || r.Severity != "error" || r.Pack != "mine" {
		t.Errorf("overridden r1: %+v", r)
	}
	if s.Rule("kpi-unlinked") != nil {
		t.Error("disabled rule is still in the set")
	}
	if r := s.Rule("kpi-stale"); r == nil || r.Pack != "child" || r.Severity != "warning" || r.Name != "Stale, stricter" {
		t.Errorf("replaced rule: %+v", r)
	}
	dup := write("dup.yaml", "pack: dup\nextends: [okrmap-default]\n"+strings.TrimPrefix(strings.Replace(goodRule, "id: r1", "id: kpi-unlinked", 1), "pack: mine\n"))
	p, _ = LoadPack(dup)
	if _, err := Compile(p); err == nil || !strings.Contains(err.Error(), `rule "kpi-unlinked" is already defined by pack okrmap-default; set replace: true`) {
		t.Errorf("duplicate rule: %v", err)
	}
	cyc := write("cyc.yaml", "pack: cyc\nextends: [cyc2.yaml]\nrules: []\n")
	write("cyc2.yaml", "pack: cyc2\nextends: [cyc.yaml]\nrules: []\n")
	p, _ = LoadPack(cyc)
	if _, err := Compile(p); err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Errorf("extends cycle: %v", err)
	}
}

// TestPacksAreNotDroppedSilently: two packs of one name, a user pack named
// like the built-in one, an oversized pack and a FIFO are errors.
func TestPacksAreNotDroppedSilently(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	rule := "rules:\n  - {id: r1, name: R, severity: info, scope: kpi, assert: 'true', message: m, doc: d, fix: f}\n"
	a, _ := LoadPack(write("a.yaml", "pack: team\n"+rule))
	b, _ := LoadPack(write("b.yaml", "pack: team\n"+strings.ReplaceAll(rule, "r1", "r2")))
	if _, err := Compile(a, b); err == nil || !strings.Contains(err.Error(), "two rule packs are named team") {
		t.Errorf("two packs named team: %v", err)
	}
	builtin, _ := LoadBuiltin()
	mine, _ := LoadPack(write("mine.yaml", "pack: okrmap-default\n"+rule))
	if _, err := Compile(builtin, mine); err == nil || !strings.Contains(err.Error(), "two rule packs are named okrmap-default") {
		t.Errorf("a user pack named okrmap-default: %v", err)
	}
	big := write("big.yaml", "pack: big\n# "+strings.Repeat("x", MaxPackSize)+"\n")
	if _, err := LoadPack(big); err == nil || !strings.Contains(err.Error(), "is larger than 16 MiB") {
		t.Errorf("an oversized pack: %v", err)
	}
}

// TestExtendsStaysInItsFolder: a pack cannot extend a file outside its own
// folder, and a file that is not a pack is not echoed in errors.
func TestExtendsStaysInItsFolder(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "packs"), 0o755)
	secret := filepath.Join(dir, "secret.yaml")
	os.WriteFile(secret, []byte("root:x:0:0:Sup3rS3cret:/root:/bin/sh\nhunter2: [1]\n"), 0o600)
	os.Symlink(secret, filepath.Join(dir, "packs", "link.yaml"))
	os.WriteFile(filepath.Join(dir, "packs", "notpack.yaml"), []byte("db_password: Sup3rS3cret\n\"root:x:0:0:Sup3rS3cret\": 1\n"), 0o600)
	for ext, want := range map[string]string{
		"/etc/passwd":    "an absolute path",
		"../secret.yaml": "outside this pack's folder",
		"link.yaml":      "outside this pack's folder",
		"missing.yaml":   "no such file",
		"notpack.yaml":   "an unknown field (not shown",
	} {
		path := filepath.Join(dir, "packs", "main.yaml")
		os.WriteFile(path, []byte("pack: main\nextends: ["+strconv.Quote(ext)+"]\nrules: []\n"), 0o644)
		p, err := LoadPack(path)
		if err == nil {
			_, err = Compile(p)
		}
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "Sup3rS3cret") {
			t.Errorf("extends %s: %v, want %q and no secret", ext, err, want)
		}
	}
}
