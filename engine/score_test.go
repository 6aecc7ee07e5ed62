package engine

import (
	"math"
	"testing"
)

func f(x float64) *float64 { return &x }

func TestProgress(t *testing.T) {
	tests := []struct {
		name string
		kr   KeyResult
		want float64
	}{
		{"increase halfway", KeyResult{Baseline: f(3000), Target: f(5000), Current: f(4000), Direction: "increase"}, 0.5},
		{"increase beyond target clamps to 1", KeyResult{Baseline: f(3000), Target: f(5000), Current: f(9000), Direction: "increase"}, 1},
		{"increase below baseline clamps to 0", KeyResult{Baseline: f(3000), Target: f(5000), Current: f(2000), Direction: "increase"}, 0},
		{"decrease halfway", KeyResult{Baseline: f(26), Target: f(4), Current: f(15), Direction: "decrease"}, 0.5},
		{"decrease past target", KeyResult{Baseline: f(26), Target: f(4), Current: f(1), Direction: "decrease"}, 1},
		{"decrease went up", KeyResult{Baseline: f(26), Target: f(4), Current: f(30), Direction: "decrease"}, 0},
		{"no current counts as baseline", KeyResult{Baseline: f(10), Target: f(20), Direction: "increase"}, 0},
		{"no target scores 0", KeyResult{Baseline: f(10), Current: f(20), Direction: "increase"}, 0},
		{"no baseline counts 0 for increase", KeyResult{Target: f(12), Current: f(3), Direction: "increase"}, 0.25},
		{"no baseline decrease reached", KeyResult{Target: f(5), Current: f(4), Direction: "decrease"}, 1},
		{"no baseline decrease not reached", KeyResult{Target: f(5), Current: f(6), Direction: "decrease"}, 0},
		{"target equals baseline reached", KeyResult{Baseline: f(5), Target: f(5), Current: f(5), Direction: "increase"}, 1},
		{"target equals baseline missed", KeyResult{Baseline: f(5), Target: f(5), Current: f(4), Direction: "increase"}, 0},
		{"direction inferred as decrease", KeyResult{Baseline: f(12), Target: f(9), Current: f(10.5)}, 0.5},
		{"direction inferred as increase", KeyResult{Baseline: f(9), Target: f(12), Current: f(10.5)}, 0.5},
		{"maintain on target", KeyResult{Target: f(100), Current: f(104), Direction: "maintain"}, 1},
		{"maintain 15% off", KeyResult{Target: f(100), Current: f(85), Direction: "maintain"}, 0.5},
		{"maintain 30% off", KeyResult{Target: f(100), Current: f(130), Direction: "maintain"}, 0},
		{"maintain zero target", KeyResult{Target: f(0), Current: f(0.15), Direction: "maintain"}, 0.5},
		// Extremes do not overflow to NaN (which scored 0 at target).
		{"increase across the float range at target", KeyResult{Baseline: f(-1.7e308), Target: f(1.7e308), Current: f(1.7e308), Direction: "increase"}, 1},
		{"increase across the float range halfway", KeyResult{Baseline: f(-1.7e308), Target: f(1.7e308), Current: f(0), Direction: "increase"}, 0.5},
		{"decrease across the float range at target", KeyResult{Baseline: f(1.7e308), Target: f(-1.7e308), Current: f(-1.7e308), Direction: "decrease"}, 1},
		{"maintain far off", KeyResult{Target: f(1.7e308), Current: f(-1.7e308), Direction: "maintain"}, 0},
	}
	for _, tt := range tests {
		if got := tt.kr.Progress(); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("%s: Progress() = %v, want %v", tt.name, got, tt.want)
		}
	}
}
