package engine

import "math"

// Progress returns how far a key result has come, from 0.0 to 1.0; quarter
// close stores it as the score.
//
//   - increase: (current - baseline) / (target - baseline), clamped;
//   - decrease: (baseline - current) / (baseline - target), clamped;
//   - maintain: 1.0 within 5% of the target, falling linearly to 0.0 at 25%
//     away (relative to |target|, or absolute when the target is 0).
//
// A missing baseline counts as 0 for increase; for decrease it scores 1.0
// once current reaches the target. A missing current value counts as the
// baseline. A target equal to the baseline scores 1.0 once reached. Without
// a target the score is 0. An empty direction is read from baseline and
// target: a target below the baseline means decrease.
func (kr KeyResult) Progress() float64 {
	if kr.Target == nil {
		return 0
	}
	target := *kr.Target
	cur := value(kr.Current, value(kr.Baseline, 0))
	dir := kr.Direction
	if dir == "" {
		dir = "increase"
		if kr.Baseline != nil && target < *kr.Baseline {
			dir = "decrease"
		}
	}
	switch dir {
	case "maintain":
		scale := math.Abs(target)
		if scale == 0 {
			scale = 1
		}
		dev := math.Abs(cur/2-target/2) / (scale / 2)
		return clamp01(1 - (dev-0.05)/0.20)
	case "decrease":
		if kr.Baseline == nil || *kr.Baseline == target {
			return step(cur <= target)
		}
		return clamp01(ratio(*kr.Baseline, cur, *kr.Baseline, target))
	default:
		base := value(kr.Baseline, 0)
		if base == target {
			return step(cur >= target)
		}
		return clamp01(ratio(cur, base, target, base))
	}
}

// ratio is (a-b)/(c-d), halved first so that no difference of finite
// numbers overflows.
func ratio(a, b, c, d float64) float64 {
	return (a/2 - b/2) / (c/2 - d/2)
}

func value(p *float64, def float64) float64 {
	if p == nil {
		return def
	}
	return *p
}

func step(reached bool) float64 {
	if reached {
		return 1
	}
	return 0
}

func clamp01(x float64) float64 {
	if math.IsNaN(x) {
		return 0
	}
	return math.Max(0, math.Min(1, x))
}
