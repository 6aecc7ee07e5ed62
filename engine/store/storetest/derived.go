package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/store"
)

func testDerivedKPIs(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.open(t)
	p := &engine.Plan{KPIs: []engine.KPI{
		{Key: "sourced-pipeline", Name: "Pipeline"},
		{Key: "marketing-spend", Name: "Spend"},
		{Key: "pipeline-per-dollar", Name: "Per dollar", Formula: "sourced_pipeline / marketing_spend"},
		{Key: "per-dollar-pct", Name: "Per dollar, %", Formula: "pipeline_per_dollar * 100"},
	}}
	if _, err := db.Apply(ctx, p, false); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	// Only one input: no value yet.
	if err := db.Measure(ctx, engine.Measurement{KPI: "sourced-pipeline", Value: 900, At: day}); err != nil {
		t.Fatal(err)
	}
	latest, _ := db.LatestMeasurements(ctx)
	if _, ok := latest["pipeline-per-dollar"]; ok {
		t.Fatal("a derived KPI got a value with an input missing")
	}
	// Spend 0: division by zero gives no value, not a failure.
	if err := db.Measure(ctx, engine.Measurement{KPI: "marketing-spend", Value: 0, At: day}); err != nil {
		t.Fatalf("division by zero failed the measurement: %v", err)
	}
	if latest, _ = db.LatestMeasurements(ctx); latest["pipeline-per-dollar"].Author != "" {
		t.Fatal("division by zero recorded a value")
	}
	later := day.AddDate(0, 0, 1)
	if err := db.Measure(ctx, engine.Measurement{KPI: "marketing-spend", Value: 150, At: later}); err != nil {
		t.Fatal(err)
	}
	latest, _ = db.LatestMeasurements(ctx)
	if m := latest["pipeline-per-dollar"]; m.Value != 6 || !m.At.Equal(later) || m.Author != store.FormulaAuthor {
		t.Errorf("pipeline-per-dollar = %+v, want 6 at %v", m, later)
	}
	if m := latest["per-dollar-pct"]; m.Value != 600 {
		t.Errorf("a formula over a derived KPI = %+v, want 600", m)
	}
	// Nothing new: recomputing records nothing.
	if got, err := db.Recompute(ctx); err != nil || len(got) != 0 {
		t.Errorf("Recompute with nothing new recorded %v, %v", got, err)
	}

	bad := &engine.Plan{KPIs: []engine.KPI{{Key: "x", Name: "X", Formula: "sourced_pipeline / spend"}}}
	_, err := db.Apply(ctx, bad, false)
	var probs engine.Problems
	if !errors.As(err, &probs) || !strings.Contains(probs[0].Msg, `formula names "spend", which is no KPI`) {
		t.Errorf("unknown name in a formula: %v", err)
	}
	cyc := &engine.Plan{KPIs: []engine.KPI{{Key: "sourced-pipeline", Name: "Pipeline", Formula: "per_dollar_pct / 100"}}}
	if _, err := db.Apply(ctx, cyc, false); err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Errorf("a formula cycle: %v", err)
	}
}
