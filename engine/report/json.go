package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/audit"
)

// jsonWriter writes the complete run and its diff, as described by
// schemas/audit.schema.json. Finding lists are written one finding at a
// time, so a large run is never held as one JSON document in memory.
type jsonWriter struct{}

// The report's shape with each finding list replaced by a placeholder;
// the embedded fields keep their names, the lists follow them.
type jsonReport struct {
	Run  jsonRun  `json:"run"`
	Diff jsonDiff `json:"diff"`
}

type jsonRun struct {
	*engine.AuditRun
	Findings placeholder `json:"findings"`
}

type jsonDiff struct {
	audit.Diff
	New        placeholder `json:"new"`
	Resolved   placeholder `json:"resolved"`
	Persisting placeholder `json:"persisting"`
}

// placeholder marks where a finding list goes in the skeleton.
type placeholder int

func (p placeholder) MarshalJSON() ([]byte, error) {
	return fmt.Appendf(nil, `"\u0000list-%d"`, p), nil
}

func (jsonWriter) Write(w io.Writer, r *Report) error {
	lists := [][]engine.Finding{r.Run.Findings, r.Diff.New, r.Diff.Resolved, r.Diff.Persisting}
	skeleton, err := json.MarshalIndent(jsonReport{
		Run:  jsonRun{AuditRun: r.Run, Findings: 0},
		Diff: jsonDiff{Diff: r.Diff, New: 1, Resolved: 2, Persisting: 3},
	}, "", "  ")
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	for i, list := range lists {
		mark := fmt.Appendf(nil, `"\u0000list-%d"`, i)
		at := bytes.Index(skeleton, mark)
		if at < 0 {
			return fmt.Errorf("json report: list %d has no place", i)
		}
		bw.Write(skeleton[:at])
		line := skeleton[bytes.LastIndexByte(skeleton[:at], '\n')+1 : at]
		indent := line[:len(line)-len(bytes.TrimLeft(line, " "))]
		if err := writeFindings(bw, list, string(indent)); err != nil {
			return err
		}
		skeleton = skeleton[at+len(mark):]
	}
	bw.Write(skeleton)
	bw.WriteByte('\n')
	return bw.Flush()
}

// writeFindings writes an array of findings as json.MarshalIndent would
// inside an object indented by indent.
func writeFindings(w *bufio.Writer, fs []engine.Finding, indent string) error {
	if len(fs) == 0 {
		_, err := w.WriteString("[]")
		return err
	}
	inner := indent + "  "
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf) // reuses its buffers from finding to finding
	enc.SetIndent(inner, "  ")
	w.WriteString("[\n")
	for i := range fs {
		buf.Reset()
		if err := enc.Encode(&fs[i]); err != nil {
			return err
		}
		w.WriteString(inner)
		w.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
		if i < len(fs)-1 {
			w.WriteByte(',')
		}
		w.WriteByte('\n')
	}
	_, err := w.WriteString(indent + "]")
	return err
}
