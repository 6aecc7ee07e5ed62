package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestDeleteResolvesAndArchives: a deleted KPI's findings resolve at the
// next audit, export leaves it out, and its measurements stay readable in
// the archive; delete refuses, listing them, while others depend on an
// entity.
func TestDeleteResolvesAndArchives(t *testing.T) {
	e := newEnv(t)
	e.ok(append([]string{"apply"}, exampleFiles(t)...)...)
	e.ok("import", "measurements", "../../../../examples/saas-b2b/measurements.csv")
	e.run("", "audit")
	mustContain(t, "refused", e.fails(ExitInput, "delete", "objective", "mkt-brand"),
		"objective mkt-brand cannot go alone", "kpi brand-recall (links to mkt-brand)", "--cascade --dry-run")
	mustContain(t, "wrong kind", e.fails(ExitInput, "delete", "kpi", "grow-arr"), `"grow-arr" is a business_objective, not a kpi`)
	mustContain(t, "deleted", e.ok("delete", "kpi", "social-followers"), "deleted kpi social-followers")
	e.run("", "audit")
	diff := e.ok("audit", "diff")
	resolved := diff[strings.Index(diff, "RESOLVED"):strings.Index(diff, "PERSISTING")]
	if strings.Count(resolved, "social-followers") != 3 {
		t.Errorf("the deleted KPI's findings did not resolve:\n%s", diff)
	}
	if strings.Contains(e.ok("export"), "social-followers") {
		t.Error("export still has the deleted KPI")
	}
	var archived []struct {
		Kind    string
		Key     string
		Entity  map[string]any
		History []map[string]any
	}
	if err := json.Unmarshal([]byte(e.ok("get", "archived", "-o", "json")), &archived); err != nil {
		t.Fatal(err)
	}
	if len(archived) != 1 || archived[0].Key != "social-followers" || archived[0].Entity["name"] == nil || len(archived[0].History) != 7 {
		t.Errorf("archive: %+v", archived)
	}
}
