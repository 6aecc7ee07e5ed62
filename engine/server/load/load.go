// Package load drives a running okrmap server with the request mix of a
// company at work: many readers (a KPI with its trace, a team's tree, the
// latest audit summary) and some writers (measurements, check-ins), and
// reports latency per route and throughput. okrmap dev load runs it.
package load

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Options say what to send, how hard and for how long.
type Options struct {
	URL        string // the server, e.g. http://127.0.0.1:8080
	Token      string // a write token
	Clients    int
	Duration   time.Duration
	WriteShare float64 // of requests that write; 0.1 is one in ten
	KPIs       []string
	KeyResults []string
	Teams      []string
	Period     string // the trees' period
	// Tag is the note on every write, so they can be counted afterwards.
	Tag  string
	Seed uint64
}

// Stats are one route's figures.
type Stats struct {
	Route    string        `json:"route"`
	Count    int           `json:"count"`
	Errors   int           `json:"errors"`
	P50      time.Duration `json:"p50"`
	P99      time.Duration `json:"p99"`
	Max      time.Duration `json:"max"`
	Bytes    int64         `json:"bytes"`
	lat      []time.Duration
	firstErr string
}

// Result is what a run measured.
type Result struct {
	Elapsed  time.Duration
	Requests int
	Errors   int
	Routes   []*Stats
	// Acknowledged writes: answered 201, so they must be stored.
	Measurements int
	CheckIns     int
	FirstErrors  []string
}

// PerSecond is the throughput.
func (r *Result) PerSecond() float64 { return float64(r.Requests) / r.Elapsed.Seconds() }

type sample struct {
	route string
	took  time.Duration
	bytes int64
	err   string
	write string // "m" or "c" when an acknowledged write
}

// Run sends requests from o.Clients clients until o.Duration has passed or
// ctx ends.
func Run(ctx context.Context, o Options) (*Result, error) {
	if len(o.KPIs) == 0 || len(o.KeyResults) == 0 || len(o.Teams) == 0 {
		return nil, fmt.Errorf("load: name KPIs, key results and teams to use")
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.Clients, MaxConnsPerHost: o.Clients}, Timeout: time.Minute}
	ctx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	samples := make([][]sample, o.Clients)
	var wg sync.WaitGroup
	start := time.Now()
	for c := range o.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(o.Seed, uint64(c)))
			for ctx.Err() == nil {
				s := one(ctx, client, o, rng)
				if ctx.Err() != nil && s.err != "" {
					break // cut off by the end of the run
				}
				samples[c] = append(samples[c], s)
			}
		}()
	}
	wg.Wait()
	res := &Result{Elapsed: time.Since(start)}
	byRoute := map[string]*Stats{}
	for _, ss := range samples {
		for _, s := range ss {
			st := byRoute[s.route]
			if st == nil {
				st = &Stats{Route: s.route}
				byRoute[s.route] = st
				res.Routes = append(res.Routes, st)
			}
			st.Count++
			st.Bytes += s.bytes
			st.lat = append(st.lat, s.took)
			res.Requests++
			if s.err != "" {
				st.Errors++
				res.Errors++
				if st.firstErr == "" {
					st.firstErr = s.err
					res.FirstErrors = append(res.FirstErrors, s.route+": "+s.err)
				}
			}
			switch s.write {
			case "m":
				res.Measurements++
			case "c":
				res.CheckIns++
			}
		}
	}
	for _, st := range res.Routes {
		slices.Sort(st.lat)
		st.P50, st.P99, st.Max = quantile(st.lat, 0.50), quantile(st.lat, 0.99), st.lat[len(st.lat)-1]
	}
	slices.SortFunc(res.Routes, func(a, b *Stats) int { return b.Count - a.Count })
	return res, nil
}

func quantile(sorted []time.Duration, q float64) time.Duration {
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func one(ctx context.Context, client *http.Client, o Options, rng *rand.Rand) sample {
	var route, method, path string
	var body any
	write := ""
	if rng.Float64() < o.WriteShare {
		method = "POST"
		if rng.IntN(2) == 0 {
			route, path, write = "POST measurements", "/api/v1/measurements", "m"
			body = map[string]any{"measurements": []map[string]any{{"kpi": o.KPIs[rng.IntN(len(o.KPIs))], "value": rng.Float64() * 1000, "note": o.Tag}}}
		} else {
			route, path, write = "POST checkins", "/api/v1/checkins", "c"
			body = map[string]any{"checkins": []map[string]any{{"key_result": o.KeyResults[rng.IntN(len(o.KeyResults))], "value": rng.Float64() * 1000, "note": o.Tag}}}
		}
	} else {
		method = "GET"
		switch r := rng.IntN(10); {
		case r < 6:
			route, path = "GET kpi", "/api/v1/entities/kpis/"+o.KPIs[rng.IntN(len(o.KPIs))]
		case r < 8:
			route, path = "GET tree", "/api/v1/tree?depth=3&period="+o.Period+"&team="+o.Teams[rng.IntN(len(o.Teams))]
		default:
			route, path = "GET scorecard", "/api/v1/scorecard"
		}
	}
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequestWithContext(ctx, method, o.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+o.Token)
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return sample{route: route, took: time.Since(start), err: err.Error()}
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	s := sample{route: route, took: time.Since(start), bytes: n}
	want := http.StatusOK
	if method == "POST" {
		want = http.StatusCreated
	}
	// The scorecard is 404 until the first audit of the scope is stored.
	if resp.StatusCode != want && !(route == "GET scorecard" && resp.StatusCode == http.StatusNotFound) {
		s.err = resp.Status
		return s
	}
	if resp.StatusCode == want {
		s.write = write
	}
	return s
}
