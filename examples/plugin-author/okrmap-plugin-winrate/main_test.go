package main

import (
	"path/filepath"
	"testing"

	"github.com/okrmap/okrmap/plugins/sdk/sdktest"
)

// fixture is the shipped SaaS plan with its measurements: win rate 19.5%.
func fixture(t *testing.T) *sdktest.Fixture {
	files, _ := filepath.Glob("../../saas-b2b/*.yaml")
	return sdktest.Load(t, "2026-11-20", "../../saas-b2b/measurements.csv", files...)
}

func TestInProcess(t *testing.T) {
	fs := fixture(t).Check(t, &winRate{}, nil)
	if len(fs) != 1 || fs[0].Rule != "winrate-low" || fs[0].Entity != "win-rate" {
		t.Fatalf("findings %+v, want winrate-low on win-rate", fs)
	}
	if fs := fixture(t).Check(t, &winRate{}, map[string]string{"min_win_rate": "15"}); len(fs) != 0 {
		t.Errorf("with a floor of 15%%: %+v", fs)
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
