package storetest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/gen"
	"github.com/okrmap/okrmap/engine/store"
)

// testConcurrentWritersAndReaders applies two plans that share keys from
// two handles on one database while a third reads: no "database is locked", and
// every snapshot shows one whole plan, never a mix.
func testConcurrentWritersAndReaders(t *testing.T, b Backend) {
	if testing.Short() {
		t.Skip("slow")
	}
	ctx := context.Background()
	where := b.New(t)
	writers, reader := []*store.DB{b.openAt(t, where), b.openAt(t, where)}, b.openAt(t, where)
	plans := make([]*engine.Plan, 2)
	names := make([]map[string]string, 2) // KPI key -> name, per plan
	for i := range plans {
		p, err := gen.Plan(gen.Options{KPIs: 3000, Seed: uint64(i + 1)})
		if err != nil {
			t.Fatal(err)
		}
		plans[i], names[i] = p, map[string]string{}
		for _, k := range p.KPIs {
			names[i][k.Key] = k.Name
		}
	}

	var (
		mu    sync.Mutex
		errs  []error
		wg    sync.WaitGroup
		stop  atomic.Bool
		reads int
	)
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	for i, db := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 3 {
				if _, err := db.Apply(ctx, plans[i], false); err != nil {
					fail(err)
					return
				}
			}
		}()
	}
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		for !stop.Load() {
			p, err := reader.Plan(ctx)
			if err != nil {
				fail(err)
				return
			}
			reads++
			if len(p.KPIs) == 0 {
				continue
			}
			from := -1
			for _, k := range p.KPIs {
				i := 0
				if names[0][k.Key] != k.Name {
					i = 1
				}
				if from >= 0 && i != from && names[0][k.Key] != names[1][k.Key] {
					fail(errors.New("a reader saw KPIs from two different applies"))
					return
				}
				if names[0][k.Key] != names[1][k.Key] {
					from = i
				}
			}
		}
	}()
	wg.Wait()
	stop.Store(true)
	<-readerDone
	for _, err := range errs {
		t.Error(err)
	}
	if reads == 0 {
		t.Error("the reader never read")
	}
}
