package host_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/okrmap/okrmap/plugins/host"
)

const sum = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

func TestLockRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "plugins.lock")
	if l, err := host.ReadLock(path); err != nil || len(l.Plugins) != 0 {
		t.Fatalf("missing lock file: %v, %v; want an empty lock", l, err)
	}
	want := &host.Lock{Plugins: []host.Locked{{Name: "saas", Version: "0.1.0", Path: "/p/okrmap-plugin-saas", SHA256: sum}}}
	if err := host.WriteLock(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := host.ReadLock(path)
	if err != nil || len(got.Plugins) != 1 || got.Plugins[0] != want.Plugins[0] {
		t.Fatalf("read back %+v, %v", got, err)
	}
	if _, err := os.Stat(path + ".tmp"); !os.IsNotExist(err) {
		t.Error("the temporary file was left behind")
	}
}

func TestBadLockFiles(t *testing.T) {
	entry := func(name, path, sha string) string {
		return "  - {name: " + name + ", version: '1', path: " + path + ", sha256: " + sha + "}\n"
	}
	tests := map[string]string{
		"plugins:\n" + entry("''", "/a", sum):                              "line 2: the entry has no name",
		"plugins:\n" + entry("saas", "''", sum):                            "line 2: plugin saas has no path",
		"plugins:\n" + entry("saas", "/a", "abc"):                          `line 2: plugin saas: sha256 "abc" is not 64 hex digits`,
		"plugins:\n" + entry("saas", "/a", sum) + entry("saas", "/b", sum): "line 3: plugin saas is pinned twice (also entry 1)",
		"plugins:\n  - {name: saas, checksum: x}\n":                        "field checksum not found",
		"plugins: [unclosed\n":                                             "yaml",
	}
	for text, want := range tests {
		path := filepath.Join(t.TempDir(), "plugins.lock")
		os.WriteFile(path, []byte(text), 0o644)
		_, err := host.ReadLock(path)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), path) {
			t.Errorf("lock %q: %v, want an error naming the file and %q", text, err, want)
		}
	}
}

func FuzzParseLock(f *testing.F) {
	f.Add([]byte("plugins:\n  - {name: saas, version: '1', path: /a, sha256: " + sum + "}\n"))
	f.Add([]byte("plugins: [{name: x}, {name: x}]\n"))
	f.Add([]byte("plugins: &a [*a]\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := host.ParseLock(b)
		if err == nil && l == nil {
			t.Fatal("no lock and no error")
		}
	})
}

func TestPinRefusesTwoOfTheSameName(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a plugin binary")
	}
	bin := build(t, "github.com/okrmap/okrmap/plugins/saas/cmd/okrmap-plugin-saas")
	other := filepath.Join(t.TempDir(), "okrmap-plugin-saas-copy")
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(other, b, 0o755); err != nil {
		t.Fatal(err)
	}
	l, err := host.Pin(context.Background(), []string{bin}, host.Spec{}, nil)
	if err != nil || len(l.Plugins) != 1 || l.Plugins[0].Name != "saas" {
		t.Fatalf("pin one: %+v, %v", l, err)
	}
	_, err = host.Pin(context.Background(), []string{bin, other}, host.Spec{}, nil)
	if err == nil || !strings.Contains(err.Error(), "two binaries call themselves plugin saas") {
		t.Errorf("pin two of the same name: %v", err)
	}
}

func TestLockUpdate(t *testing.T) {
	pin := func(name, version string) host.Locked {
		return host.Locked{Name: name, Version: version, Path: "/p/okrmap-plugin-" + name, SHA256: sum}
	}
	old := &host.Lock{Plugins: []host.Locked{pin("saas", "1"), pin("retail", "1"), pin("gone", "1")}}
	describe := func(cs []host.Change) (out []string) {
		for _, c := range cs {
			switch {
			case c.Old == nil:
				out = append(out, "new "+c.New.Name)
			case c.New == nil:
				out = append(out, "dropped "+c.Old.Name)
			default:
				out = append(out, c.Old.Name+" "+c.Old.Version+"->"+c.New.Version)
			}
		}
		return out
	}
	names := func(l *host.Lock) (out []string) {
		for _, p := range l.Plugins {
			out = append(out, p.Name+" "+p.Version)
		}
		return out
	}
	// By name: only the named plugins change; the others keep their pins.
	l, cs := old.Update([]host.Locked{pin("saas", "2"), pin("b2b", "1")}, false)
	if got, want := names(l), []string{"b2b 1", "gone 1", "retail 1", "saas 2"}; !slices.Equal(got, want) {
		t.Errorf("lock by name: %v, want %v", got, want)
	}
	if got, want := describe(cs), []string{"new b2b", "saas 1->2"}; !slices.Equal(got, want) {
		t.Errorf("changes by name: %v, want %v", got, want)
	}
	// Everything: plugins no longer found are dropped.
	l, cs = old.Update([]host.Locked{pin("saas", "1"), pin("retail", "2")}, true)
	if got, want := names(l), []string{"retail 2", "saas 1"}; !slices.Equal(got, want) {
		t.Errorf("lock all: %v, want %v", got, want)
	}
	if got, want := describe(cs), []string{"dropped gone", "retail 1->2", "saas 1->1"}; !slices.Equal(got, want) {
		t.Errorf("changes for all: %v, want %v", got, want)
	}
	if got := l.Unpinned([]string{"/p/okrmap-plugin-saas", "/p/../p/okrmap-plugin-retail", "/p/okrmap-plugin-new"}); !slices.Equal(got, []string{"/p/okrmap-plugin-new"}) {
		t.Errorf("Unpinned = %v, want only the new binary", got)
	}
	if len(old.Plugins) != 3 || old.Plugins[0].Version != "1" {
		t.Errorf("Update changed the old lock: %+v", old.Plugins)
	}
}
