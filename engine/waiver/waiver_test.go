package waiver

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/okrmap/okrmap/engine"
)

func TestLoadApply(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sub", "waivers.yaml")
	if ws, err := Load(file); err != nil || ws != nil {
		t.Fatalf("missing file: %v %v", ws, err)
	}
	until := engine.NewDate(2026, 12, 31)
	os.MkdirAll(filepath.Dir(file), 0o755)
	os.WriteFile(file, []byte("waivers:\n  - {rule: kpi-stale, entity: legacy-*, reason: migrating, until: 2026-12-31}\n"+
		"  - {rule: kpi-unlinked, entity: old, reason: retiring, until: 2026-11-01}\n"), 0o644)
	ws, err := Load(file)
	if err != nil || len(ws) != 2 || ws[0].Until != until {
		t.Fatalf("loaded %+v %v", ws, err)
	}
	fs := []engine.Finding{
		{Rule: "kpi-stale", Entity: "legacy-crm"},
		{Rule: "kpi-stale", Entity: "current"},
		{Rule: "kpi-unlinked", Entity: "old"},
		{Rule: "kpi-unlinked", Entity: "legacy-crm"},
	}
	Apply(fs, ws, engine.NewDate(2026, 11, 20))
	if !fs[0].Waived() || fs[1].Waiver != nil || fs[3].Waiver != nil {
		t.Errorf("glob waiver: %+v", fs)
	}
	if fs[2].Waiver == nil || !fs[2].Waiver.Expired || fs[2].Waived() {
		t.Errorf("expired waiver: %+v", fs[2].Waiver)
	}
}

func TestBadWaivers(t *testing.T) {
	for w, want := range map[engine.Waiver]string{
		{Entity: "x", Reason: "r", Until: engine.NewDate(2027, 1, 1)}:            "rule is missing",
		{Rule: "r", Reason: "r", Until: engine.NewDate(2027, 1, 1)}:              "entity is missing",
		{Rule: "r", Entity: "x", Until: engine.NewDate(2027, 1, 1)}:              "reason is missing",
		{Rule: "r", Entity: "x", Reason: "r"}:                                    "until is missing",
		{Rule: "r", Entity: "[", Reason: "r", Until: engine.NewDate(2027, 1, 1)}: "not a valid glob",
	} {
		if err := Check(w); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Check(%+v) = %v, want %q", w, err, want)
		}
	}
	file := filepath.Join(t.TempDir(), "w.yaml")
	os.WriteFile(file, []byte("waivers:\n  - {rule: r, entity: x, until: 2027-01-01}\n"), 0o644)
	if _, err := Load(file); err == nil || !strings.Contains(err.Error(), "waiver 1: reason is missing") {
		t.Errorf("file without a reason: %v", err)
	}
	os.WriteFile(file, []byte("waivers:\n  - {rule: r, entty: x}\n"), 0o644)
	if _, err := Load(file); err == nil || !strings.Contains(err.Error(), "entty") {
		t.Errorf("unknown field: %v", err)
	}
}
