package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"

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

// placeholder marks where list n of a skeleton goes.
type placeholder int

func (p placeholder) MarshalJSON() ([]byte, error) {
	return fmt.Appendf(nil, `"\u0000list-%d"`, p), nil
}

func (jsonWriter) Write(w io.Writer, r *Report) error {
	return writeJSON(w, jsonReport{
		Run:  jsonRun{AuditRun: r.Run, Findings: 0},
		Diff: jsonDiff{Diff: r.Diff, New: 1, Resolved: 2, Persisting: 3},
	}, findingList(r.Run.Findings), findingList(r.Diff.New), findingList(r.Diff.Resolved), findingList(r.Diff.Persisting))
}

// jsonList is an array written element by element: Len elements, element i
// being At(i).
type jsonList struct {
	Len int
	At  func(i int) any
}

func findingList(fs []engine.Finding) jsonList {
	return jsonList{len(fs), func(i int) any { return &fs[i] }}
}

// writeJSON writes skeleton indented as json.MarshalIndent would, with
// list n written in place of placeholder(n) one element at a time, so a
// large document is never held in memory whole.
func writeJSON(w io.Writer, skeleton any, lists ...jsonList) error {
	doc, err := json.MarshalIndent(skeleton, "", "  ")
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	for n, list := range lists {
		mark, _ := placeholder(n).MarshalJSON()
		at := bytes.Index(doc, mark)
		if at < 0 {
			return fmt.Errorf("json: list %d has no place in the document", n)
		}
		bw.Write(doc[:at])
		line := doc[bytes.LastIndexByte(doc[:at], '\n')+1 : at]
		indent := line[:len(line)-len(bytes.TrimLeft(line, " "))]
		if err := writeList(bw, list, string(indent)); err != nil {
			return err
		}
		doc = doc[at+len(mark):]
	}
	bw.Write(doc)
	bw.WriteByte('\n')
	return bw.Flush()
}

// writeList writes an array as json.MarshalIndent would inside an object
// indented by indent.
func writeList(w *bufio.Writer, l jsonList, indent string) error {
	if l.Len == 0 {
		_, err := w.WriteString("[]")
		return err
	}
	inner := indent + "  "
	var buf []byte
	// encoding/json/v2 with v1's semantics writes what encoding/json
	// does, about twice as fast.
	opts := jsonv2.JoinOptions(jsonv1.DefaultOptionsV1(), jsontext.WithIndentPrefix(inner), jsontext.WithIndent("  "))
	w.WriteString("[\n")
	for i := range l.Len {
		var err error
		if buf, err = jsonv2.Marshal(l.At(i), opts); err != nil {
			return err
		}
		w.WriteString(inner)
		w.Write(buf)
		if i < l.Len-1 {
			w.WriteByte(',')
		}
		w.WriteByte('\n')
	}
	_, err := w.WriteString(indent + "]")
	return err
}
