// Package notify posts audit summaries to webhooks.
package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
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

// Target is a webhook: where to post, in which payload, and the secret
// that signs it.
type Target struct {
	URL string `mapstructure:"url" json:"url"`
	// Format is json (the Summary) or slack (a Slack-compatible message
	// with blocks); "" is json.
	Format string `mapstructure:"format" json:"format,omitempty"`
	// Secret, when set, signs each body with HMAC-SHA256 in the
	// X-Okrmap-Signature header: sha256=<hex>.
	Secret string `mapstructure:"secret" json:"-"`
}

// Formats are the payload formats a target can ask for.
var Formats = []string{"json", "slack"}

// SignatureHeader carries the body's HMAC-SHA256 when a target has a secret.
const SignatureHeader = "X-Okrmap-Signature"

// Check reports what is wrong with a target.
func (t Target) Check() error {
	u, err := url.Parse(t.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("webhook %s is not an http or https URL", Redact(t.URL))
	}
	if t.Format != "" && !slices.Contains(Formats, t.Format) {
		return fmt.Errorf("webhook format %q: use json or slack", t.Format)
	}
	return nil
}

// Body renders s in the target's format.
func (t Target) Body(s Summary) ([]byte, error) {
	if t.Format == "slack" {
		return json.Marshal(slackMessage(s))
	}
	return json.Marshal(s)
}

// Send posts s to the target, signed when it has a secret (see Post).
func Send(ctx context.Context, t Target, s Summary) error {
	if err := t.Check(); err != nil {
		return err
	}
	body, err := t.Body(s)
	if err != nil {
		return err
	}
	return PostBody(ctx, t, body, Options{})
}

// slackMessage is a Slack-compatible message: the summary line as text
// (shown in notifications) and blocks with the counts and new findings.
func slackMessage(s Summary) map[string]any {
	blocks := []map[string]any{
		{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": "*" + s.Text + "*"}},
		{"type": "section", "fields": []map[string]any{
			{"type": "mrkdwn", "text": fmt.Sprintf("*Errors* %d", s.Counts["error"])},
			{"type": "mrkdwn", "text": fmt.Sprintf("*Warnings* %d", s.Counts["warning"])},
			{"type": "mrkdwn", "text": fmt.Sprintf("*Score* %.1f (%+.1f)", s.Score, s.ScoreChange)},
			{"type": "mrkdwn", "text": fmt.Sprintf("*New* %d  *Resolved* %d", len(s.New), len(s.Resolved))},
		}},
	}
	var lines []string
	for i, f := range s.New {
		if i == 10 {
			lines = append(lines, fmt.Sprintf("... and %d more", len(s.New)-10))
			break
		}
		lines = append(lines, fmt.Sprintf("• `%s` %s: %s", f.Severity, f.Entity, f.Message))
	}
	if len(lines) > 0 {
		blocks = append(blocks, map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": strings.Join(lines, "\n")}})
	}
	return map[string]any{"text": s.Text, "blocks": blocks}
}

// Options tune delivery.
type Options struct {
	Attempts int           // tries in all; default 4
	Timeout  time.Duration // per try; default 10s
	Backoff  time.Duration // before the second try, doubling; default 1s
	// MaxRetryAfter caps how long a Retry-After answer makes Post wait;
	// default 1m.
	MaxRetryAfter time.Duration
	Client        *http.Client
}

// PostBody sends body to the target, retrying network errors, 429 and 5xx
// answers with exponential backoff, or after the delay a Retry-After header
// asks for. It gives up after the last attempt or when ctx ends, and says
// why.
func PostBody(ctx context.Context, t Target, body []byte, o Options) error {
	if o.Attempts <= 0 {
		o.Attempts = 4
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Second
	}
	if o.MaxRetryAfter <= 0 {
		o.MaxRetryAfter = time.Minute
	}
	if o.Client == nil {
		o.Client = noRedirects
	}
	wait := o.Backoff
	var last error
	for attempt := 1; attempt <= o.Attempts; attempt++ {
		retry, after, err := post(ctx, o, t, body)
		if err == nil {
			return nil
		}
		last = err
		if !retry || attempt == o.Attempts {
			break
		}
		pause := wait
		if after > 0 {
			pause = min(after, o.MaxRetryAfter)
		}
		select {
		case <-time.After(pause):
		case <-ctx.Done():
			return fmt.Errorf("notify %s: %w (last error: %v)", Redact(t.URL), ctx.Err(), last)
		}
		wait *= 2
	}
	return fmt.Errorf("notify %s: %w", Redact(t.URL), last)
}

// noRedirects posts once and reports a redirect as the answer: following
// one would turn the POST into a bodiless GET, or send it elsewhere.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// Redact hides a URL's credentials, path and query, which often hold a
// webhook's secret (Slack's hooks do), for messages and logs.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(webhook)"
	}
	return u.Scheme + "://" + u.Host + "/…"
}

// Sign returns the signature header value of body under secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func post(ctx context.Context, o Options, t Target, body []byte) (retry bool, after time.Duration, err error) {
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL, bytes.NewReader(body))
	if err != nil {
		return false, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "okrmap")
	if t.Secret != "" {
		req.Header.Set(SignatureHeader, Sign(t.Secret, body))
	}
	resp, err := o.Client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its message repeats the URL
		}
		return true, 0, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode < 300:
		return false, 0, nil
	case resp.StatusCode < 400:
		return false, 0, fmt.Errorf("the webhook answered %s, a redirect; okrmap does not follow redirects: use the URL it redirects to", resp.Status)
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return true, retryAfter(resp.Header.Get("Retry-After")), fmt.Errorf("the webhook answered %s", resp.Status)
	}
	return false, 0, fmt.Errorf("the webhook answered %s", resp.Status)
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, time.Until(t))
	}
	return 0
}
