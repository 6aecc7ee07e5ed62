package rules

import (
	"context"
	"strings"
	"testing"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/resolve"
)

// TestRuntimeFaultsBecomeFindings: a rule that fails at run time on one
// entity, or exceeds the VM memory budget, yields an error finding for that
// rule and entity; other rules and entities are judged as usual.
func TestRuntimeFaultsBecomeFindings(t *testing.T) {
	p, err := ParsePack("faults.yaml", []byte(`pack: faults
rules:
  - {id: index, name: Index, severity: info, scope: kpi, assert: 'kpi.links[0].to != ""', message: m}
  - {id: hog, name: Hog, severity: info, scope: kpi, when: 'kpi.key == "b"', assert: 'len(map(1..1000000, # * 2)) > 0', message: m}
  - {id: fine, name: Fine, severity: warning, scope: kpi, assert: 'kpi.owner != ""', message: "{{ kpi.key }} unowned"}
`))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	plan := &engine.Plan{KPIs: []engine.KPI{
		{Key: "a", Name: "A"},
		{Key: "b", Name: "B", Links: []engine.Link{{To: "a"}}},
	}}
	g := resolve.Resolve(resolve.Input{Plan: plan, Today: DefaultCaseDay})
	fs, err := s.Evaluate(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fs {
		got = append(got, f.Rule+" "+f.Entity+" "+f.Severity)
		if f.Rule != "fine" && !strings.Contains(f.Message, "could not be evaluated") {
			t.Errorf("fault finding message %q", f.Message)
		}
	}
	want := "index a error|fine a warning|hog b error|fine b warning"
	if strings.Join(got, "|") != want {
		t.Errorf("findings %q, want %q", strings.Join(got, "|"), want)
	}
}

func TestRatio(t *testing.T) {
	if Ratio(1, 0) != 0 || Ratio(3, 2) != 1.5 {
		t.Error("Ratio")
	}
}
