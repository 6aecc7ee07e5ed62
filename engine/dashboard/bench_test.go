package dashboard_test

import (
	"io"
	"net/http"
	"os"
	"strconv"
	"testing"
)

// BenchmarkPages measures the server time of each page, and the bytes it
// sends, on a generated plan of OKRMAP_BENCH_KPIS KPIs (100,000 unless
// set) with 15 teams and two stored audits, once the caches are warm:
//
//	go test ./engine/dashboard -run '^$' -bench Pages -benchtime 20x
func BenchmarkPages(b *testing.B) {
	n := 100000
	if v, err := strconv.Atoi(os.Getenv("OKRMAP_BENCH_KPIS")); err == nil && v > 0 {
		n = v
	}
	s := newLargeSite(b, n, 15)
	s.audit()
	s.audit()
	// Warm up as a running server is: the graph read after the audits'
	// writes, the runs and their diff read once.
	if resp, err := http.Get(s.url + "/"); err == nil {
		resp.Body.Close()
	}
	for _, path := range []string{"/", "/map", "/map?q=kpi-09999", "/map/children?path=l.0.0", "/teams/marketing-2",
		"/kpis/kpi-000001", "/key-results/kr-00001-0", "/audits", "/audits/2", "/audits/diff", "/rules"} {
		b.Run(path, func(b *testing.B) {
			size := 0
			for b.Loop() {
				resp, err := http.Get(s.url + path)
				if err != nil {
					b.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("%s: %d", path, resp.StatusCode)
				}
				size = len(body)
			}
			b.ReportMetric(float64(size), "bytes/page")
		})
	}
}
