package saas_test

import (
	"path/filepath"
	"testing"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/plugins/saas"
	"github.com/okrmap/okrmap/plugins/sdk/sdktest"
)

func exampleFixture(t *testing.T) *sdktest.Fixture {
	files, _ := filepath.Glob("../../examples/saas-b2b/*.yaml")
	return sdktest.Load(t, "2026-11-20", "../../examples/saas-b2b/measurements.csv", files...)
}

func only(t *testing.T, fs []engine.Finding, rule, entity string) {
	t.Helper()
	if len(fs) != 1 || fs[0].Rule != rule || fs[0].Entity != entity {
		t.Errorf("findings %+v, want one %s on %s", fs, rule, entity)
	}
}

// TestExampleInProcess runs the plugin through the protocol against the
// shipped SaaS plan: pipeline coverage is 2.7, under the floor of 3.
func TestExampleInProcess(t *testing.T) {
	fx := exampleFixture(t)
	only(t, fx.Check(t, &saas.Plugin{}, nil), "saas-pipeline-coverage-low", "pipeline-coverage")
	if fs := fx.Check(t, &saas.Plugin{}, map[string]string{"min_pipeline_coverage": "2.5"}); len(fs) != 0 {
		t.Errorf("with a floor of 2.5: %+v", fs)
	}
}

// TestExampleBinary does the same against the built plugin binary.
func TestExampleBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the plugin binary")
	}
	bin := sdktest.Build(t, "github.com/okrmap/okrmap/plugins/saas/cmd/okrmap-plugin-saas")
	only(t, exampleFixture(t).CheckBinary(t, bin, nil), "saas-pipeline-coverage-low", "pipeline-coverage")
}
