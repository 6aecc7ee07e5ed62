package saas_test

import (
	"path/filepath"
	"testing"

	"github.com/okrmap/okrmap/plugins/saas"
	"github.com/okrmap/okrmap/plugins/sdk/sdktest"
)

func exampleFixture(t *testing.T) *sdktest.Fixture {
	files, _ := filepath.Glob("../../examples/saas-b2b/*.yaml")
	return sdktest.Load(t, "2026-11-20", "../../examples/saas-b2b/measurements.csv", files...)
}

func only(t *testing.T, fs []sdktest.Finding, rule, entity string) {
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

// TestPublishedMarketingKPIs runs the plugin over marketing KPIs as GitLab
// published them (testdata/): coverage of 2.4 is low, and MQLs, followers
// and visitors are no marketing-sourced pipeline until "Net New Business
// Pipeline Created" is added.
func TestPublishedMarketingKPIs(t *testing.T) {
	rules := func(files ...string) map[string]string {
		fx := sdktest.Load(t, "2026-12-10", "testdata/measurements.csv", files...)
		got := map[string]string{}
		for _, f := range fx.Check(t, &saas.Plugin{}, nil) {
			got[f.Rule] = f.Entity
		}
		return got
	}
	got := rules("testdata/marketing-pis.yaml")
	if len(got) != 2 || got["saas-pipeline-coverage-low"] != "pipeline-coverage" {
		t.Errorf("findings %v, want low coverage on pipeline-coverage and the missing sourced-pipeline KPI", got)
	}
	if _, ok := got["saas-sourced-pipeline-missing"]; !ok {
		t.Errorf("findings %v: the missing sourced-pipeline KPI was not reported", got)
	}
	got = rules("testdata/marketing-pis.yaml", "testdata/pipeline-created.yaml")
	if len(got) != 1 || got["saas-pipeline-coverage-low"] != "pipeline-coverage" {
		t.Errorf("with pipeline created: findings %v, want only low coverage", got)
	}
}
