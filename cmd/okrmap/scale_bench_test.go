package main

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/okrmap/okrmap/engine/testenv"
	"github.com/okrmap/okrmap/plugins/sdk/sdktest"
)

// BenchmarkScale runs the okrmap binary on generated plans as a user
// would: validate and lint (JSON and YAML), apply into a new database,
// apply again unchanged, and audit with a JSON report, both the first run
// of a database (SQLite only: it stores every finding) and a run after an
// unchanged one. Plans have 5 teams (the generator's defaults) or 1,000
// teams (10 objectives each, cascades up to 4 deep, driver chains up to
// 3); sizes are 10,000 and 100,000 KPIs,
// or those listed in OKRMAP_BENCH_KPIS (e.g. 10000,100000,1000000). Each
// reports the command's peak resident memory (peak-MiB) and KPIs per second.
// With OKRMAP_BENCH_POSTGRES=1, apply and audit also run on a PostgreSQL
// server the benchmark starts (store=postgres beside store=sqlite).
//
//	go test ./cmd/okrmap -run '^$' -bench Scale -benchtime 3x
func BenchmarkScale(b *testing.B) {
	dir := b.TempDir()
	bin := sdktest.BuildTo(b, ".", filepath.Join(dir, "okrmap"))
	sizes := []int{10000, 100000}
	if s := os.Getenv("OKRMAP_BENCH_KPIS"); s != "" {
		sizes = nil
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil {
				b.Fatalf("OKRMAP_BENCH_KPIS: %v", err)
			}
			sizes = append(sizes, n)
		}
	}
	run := func(b *testing.B, args ...string) *os.ProcessState {
		b.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "OKRMAP_CONFIG=", "XDG_CONFIG_HOME="+dir, "OKRMAP_LOG_LEVEL=")
		// Reports are thrown away, not held: a child starts with its
		// parent's peak memory as its own, so a benchmark process grown
		// by 100 MB reports would inflate every peak after them.
		var errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = io.Discard, &errOut
		err := cmd.Run()
		if err != nil && cmd.ProcessState.ExitCode() != 1 { // 1: findings
			b.Fatalf("okrmap %s: %v\n%.2000s", strings.Join(args, " "), err, errOut.Bytes())
		}
		return cmd.ProcessState
	}
	stores := map[string]func(b *testing.B) string{"sqlite": func(b *testing.B) string {
		f, err := os.CreateTemp(dir, "bench-*.db")
		if err != nil {
			b.Fatal(err)
		}
		f.Close()
		os.Remove(f.Name())
		return f.Name()
	}}
	if os.Getenv("OKRMAP_BENCH_POSTGRES") != "" {
		newDB := testenv.PostgresDatabases(b)
		stores["postgres"] = func(b *testing.B) string { return newDB(b) }
	}
	for _, teams := range []int{5, 1000} {
		for _, n := range sizes {
			base := filepath.Join(dir, fmt.Sprintf("t%d-k%d", teams, n))
			shape := []string{"--kpis", strconv.Itoa(n), "--teams", strconv.Itoa(teams)}
			if teams > 5 {
				shape = append(shape, "--objectives-per-team", "10", "--cascade-depth", "4", "--driver-chain", "3")
			}
			for _, format := range []string{"json", "yaml"} {
				run(b, append(append([]string{"dev", "gen"}, shape...), "-o", format, "--out-file", base+"."+format)...)
			}
			bench := func(name string, args func(i int) []string) {
				b.Run(fmt.Sprintf("%s/teams=%d/kpis=%d", name, teams, n), func(b *testing.B) {
					var peak int64
					for i := range b.N {
						b.StopTimer() // making a database or a copy is not the command's time
						a := args(i)
						b.StartTimer()
						st := run(b, a...)
						if ru, ok := st.SysUsage().(*syscall.Rusage); ok {
							peak = max(peak, ru.Maxrss)
						}
					}
					b.ReportMetric(float64(peak)/1024, "peak-MiB")
					b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "KPIs/s")
				})
			}
			for _, format := range []string{"json", "yaml"} {
				bench("validate-"+format, func(int) []string { return []string{"validate", base + "." + format} })
				bench("lint-"+format, func(int) []string {
					return []string{"lint", "--fail-on", "never", "-o", "json", base + "." + format}
				})
			}
			for _, store := range slices.Sorted(maps.Keys(stores)) {
				newDB := stores[store]
				db := newDB(b)
				run(b, "--db", db, "apply", base+".json")
				bench("apply-new/store="+store, func(int) []string {
					return []string{"--db", newDB(b), "apply", base + ".json"}
				})
				bench("reapply/store="+store, func(int) []string { return []string{"--db", db, "apply", base + ".json"} })
				audit := func(db string) []string { return []string{"--db", db, "audit", "--fail-on", "never", "-o", "json"} }
				if store == "sqlite" { // a copy of the file is a database with no run yet
					bench("audit-first/store="+store, func(int) []string {
						fresh := newDB(b)
						if err := copyFile(db, fresh); err != nil {
							b.Fatal(err)
						}
						return audit(fresh)
					})
				}
				run(b, audit(db)...)
				bench("audit-again/store="+store, func(int) []string { return audit(db) })
			}
		}
	}
}

func copyFile(from, to string) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, data, 0o600)
}
