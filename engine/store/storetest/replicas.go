package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/store"
)

// testClaimTick: of servers claiming one tick at once, exactly one wins;
// the next tick is claimable again.
func testClaimTick(t *testing.T, b Backend) {
	ctx := context.Background()
	where := b.New(t)
	dbs := []engine.Store{b.openAt(t, where), b.openAt(t, where), b.openAt(t, where)}
	slot := time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	won := 0
	var wg sync.WaitGroup
	for i, db := range dbs {
		for range 4 {
			wg.Go(func() {
				ok, err := db.ClaimTick(ctx, "nightly", slot, string(rune('a'+i)))
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					won++
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	if won != 1 {
		t.Errorf("%d claims of one tick won, want 1", won)
	}
	if ok, err := dbs[1].ClaimTick(ctx, "nightly", slot.Add(24*time.Hour), "b"); err != nil || !ok {
		t.Errorf("the next tick: %v %v", ok, err)
	}
	if ok, err := dbs[1].ClaimTick(ctx, "hourly", slot, "b"); err != nil || !ok {
		t.Errorf("another schedule's tick: %v %v", ok, err)
	}
}

// testSessions: a session stored through one handle is read through
// another until it ends or is removed.
func testSessions(t *testing.T, b Backend) {
	ctx := context.Background()
	where := b.New(t)
	one, two := b.openAt(t, where), b.openAt(t, where)
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	one.SetNow(clock)
	two.SetNow(clock)
	if err := one.AddSession(ctx, "s1", "token-hash", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	hash, expires, err := two.Session(ctx, "s1")
	if err != nil || hash != "token-hash" || !expires.Equal(now.Add(time.Hour)) {
		t.Fatalf("session through another handle: %q %v %v", hash, expires, err)
	}
	if _, _, err := two.Session(ctx, "s2"); engine.ErrorCode(err) != engine.ENOTFOUND {
		t.Errorf("an unknown session: %v", err)
	}
	now = now.Add(2 * time.Hour)
	if _, _, err := two.Session(ctx, "s1"); engine.ErrorCode(err) != engine.ENOTFOUND {
		t.Errorf("an ended session: %v", err)
	}
	if err := one.AddSession(ctx, "s3", "token-hash", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := two.RemoveSession(ctx, "s3"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := one.Session(ctx, "s3"); engine.ErrorCode(err) != engine.ENOTFOUND {
		t.Errorf("a removed session: %v", err)
	}
	if n := count(t, one, "web_session"); n != 0 {
		t.Errorf("%d sessions kept after one ended and one was removed", n)
	}
}

// testSecret: a secret is made once and is the same through every handle.
func testSecret(t *testing.T, b Backend) {
	ctx := context.Background()
	where := b.New(t)
	one, two := b.openAt(t, where), b.openAt(t, where)
	a, err := one.Secret(ctx, "csrf")
	if err != nil || len(a) != 32 {
		t.Fatalf("secret: %x %v", a, err)
	}
	b2, err := two.Secret(ctx, "csrf")
	if err != nil || string(a) != string(b2) {
		t.Errorf("another handle's secret differs: %x %v", b2, err)
	}
	other, _ := one.Secret(ctx, "other")
	if string(other) == string(a) {
		t.Error("two names share a secret")
	}
}

// testJobs: a job runs, beats and ends, seen the same through another
// handle; finished jobs beyond the newest thousand are dropped.
func testJobs(t *testing.T, b Backend) {
	ctx := context.Background()
	where := b.New(t)
	one, two := b.openAt(t, where), b.openAt(t, where)
	id, err := one.StartJob(ctx, "host-a:1")
	if err != nil {
		t.Fatal(err)
	}
	j, err := two.Job(ctx, id)
	if err != nil || j.Status != "running" || j.Owner != "host-a:1" || j.BeatAt.IsZero() {
		t.Fatalf("a running job through another handle: %+v %v", j, err)
	}
	if err := one.BeatJob(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := one.FinishJob(ctx, id, 42, ""); err != nil {
		t.Fatal(err)
	}
	if j, _ := two.Job(ctx, id); j.Status != "done" || j.Run != 42 {
		t.Errorf("a finished job: %+v", j)
	}
	failed, _ := one.StartJob(ctx, "host-a:1")
	if err := one.FinishJob(ctx, failed, 0, "rule timed out"); err != nil {
		t.Fatal(err)
	}
	if j, _ := two.Job(ctx, failed); j.Status != "failed" || j.Error != "rule timed out" || j.Run != 0 {
		t.Errorf("a failed job: %+v", j)
	}
	if _, err := two.Job(ctx, 999999); engine.ErrorCode(err) != engine.ENOTFOUND {
		t.Errorf("an unknown job: %v", err)
	}
	running, _ := one.StartJob(ctx, "host-b:2")
	for range 1000 {
		id, err := one.StartJob(ctx, "host-a:1")
		if err != nil {
			t.Fatal(err)
		}
		if err := one.FinishJob(ctx, id, 1, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := two.Job(ctx, failed); engine.ErrorCode(err) != engine.ENOTFOUND {
		t.Errorf("a job a thousand jobs old is kept: %v", err)
	}
	if j, err := two.Job(ctx, running); err != nil || j.Status != "running" {
		t.Errorf("an old running job was dropped: %+v %v", j, err)
	}
}

// testConcurrentOpen: servers starting together on a new database migrate
// it once between them, and all of them open it.
func testConcurrentOpen(t *testing.T, b Backend) {
	where := b.New(t)
	var wg sync.WaitGroup
	dbs := make([]*store.DB, 4)
	errs := make([]error, 4)
	for i := range dbs {
		wg.Go(func() {
			db, err := b.Open(context.Background(), where, nil)
			if err == nil {
				t.Cleanup(func() { db.Close() })
				dbs[i] = db
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("opener %d: %v", i, err)
		}
	}
	for _, db := range dbs {
		if v, err := db.SchemaVersion(context.Background()); err != nil || v != db.KnownVersion() {
			t.Errorf("schema version %d, want %d: %v", v, db.KnownVersion(), err)
		}
	}
	if n := count(t, dbs[0], "revision"); n != 1 {
		t.Errorf("%d revision rows after four servers migrated, want 1", n)
	}
}
