package report

import (
	"encoding/json"
	"io"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/audit"
)

// jsonWriter writes the complete run and its diff, as described by
// schemas/audit.schema.json.
type jsonWriter struct{}

type jsonReport struct {
	Run  *engine.AuditRun `json:"run"`
	Diff audit.Diff       `json:"diff"`
}

func (jsonWriter) Write(w io.Writer, r *Report) error {
	run := *r.Run
	if run.Findings == nil {
		run.Findings = []engine.Finding{}
	}
	d := r.Diff
	for _, list := range []*[]engine.Finding{&d.New, &d.Resolved, &d.Persisting} {
		if *list == nil {
			*list = []engine.Finding{}
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(jsonReport{&run, d})
}
