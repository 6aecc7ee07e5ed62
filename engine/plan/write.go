package plan

import (
	"encoding/json"
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"

	"github.com/okrmap/okrmap/engine"
)

// Write encodes p as a plan file in format "yaml" or "json".
func Write(w io.Writer, p *engine.Plan, format string) error {
	switch format {
	case "yaml", "yml", "":
		enc := yaml.NewEncoder(w)
		enc.SetIndent(2)
		if err := enc.Encode(p); err != nil {
			return fmt.Errorf("write plan: %w", err)
		}
		return enc.Close()
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(p); err != nil {
			return fmt.Errorf("write plan: %w", err)
		}
		return nil
	}
	return engine.Errorf(engine.EINVALID, "unknown plan format %q: use yaml or json", format)
}
