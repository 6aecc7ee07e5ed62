package plan

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/okrmap/okrmap/engine"
)

// Write encodes p as a plan file in format "yaml" or "json".
func Write(w io.Writer, p *engine.Plan, format string) error {
	switch format {
	case "yaml", "yml", "":
		if err := writeYAML(w, p); err != nil {
			return fmt.Errorf("write plan: %w", err)
		}
		return nil
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

// writeYAML writes what one yaml.Encoder with an indent of 2 writes for p,
// a list item at a time: the encoder keeps a whole document in memory and
// slows down sharply on large plans.
func writeYAML(w io.Writer, p *engine.Plan) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	head := engine.Plan{Version: p.Version, Period: p.Period}
	if err := encodeYAML(bw, &head, ""); err != nil {
		return err
	}
	lists := []struct {
		key string
		n   int
		at  func(i int) any
	}{
		{"teams", len(p.Teams), func(i int) any { return &p.Teams[i] }},
		{"business_objectives", len(p.BusinessObjectives), func(i int) any { return &p.BusinessObjectives[i] }},
		{"objectives", len(p.Objectives), func(i int) any { return &p.Objectives[i] }},
		{"kpis", len(p.KPIs), func(i int) any { return &p.KPIs[i] }},
		{"assumptions", len(p.Assumptions), func(i int) any { return &p.Assumptions[i] }},
		{"investments", len(p.Investments), func(i int) any { return &p.Investments[i] }},
	}
	for _, l := range lists {
		if l.n == 0 {
			continue
		}
		bw.WriteString(l.key + ":\n")
		for i := range l.n {
			if err := encodeYAML(bw, l.at(i), "  - "); err != nil {
				return err
			}
		}
	}
	return bw.Flush()
}

// encodeYAML writes v as YAML; with a list-item prefix, the first line
// follows it and the others are indented to match.
func encodeYAML(w *bufio.Writer, v any, item string) error {
	var buf bytes.Buffer
	if err := EncodeYAML(&buf, v); err != nil {
		return err
	}
	if item == "" {
		_, err := w.Write(buf.Bytes())
		return err
	}
	rest := bytes.Repeat([]byte(" "), len(item))
	for i, line := range bytes.SplitAfter(buf.Bytes(), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		if i == 0 {
			w.WriteString(item)
		} else if len(line) > 1 {
			w.Write(rest)
		}
		w.Write(line)
	}
	return nil
}

// EncodeYAML writes v as one YAML document, indented by two, with numbers
// as plain decimals (9000000, not 9e+06).
func EncodeYAML(w io.Writer, v any) error {
	var n yaml.Node
	if err := n.Encode(v); err != nil {
		return err
	}
	plainFloats(&n)
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return err
	}
	return enc.Close()
}

// plainFloats rewrites float scalars in exponent form as plain decimals.
func plainFloats(n *yaml.Node) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!float" && strings.ContainsAny(n.Value, "eE") {
		if f, err := strconv.ParseFloat(n.Value, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			n.Value = strconv.FormatFloat(f, 'f', -1, 64)
			n.Tag = "" // plain: a whole number reads back as a number all the same
		}
	}
	for _, c := range n.Content {
		plainFloats(c)
	}
}
