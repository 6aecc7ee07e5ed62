package connect

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/csvimport"
)

// csvConn reads values from a CSV or TSV file on disk or at a URL, with
// one row per value: the kpi column names the row's KPI (measure.query,
// or the KPI's key), at its time and value its value. The file is read
// once per sync; every row of a KPI is a reading.
type csvConn struct {
	name    string
	cfg     Config
	secrets redactor

	once sync.Once
	rows map[string][]Reading
	bad  map[string]engine.Problems // the bad rows of each KPI
	err  error                      // what fails every KPI of the file
}

func openCSV(name string, c Config) (*csvConn, error) {
	return &csvConn{name: name, cfg: c}, nil
}

func (c *csvConn) Close() error { return nil }

func (c *csvConn) Read(ctx context.Context, req Request) ([]Reading, error) {
	c.once.Do(func() { c.err = c.load(ctx) })
	if c.err != nil {
		return nil, c.err
	}
	key := req.Measure.Query
	if key == "" {
		key = req.KPI
	}
	if ps := c.bad[key]; len(ps) > 0 {
		return nil, ps
	}
	rs := c.rows[key]
	if len(rs) == 0 {
		return nil, fmt.Errorf("no row of %s has %q in its kpi column", c.source(), key)
	}
	return rs, nil
}

func (c *csvConn) source() string {
	if c.cfg.Path != "" {
		return filepath.Base(c.cfg.Path)
	}
	return c.cfg.URL
}

// load reads the whole file, every row checked as okrmap import does; a
// bad row fails its own KPI only, unless it names none.
func (c *csvConn) load(ctx context.Context) error {
	var r io.Reader
	if c.cfg.Path != "" {
		if st, err := os.Stat(c.cfg.Path); err == nil && !st.Mode().IsRegular() {
			return fmt.Errorf("%s is not a regular file", c.cfg.Path)
		}
		f, err := os.Open(c.cfg.Path)
		if err != nil {
			return err
		}
		defer f.Close()
		r = bounded(f, c.cfg.Path)
	} else {
		h, err := openHTTP(c.name, c.cfg)
		if err != nil {
			return err
		}
		c.secrets = h.secrets
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.base.String(), nil)
		if err != nil {
			return err
		}
		req.Header = h.headers.Clone()
		resp, err := h.client.Do(req)
		if err != nil {
			return c.secrets.err(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("%s answered %s", req.URL.Redacted(), resp.Status)
		}
		r = bounded(resp.Body, req.URL.Redacted())
	}
	o := csvimport.Options{Headers: c.cfg.Columns}
	switch {
	case c.cfg.Comma == "tab" || c.cfg.Comma == "" && strings.HasSuffix(strings.ToLower(c.source()), ".tsv"):
		o.Comma = '\t'
	case c.cfg.Comma != "":
		o.Comma = rune(c.cfg.Comma[0])
	}
	ms, probs, err := csvimport.Rows(c.source(), r, o)
	if err != nil {
		return c.secrets.err(err)
	}
	c.rows, c.bad = map[string][]Reading{}, map[string]engine.Problems{}
	for _, p := range probs {
		if p.Key == "" { // a row that names no KPI may have been any KPI's
			return probs
		}
		c.bad[p.Key] = append(c.bad[p.Key], p)
	}
	for _, m := range ms {
		c.rows[m.KPI] = append(c.rows[m.KPI], Reading{Value: m.Value, At: m.At})
	}
	return nil
}

// bounded reads r, failing past maxBody bytes instead of cutting the file
// short.
func bounded(r io.Reader, what string) io.Reader {
	return &bound{r: io.LimitReader(r, maxBody+1), what: what}
}

type bound struct {
	r    io.Reader
	n    int64
	what string
}

func (b *bound) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if b.n += int64(n); b.n > maxBody {
		return 0, fmt.Errorf("%s is larger than %d MiB", b.what, maxBody>>20)
	}
	return n, err
}
