package plan

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/okrmap/okrmap/engine"
)

// FuzzParse feeds arbitrary bytes to the plan parser. It must never panic,
// must report every failure as engine.Problems, and a plan it accepts must
// survive validation and a write/re-read round trip.
func FuzzParse(f *testing.F) {
	f.Add([]byte(validPlan))
	f.Add([]byte(`{"version": 1, "kpis": [{"key": "a", "name": "A", "links": [{"to": "a"}]}]}`))
	f.Add([]byte("version: 1\na: &x [*x]\n"))
	files, _ := filepath.Glob("../../examples/saas-b2b/*.yaml")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		set, err := Parse("fuzz.yaml", data)
		if err != nil {
			var ps engine.Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("error is not engine.Problems: %T %v", err, err)
			}
			return
		}
		if err := set.Validate(); err != nil {
			var ps engine.Problems
			if !errors.As(err, &ps) {
				t.Fatalf("validation error is not engine.Problems: %T %v", err, err)
			}
			return
		}
		var buf bytes.Buffer
		if err := Write(&buf, set.Plan, "yaml"); err != nil {
			t.Fatalf("write: %v", err)
		}
		if _, err := Parse("again.yaml", buf.Bytes()); err != nil {
			t.Fatalf("a valid plan did not survive write and re-read: %v\n%s", err, buf.String())
		}
	})
}
