package host_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/gen"
	"github.com/okrmap/okrmap/engine/resolve"
	"github.com/okrmap/okrmap/plugins/host"
	"github.com/okrmap/okrmap/plugins/saas"
	"github.com/okrmap/okrmap/plugins/sdk"
	"github.com/okrmap/okrmap/plugins/sdk/sdktest"
)

// BenchmarkSaaSPlugin runs the saas plugin over a generated 100,000-KPI
// graph: as a plugin binary (start, batches over gRPC, findings back, stop)
// and the same checks in-process on the same batches. It reports the bytes
// sent to the plugin.
func BenchmarkSaaSPlugin(b *testing.B) {
	p, err := gen.Plan(gen.Options{KPIs: 100000, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	latest := map[string]engine.Measurement{}
	for _, k := range p.KPIs {
		latest[k.Key] = engine.Measurement{KPI: k.Key, Value: 2}
	}
	g := resolve.Resolve(resolve.Input{Plan: p, Latest: latest, Today: engine.NewDate(2026, 11, 20)})
	bin := filepath.Join(b.TempDir(), "okrmap-plugin-saas")
	sdktest.BuildTo(b, "github.com/okrmap/okrmap/plugins/saas/cmd/okrmap-plugin-saas", bin)
	sum, _ := host.FileSHA256(bin)
	// 13 weekly measurements per KPI: the history a 90-day window sends.
	history := &host.History{Measurements: map[string][]engine.Measurement{}}
	for _, m := range gen.History(p, 13, time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), 1) {
		history.Measurements[m.KPI] = append(history.Measurements[m.KPI], m)
	}
	for _, c := range []struct {
		name string
		h    *host.History
	}{{"binary", nil}, {"binary-with-history", history}} {
		bytes := 0
		batches, _ := host.Batches(g, c.h)
		for _, m := range batches {
			bytes += proto.Size(m)
		}
		b.Run(c.name, func(b *testing.B) {
			for range b.N {
				batches, keys := host.Batches(g, c.h) // conversion counts toward the plugin stage
				if _, err := host.Run(context.Background(), host.Spec{Name: "saas", Path: bin, SHA256: sum}, batches, keys); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(bytes)/(1<<20), "MiB-sent")
		})
	}
	b.Run("binary-empty-graph", func(b *testing.B) {
		empty, keys := host.Batches(resolve.Resolve(resolve.Input{Plan: &engine.Plan{}, Today: engine.NewDate(2026, 11, 20)}), nil)
		for range b.N {
			if _, err := host.Run(context.Background(), host.Spec{Name: "saas", Path: bin, SHA256: sum}, empty, keys); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("in-process", func(b *testing.B) {
		for range b.N {
			batches, _ := host.Batches(g, nil)
			if _, err := sdk.Adapt(&saas.Plugin{}).Check(context.Background(), batches); err != nil {
				b.Fatal(err)
			}
		}
	})
}
