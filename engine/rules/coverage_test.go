package rules

import (
	"os"
	"testing"

	"go.yaml.in/yaml/v3"
)

type coverage struct {
	rule         string
	fires, quiet bool
}

func (s *Set) caseCoverage(t *testing.T, files []string) []coverage {
	var out []coverage
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var cf CaseFile
		if err := yaml.Unmarshal(b, &cf); err != nil {
			t.Fatal(err)
		}
		for _, c := range cf.Cases {
			out = append(out, coverage{c.Rule, len(c.Fires) > 0, len(c.Quiet) > 0})
		}
	}
	return out
}
