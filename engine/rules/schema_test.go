package rules

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/okrmap/okrmap/schemas"
)

// TestBuiltinMatchesSchema validates the built-in pack against
// schemas/rulepack.schema.json, and the schema's scopes against the engine's.
func TestBuiltinMatchesSchema(t *testing.T) {
	raw, _ := schemas.FS.ReadFile("rulepack.schema.json")
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AddResource(schemas.RulePackURL, doc)
	sch, err := c.Compile(schemas.RulePackURL)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := builtinFS.ReadFile("packs/okrmap-default.yaml")
	var v any
	if err := yaml.Unmarshal(text, &v); err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(v); err != nil {
		t.Error(err)
	}
	var s struct {
		Defs struct {
			Rule struct {
				Properties struct {
					Scope struct{ Enum []string }
				}
			}
		} `json:"$defs"`
	}
	json.Unmarshal(raw, &s)
	if !slices.Equal(s.Defs.Rule.Properties.Scope.Enum, Scopes) {
		t.Errorf("schema scopes %v, engine %v", s.Defs.Rule.Properties.Scope.Enum, Scopes)
	}
}
