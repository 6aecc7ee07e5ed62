package engine

import "testing"

func TestNumber(t *testing.T) {
	for _, c := range []struct {
		x    float64
		unit string
		want string
	}{
		{7960000, "USD", "7,960,000"},
		{2511.2000000000003, "", "2,511.2"},
		{5.378378378378378, "ratio", "5.38"},
		{9e6, "", "9,000,000"},
		{104.56, "percent", "104.6"},
		{0.5, "", "0.5"},
		{3000, "count", "3,000"},
		{412.7, "USD", "413"},
		{12.25, "USD", "12.25"},
		{-0.001, "", "0"},
		{-1234.5, "", "-1,234.5"},
	} {
		if got := Number(c.x, c.unit); got != c.want {
			t.Errorf("Number(%v, %q) = %q, want %q", c.x, c.unit, got, c.want)
		}
	}
}
