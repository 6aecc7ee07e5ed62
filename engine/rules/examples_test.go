package rules

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/csvimport"
	"github.com/okrmap/okrmap/engine/plan"
	"github.com/okrmap/okrmap/engine/resolve"
)

// TestExampleFindings checks that the SaaS example's planted mistakes, and
// nothing else, are found. Rhythm rules depend on check-in history the
// example does not ship and are left out.
func TestExampleFindings(t *testing.T) {
	files, _ := filepath.Glob("../../examples/saas-b2b/*.yaml")
	set, err := plan.Load(files...)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("../../examples/saas-b2b/measurements.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ms, err := csvimport.Measurements(f.Name(), f, nil)
	if err != nil {
		t.Fatal(err)
	}
	g := resolve.Resolve(resolve.Input{Plan: set.Plan, Latest: engine.Latest(ms), Today: engine.NewDate(2026, 11, 20)})
	findings, err := builtinSet(t).Evaluate(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range findings {
		if f.Rule == "kr-checkin-overdue" || f.Rule == "kpi-stale" {
			continue
		}
		got = append(got, f.Rule+" "+f.Entity)
	}
	want := []string{
		"activity-kpi-no-outcome case-studies-published",
		"activity-kpi-straight-to-business-objective social-followers", // planted: vanity KPI tied to revenue
		"business-objective-stale category-leader",                     // planted: not reviewed for a year
		"investment-no-return partner-programme",                       // planted
		"investment-return-unmeasured field-events",
		"kpi-opposite-directions avg-discount", // planted: sales up, finance down
		"kpi-unlinked email-open-rate",         // planted: orphan
		"kr-no-baseline case-studies-kr",       // planted
		"kr-phrased-as-task case-studies-kr",
		"link-invalidated-assumption sales-cycle->cycle-kr",
		"link-no-rationale social-followers->grow-arr",
		"objective-title-has-metrics sales-new-logos",
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("findings:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}
