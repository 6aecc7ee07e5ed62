package service

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/connect"
	"github.com/okrmap/okrmap/engine/resolve"
)

// Sync defaults, when a connector does not set its own.
const (
	DefaultSyncLimit   = 4
	DefaultSyncTimeout = 30 * time.Second
)

// SyncRequest says which KPIs to read from their connectors.
type SyncRequest struct {
	// KPIs, when set, are read whether due or not; else every KPI with a
	// measure whose value is due.
	KPIs []string
	// Connectors, when set, limits the sync to KPIs read from these.
	Connectors []string
	DryRun     bool
	Author     string
}

// SyncItem is what a sync did for one KPI.
type SyncItem struct {
	KPI       string `json:"kpi"`
	Connector string `json:"connector"`
	// Status is stored (new values), unchanged (values already stored),
	// read (a dry run), skipped (not due) or failed.
	Status string `json:"status"`
	// Readings counts the values read; Stored those stored anew.
	Readings int                 `json:"readings"`
	Stored   int                 `json:"stored"`
	Latest   *engine.Measurement `json:"latest,omitempty"` // the newest value read
	Error    string              `json:"error,omitempty"`
}

// SyncResult is a sync's outcome, KPI by KPI.
type SyncResult struct {
	Items  []SyncItem `json:"items"`
	Failed int        `json:"failed"`
	Stored int        `json:"stored"`
}

// Sync reads the due KPIs (or those asked for) from their connectors,
// each connector with its own limit of reads at once and timeout per read,
// and stores each connector's values and sync statuses in one
// transaction. Values already stored (same KPI, time and value) are not
// stored again, so running it twice stores nothing new. A failing source
// fails its KPIs only; nothing is deleted. A value read without a time is
// dated at the start of the day (UTC), or at the time of the read when
// that day already has another value.
func (s *Service) Sync(ctx context.Context, req SyncRequest) (*SyncResult, error) {
	now := s.opt.Now().UTC()
	_, snap, err := s.Graph(ctx, engine.Date{})
	if err != nil {
		return nil, err
	}
	byConn, res, err := s.dueKPIs(snap, req, now)
	if err != nil {
		return nil, err
	}
	per, err := engine.ParsePeriod(fmt.Sprintf("%d-Q%d", now.Year(), (int(now.Month())+2)/3))
	if err != nil {
		return nil, err
	}
	start, end := per.Start.Time(), per.End.AddDays(1).Time()
	names := make([]string, 0, len(byConn))
	for n := range byConn {
		names = append(names, n)
	}
	sort.Strings(names)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, name := range names {
		wg.Add(1)
		go func() { // connectors run side by side: a slow one holds up no other
			defer wg.Done()
			items := s.syncConnector(ctx, name, byConn[name], req, snap.Latest, now, start, end)
			mu.Lock()
			res.Items = append(res.Items, items...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.SortFunc(res.Items, func(a, b SyncItem) int { return strings.Compare(a.KPI, b.KPI) })
	for _, it := range res.Items {
		if it.Status == "failed" {
			res.Failed++
		}
		res.Stored += it.Stored
	}
	return res, nil
}

// dueKPIs groups the KPIs to read by connector; those not due are listed
// as skipped.
func (s *Service) dueKPIs(snap *engine.Snapshot, req SyncRequest, now time.Time) (map[string][]engine.KPI, *SyncResult, error) {
	res := &SyncResult{Items: []SyncItem{}}
	asked := map[string]bool{}
	for _, k := range req.KPIs {
		asked[k] = true
	}
	byConn := map[string][]engine.KPI{}
	for _, k := range snap.Plan.KPIs {
		if k.Measure == nil || len(req.Connectors) > 0 && !slices.Contains(req.Connectors, k.Measure.From) {
			continue
		}
		if len(req.KPIs) > 0 {
			if !asked[k.Key] {
				continue
			}
			delete(asked, k.Key) // found; what is left is missing
		} else if !due(k, snap.Latest, now) {
			res.Items = append(res.Items, SyncItem{KPI: k.Key, Connector: k.Measure.From, Status: "skipped"})
			continue
		}
		byConn[k.Measure.From] = append(byConn[k.Measure.From], k)
	}
	if len(asked) > 0 {
		var missing []string
		for k := range asked {
			missing = append(missing, k)
		}
		sort.Strings(missing)
		return nil, nil, engine.Errorf(engine.EINVALID, "--kpi %s: no such KPI with a measure%s; okrmap get kpis lists them",
			strings.Join(missing, ", "), connectorsNote(req.Connectors))
	}
	for _, c := range req.Connectors {
		if _, ok := s.opt.Connectors[c]; !ok {
			return nil, nil, engine.Errorf(engine.EINVALID, "--connector %s: no connector of that name in the configuration (connectors.%s)", c, c)
		}
	}
	return byConn, res, nil
}

func connectorsNote(cs []string) string {
	if len(cs) == 0 {
		return ""
	}
	return " read from " + strings.Join(cs, ", ")
}

// due reports whether k's value is due: never measured, or measured at
// least its window (its measure's every, else its frequency) of days ago.
func due(k engine.KPI, latest map[string]engine.Measurement, now time.Time) bool {
	m, ok := latest[k.Key]
	if !ok {
		return true
	}
	every := k.Measure.Every
	if every == "" {
		every = k.Frequency
	}
	days := engine.DateOf(now).Time().Sub(engine.DateOf(m.At.UTC()).Time()).Hours() / 24
	return days >= float64(resolve.FrequencyDays(every))
}

// syncConnector reads kpis from connector name and stores what it read,
// and each KPI's sync status, in one transaction.
func (s *Service) syncConnector(ctx context.Context, name string, kpis []engine.KPI, req SyncRequest,
	latest map[string]engine.Measurement, now, start, end time.Time) []SyncItem {
	items := make([]SyncItem, len(kpis))
	for i, k := range kpis {
		items[i] = SyncItem{KPI: k.Key, Connector: name}
	}
	fail := func(err error) []SyncItem {
		for i := range items {
			items[i].Status, items[i].Error = "failed", oneLine(err)
		}
		return items
	}
	cfg, ok := s.opt.Connectors[name]
	if !ok {
		items = fail(fmt.Errorf("no connector %q in the configuration; add connectors.%s", name, name))
		s.storeSync(ctx, name, items, nil, req, now)
		return items
	}
	conn, err := connect.Open(name, cfg)
	if err != nil {
		items = fail(err)
		s.storeSync(ctx, name, items, nil, req, now)
		return items
	}
	defer conn.Close()
	limit, timeout := cfg.Limit, cfg.Timeout
	if limit <= 0 {
		limit = DefaultSyncLimit
	}
	if timeout <= 0 {
		timeout = DefaultSyncTimeout
	}
	readings := make([][]connect.Reading, len(kpis))
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i, k := range kpis {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			rctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			rs, err := conn.Read(rctx, connect.Request{KPI: k.Key, Measure: *k.Measure, Start: start, End: end, Now: now})
			if err != nil {
				if rctx.Err() == context.DeadlineExceeded {
					err = fmt.Errorf("no answer within %s (connectors.%s.timeout): %w", timeout, name, err)
				}
				items[i].Status, items[i].Error = "failed", oneLine(err)
				return
			}
			readings[i] = rs
		}()
	}
	wg.Wait()
	var ms []engine.Measurement
	author := req.Author
	if author == "" {
		author = "sync:" + name
	}
	for i, k := range kpis {
		if items[i].Status == "failed" {
			continue
		}
		items[i].Readings = len(readings[i])
		if err := s.checkReadings(k.Key, readings[i], now); err != nil {
			items[i].Status, items[i].Error = "failed", oneLine(err)
			continue
		}
		for _, r := range readings[i] {
			m := engine.Measurement{KPI: k.Key, Value: r.Value, At: r.At, Author: author, Note: "synced from " + name}
			if m.At.IsZero() {
				m.At = dayOf(now)
				if l, ok := latest[k.Key]; ok && l.At.Equal(m.At) && l.Value != m.Value {
					m.At = now // the day has another value: this one supersedes it
				}
			}
			if items[i].Latest == nil || m.At.After(items[i].Latest.At) {
				mm := m
				items[i].Latest = &mm
			}
			ms = append(ms, m)
		}
		items[i].Status = "read"
	}
	stored := s.storeSync(ctx, name, items, ms, req, now)
	for i := range items {
		if items[i].Status == "read" && !req.DryRun {
			items[i].Stored = stored[items[i].KPI]
			items[i].Status = "unchanged"
			if items[i].Stored > 0 {
				items[i].Status = "stored"
			}
		}
	}
	return items
}

// storeSync stores ms and the sync status of items in one transaction and
// returns how many values each KPI stored anew. A dry run stores nothing.
func (s *Service) storeSync(ctx context.Context, name string, items []SyncItem, ms []engine.Measurement, req SyncRequest, now time.Time) map[string]int {
	if req.DryRun {
		return nil
	}
	b := engine.Batch{Measurements: ms}
	for _, it := range items {
		b.Syncs = append(b.Syncs, engine.SyncStatus{KPI: it.KPI, Connector: name, At: now, Error: it.Error})
	}
	rec, err := s.Record(ctx, b)
	if err != nil {
		for i := range items {
			if items[i].Status != "failed" {
				items[i].Status, items[i].Error = "failed", "storing what was read: "+oneLine(err)
			}
		}
		return nil
	}
	return rec.StoredBy
}

// dayOf is the start of t's day, UTC.
func dayOf(t time.Time) time.Time { return engine.DateOf(t.UTC()).Time() }

// checkReadings refuses values dated in the future, as Record would, so
// one KPI's bad date fails that KPI only.
func (s *Service) checkReadings(kpi string, rs []connect.Reading, now time.Time) error {
	for _, r := range rs {
		if r.At.After(now.Add(s.opt.FutureTolerance)) {
			return s.futureError(kpi, r.At)
		}
	}
	return nil
}

// oneLine is err's message on one line, as a table cell or a finding
// shows it.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
