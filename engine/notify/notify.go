// Package notify posts audit summaries to webhooks.
package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/audit"
)

// Summary is what a webhook receives after an audit that changed something.
type Summary struct {
	Run         int64            `json:"run"`
	Scope       string           `json:"scope"`
	Today       engine.Date      `json:"today"`
	Complete    bool             `json:"complete"`
	Counts      map[string]int   `json:"counts"`
	Score       float64          `json:"score"`
	ScoreChange float64          `json:"score_change"`
	Previous    int64            `json:"previous_run,omitempty"`
	New         []engine.Finding `json:"new"`
	Resolved    []engine.Finding `json:"resolved"`
	Report      string           `json:"report,omitempty"` // where the full report was written
	Text        string           `json:"text"`             // one line for chat tools
}

// NewSummary summarises a run and its diff.
func NewSummary(run *engine.AuditRun, d audit.Diff, reportPath string) Summary {
	s := Summary{Run: run.ID, Scope: run.Scope, Today: run.Today, Complete: run.Complete, Counts: run.Counts,
		Score: run.Scorecard.Company.Overall, ScoreChange: d.ScoreChange, Previous: d.From,
		New: d.New, Resolved: d.Resolved, Report: reportPath}
	if s.New == nil {
		s.New = []engine.Finding{}
	}
	if s.Resolved == nil {
		s.Resolved = []engine.Finding{}
	}
	s.Text = fmt.Sprintf("okrmap audit run %d (%s): %s", run.ID, run.Scope, d.Summary())
	return s
}

// Changed reports whether a diff is worth a notification: a first run, new
// or resolved findings, or a score change.
func Changed(d audit.Diff) bool {
	return d.From == 0 || len(d.New) > 0 || len(d.Resolved) > 0 || d.ScoreChange != 0
}

// Options tune delivery.
type Options struct {
	Attempts int           // tries in all; default 4
	Timeout  time.Duration // per try; default 10s
	Backoff  time.Duration // before the second try, doubling; default 1s
	Client   *http.Client
}

// Post sends s to url as JSON, retrying network errors, 429 and 5xx
// answers with exponential backoff. It gives up after the last attempt or
// when ctx ends, and says why.
func Post(ctx context.Context, url string, s Summary, o Options) error {
	if o.Attempts <= 0 {
		o.Attempts = 4
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Second
	}
	if o.Client == nil {
		o.Client = http.DefaultClient
	}
	body, err := json.Marshal(s)
	if err != nil {
		return err
	}
	wait := o.Backoff
	var last error
	for attempt := 1; attempt <= o.Attempts; attempt++ {
		retry, err := post(ctx, o, url, body)
		if err == nil {
			return nil
		}
		last = err
		if !retry || attempt == o.Attempts {
			break
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return fmt.Errorf("notify %s: %w (last error: %v)", url, ctx.Err(), last)
		}
		wait *= 2
	}
	return fmt.Errorf("notify %s: %w", url, last)
}

func post(ctx context.Context, o Options, url string, body []byte) (retry bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "okrmap")
	resp, err := o.Client.Do(req)
	if err != nil {
		return true, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode < 300:
		return false, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return true, fmt.Errorf("the webhook answered %s", resp.Status)
	}
	return false, fmt.Errorf("the webhook answered %s", resp.Status)
}
