package resolve

import (
	"fmt"

	"github.com/okrmap/okrmap/engine/wording"
)

// Words that make a KPI's kind clear when the plan does not declare it,
// matched as whole words (a plural s allowed) in its name. A name with
// words of both lists is an outcome: cost per click is money.
var (
	OutcomeWords = []string{"revenue", "arr", "mrr", "bookings", "margin", "profit", "churn", "retention",
		"nps", "net promoter", "ssat", "csat", "customer satisfaction", "cost", "cac", "ltv", "lifetime value", "pipeline"}
	ActivityWords = []string{"impressions", "followers", "likes", "page views", "pageviews", "opens", "open rate",
		"clicks", "click through", "sessions", "visits", "visitors", "downloads", "shares", "posts"}
	// OutcomeCategories are the KPI categories that are outcomes.
	OutcomeCategories = []string{"revenue", "pipeline"}
)

// inferKind returns the kind a KPI without a declared one is counted as,
// and why ("its name says margin"), or "" when nothing makes it clear: an
// outcome word in its name, else an activity word, else an outcome
// category, else a currency unit.
func inferKind(name, unit, category string) (kind, reason string) {
	if w, ok := wording.WhichWord(name, OutcomeWords...); ok {
		return "outcome", fmt.Sprintf("its name says %s", w)
	}
	if w, ok := wording.WhichWord(name, ActivityWords...); ok {
		return "activity", fmt.Sprintf("its name says %s", w)
	}
	for _, c := range OutcomeCategories {
		if category == c {
			return "outcome", fmt.Sprintf("its category is %s", c)
		}
	}
	if isCurrency(unit) {
		return "outcome", fmt.Sprintf("its unit is %s, money", unit)
	}
	return "", ""
}

// isCurrency reports whether unit reads like an ISO 4217 code (USD, EUR).
func isCurrency(unit string) bool {
	if len(unit) != 3 {
		return false
	}
	for i := range 3 {
		if unit[i] < 'A' || unit[i] > 'Z' {
			return false
		}
	}
	return true
}
