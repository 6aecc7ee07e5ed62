package rules

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/plan"
	"github.com/okrmap/okrmap/engine/resolve"
)

func TestSmoke(t *testing.T) {
	files, _ := filepath.Glob("../../examples/saas-b2b/*.yaml")
	set, err := plan.Load(files...)
	if err != nil {
		t.Fatal(err)
	}
	g := resolve.Resolve(resolve.Input{Plan: set.Plan, Today: engine.NewDate(2026, 11, 20)})
	p, err := LoadBuiltin()
	if err != nil {
		t.Fatal(err)
	}
	rs, err := Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := rs.Evaluate(context.Background(), g)
	for _, f := range fs {
		t.Logf("%s %s %s: %s", f.Severity, f.Rule, f.Entity, f.Message)
	}
	t.Log(len(fs), err)
}
