package store

import (
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/okrmap/okrmap/engine"
)

// TestFindingDigestIsStable: a finding's digest is how a run finds the
// bodies stored by runs before it, so it must not change between versions.
// The value was written by the first version that stored digests.
func TestFindingDigestIsStable(t *testing.T) {
	f := engine.Finding{Rule: "kpi-stale", Severity: "warning", Scope: "kpi", Entity: "kpi-1", Team: "growth",
		Message: "never measured", Fix: "Record one.", Trace: []string{"kpi-1", "bo-1"}, Fingerprint: "fp1", NotJudged: true}
	p := *prepareFindings([]engine.Finding{f})(0)
	if p.trace != `["kpi-1","bo-1"]` || p.waiver != "" {
		t.Fatalf("trace %q, waiver %q", p.trace, p.waiver)
	}
	if got := hex.EncodeToString([]byte(p.digest)); got != "72882e456590834f889b274482d4c6fe" {
		t.Errorf("digest %s changed: stored findings would no longer be shared", got)
	}
}

// TestPrepareFindingsInChunks: findings prepared a chunk at a time on every
// core are those prepared one after another.
func TestPrepareFindingsInChunks(t *testing.T) {
	fs := make([]engine.Finding, 3*prepareChunk+5)
	for i := range fs {
		fs[i] = engine.Finding{Rule: "r", Entity: fmt.Sprintf("kpi-%d", i%1000), Trace: []string{fmt.Sprintf("kpi-%d", i%1000), "bo"},
			Message: fmt.Sprint(i)}
	}
	want := make([]prepared, len(fs))
	prepare(fs, want)
	at := prepareFindings(fs)
	for i := len(fs) - 1; i >= 0; i-- { // the last first: at waits for each chunk
		if got := *at(i); got != want[i] {
			t.Fatalf("finding %d: %+v, want %+v", i, got, want[i])
		}
	}
}
