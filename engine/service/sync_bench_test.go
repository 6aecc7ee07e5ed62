package service

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/connect"
	"github.com/okrmap/okrmap/engine/gen"
	"github.com/okrmap/okrmap/engine/testenv"
)

// BenchmarkSyncPostgres syncs a generated plan of 10,000 KPIs, each read
// from a PostgreSQL server with its own query (one indexed row each), and
// stores the values: one op is one whole sync, every KPI due.
//
//	go test ./engine/service -run '^$' -bench SyncPostgres -benchtime 3x
func BenchmarkSyncPostgres(b *testing.B) {
	const n = 10000
	addr, pw := testenv.Postgres(b)
	dsn := fmt.Sprintf("postgres://okrmap:%s@%s/postgres?sslmode=disable", pw, addr)
	src, err := sql.Open("pgx", dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	for _, q := range []string{
		"CREATE TABLE kpi_values (key text PRIMARY KEY, value numeric NOT NULL)",
		fmt.Sprintf("INSERT INTO kpi_values SELECT 'kpi-' || lpad(i::text, 6, '0'), i * 1.5 FROM generate_series(0, %d) AS i", n),
	} {
		if _, err := src.Exec(q); err != nil {
			b.Fatal(err)
		}
	}
	p, err := gen.Plan(gen.Options{KPIs: n, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	for i := range p.KPIs {
		k := &p.KPIs[i]
		k.Frequency = "daily"
		k.Measure = &engine.Measure{From: "warehouse", Query: "SELECT value FROM kpi_values WHERE key = '" + k.Key + "'"}
	}
	b.Setenv("OKRMAP_BENCH_DSN", dsn)
	clock := time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)
	s, err := Open(context.Background(), filepath.Join(b.TempDir(), "okrmap.db"), Options{Now: func() time.Time { return clock },
		Connectors: map[string]connect.Config{"warehouse": {Type: "postgres", DSNEnv: "OKRMAP_BENCH_DSN", Limit: 8}}})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := s.db.Apply(context.Background(), p, false); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		clock = clock.Add(24 * time.Hour) // every KPI is due again
		res, err := s.Sync(context.Background(), SyncRequest{})
		if err != nil || res.Failed > 0 || res.Stored != n {
			var first string
			for _, it := range res.Items {
				if it.Error != "" {
					first = it.Error
					break
				}
			}
			b.Fatalf("sync: %v; failed %d stored %d %s", err, res.Failed, res.Stored, strings.TrimSpace(first))
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "KPIs/s")
}
