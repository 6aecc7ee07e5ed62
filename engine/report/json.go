package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"sync"

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
// indented by indent. Runs of elements are encoded on every core at once
// and written in order.
func writeList(w *bufio.Writer, l jsonList, indent string) error {
	if l.Len == 0 {
		_, err := w.WriteString("[]")
		return err
	}
	inner := indent + "  "
	// encoding/json/v2 with v1's semantics writes what encoding/json
	// does, about twice as fast.
	opts := jsonv2.JoinOptions(jsonv1.DefaultOptionsV1(), jsontext.WithIndentPrefix(inner), jsontext.WithIndent("  "))
	const run = 256 // elements a goroutine encodes at a time
	bufs := make([][]byte, runtime.GOMAXPROCS(0))
	errs := make([]error, len(bufs))
	w.WriteString("[\n")
	for from := 0; from < l.Len; from += run * len(bufs) {
		var wg sync.WaitGroup
		for j := range bufs {
			start := from + j*run
			end := min(start+run, l.Len)
			bufs[j] = bufs[j][:0]
			if start >= end {
				continue
			}
			wg.Go(func() { bufs[j], errs[j] = appendElements(bufs[j], l, start, end, inner, opts) })
		}
		wg.Wait()
		for j, b := range bufs {
			if errs[j] != nil {
				return errs[j]
			}
			w.Write(b)
		}
	}
	_, err := w.WriteString(indent + "]")
	return err
}

// appendElements appends elements start to end of l to b, each on lines
// of its own after inner and followed by a comma unless it is the last.
func appendElements(b []byte, l jsonList, start, end int, inner string, opts jsonv2.Options) ([]byte, error) {
	for i := start; i < end; i++ {
		b = append(b, inner...)
		v, err := jsonv2.Marshal(l.At(i), opts)
		if err != nil {
			return b, err
		}
		b = append(b, v...)
		if i < l.Len-1 {
			b = append(b, ',')
		}
		b = append(b, '\n')
	}
	return b, nil
}
