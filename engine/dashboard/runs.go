package dashboard

import (
	"context"
	"sync"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/audit"
	"github.com/okrmap/okrmap/engine/service"
)

// runCache keeps the last stored runs read with their findings, and the
// diffs computed between runs: stored runs never change, and a large run
// takes long to read.
type runCache struct {
	svc   *service.Service
	mu    sync.Mutex
	runs  []*engine.AuditRun // most recently used last
	diffs map[[2]int64]*audit.Diff
}

const cachedRuns = 2

func newRunCache(svc *service.Service) *runCache {
	return &runCache{svc: svc, diffs: map[[2]int64]*audit.Diff{}}
}

// run returns stored run id with its findings.
func (c *runCache) run(ctx context.Context, id int64) (*engine.AuditRun, error) {
	c.mu.Lock()
	for i, r := range c.runs {
		if r.ID == id {
			c.runs = append(append(c.runs[:i:i], c.runs[i+1:]...), r)
			c.mu.Unlock()
			return r, nil
		}
	}
	c.mu.Unlock()
	r, err := c.svc.Run(ctx, id)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.runs = append(c.runs, r)
	if len(c.runs) > cachedRuns {
		c.runs = c.runs[len(c.runs)-cachedRuns:]
	}
	return r, nil
}

// diff returns what changed from run from to run to.
func (c *runCache) diff(ctx context.Context, from, to int64) (*audit.Diff, error) {
	key := [2]int64{from, to}
	c.mu.Lock()
	d, ok := c.diffs[key]
	c.mu.Unlock()
	if ok {
		return d, nil
	}
	a, err := c.run(ctx, from)
	if err != nil {
		return nil, err
	}
	b, err := c.run(ctx, to)
	if err != nil {
		return nil, err
	}
	diff := audit.Compare(a, b)
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.diffs) >= 16 {
		clear(c.diffs)
	}
	c.diffs[key] = &diff
	return &diff, nil
}
