package plan

import (
	"bytes"
	"testing"

	"github.com/okrmap/okrmap/engine/gen"
)

// BenchmarkParse reads a generated 10,000-KPI plan file: parsing (a YAML
// node tree, or encoding/json on the JSON fast path), schema validation and
// decoding.
func BenchmarkParse(b *testing.B) {
	p, err := gen.Plan(gen.Options{KPIs: 10000, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	for _, format := range []string{"yaml", "json"} {
		var buf bytes.Buffer
		if err := Write(&buf, p, format); err != nil {
			b.Fatal(err)
		}
		b.Run(format, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(buf.Len()))
			for range b.N {
				if _, err := Parse("bench."+format, buf.Bytes()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
