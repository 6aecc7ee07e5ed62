package engine

import (
	"encoding/json"
	"time"
)

// AuditRun is one stored audit: what was judged, with which rules, what was
// found and how the alignment scored.
type AuditRun struct {
	ID         int64     `json:"id"`
	Scope      string    `json:"scope"`            // canonical, e.g. "period=2026-Q4 teams=marketing"
	Author     string    `json:"author,omitempty"` // who ran it
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	Today      Date      `json:"today"` // the day the plan was judged as of
	Complete   bool      `json:"complete"`
	Packs      []PackRef `json:"packs"`
	Findings   []Finding `json:"findings"`
	Scorecard  Scorecard `json:"scorecard"`
	// Delivery says whether the key results in scope will land; nil for
	// runs stored before okrmap judged delivery.
	Delivery *Delivery      `json:"delivery,omitempty"`
	Counts   map[string]int `json:"counts"` // unwaived findings per severity, and "waived"
}

// PackRef names a rule pack or plugin an audit used.
type PackRef struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	Rules   int    `json:"rules"`
	Plugin  bool   `json:"plugin,omitempty"`
	SHA256  string `json:"sha256,omitempty"` // a plugin binary's pinned checksum
	Failed  bool   `json:"failed,omitempty"` // the plugin did not complete
	Dev     bool   `json:"dev,omitempty"`    // an unpinned plugin run in development mode
}

// DevPlugins names the plugins the run ran in development mode, unpinned;
// such a run is no baseline for the next.
func (r *AuditRun) DevPlugins() []string {
	var out []string
	for _, p := range r.Packs {
		if p.Dev {
			out = append(out, p.Name)
		}
	}
	return out
}

// Scorecard rates alignment for the company and each team.
type Scorecard struct {
	Company Score            `json:"company"`
	Teams   map[string]Score `json:"teams,omitempty"`
}

// Score is one scorecard row: each area 0-100, the overall mean of the
// judged areas, and each on the 1-5 scale executives read. An area with
// nothing to judge has no score (null in JSON) and leaves the overall;
// a row with no judged area has no overall.
type Score struct {
	Areas   []AreaScore `json:"areas"`
	Overall float64     `json:"overall"`
	Rating  int         `json:"rating"`
}

// Scored reports whether any area of s judged something, so that it has
// an overall score.
func (s Score) Scored() bool {
	for _, a := range s.Areas {
		if a.Scored() {
			return true
		}
	}
	return false
}

// MarshalJSON writes overall and rating as null when nothing was judged.
func (s Score) MarshalJSON() ([]byte, error) {
	type plain Score
	if s.Scored() {
		return json.Marshal(plain(s))
	}
	return json.Marshal(struct {
		plain
		Overall *float64 `json:"overall"`
		Rating  *int     `json:"rating"`
	}{plain: plain(s)})
}

// Area returns the score of area i (in the order of audit.Areas), or a
// zero score when the run has none.
func (s Score) Area(i int) AreaScore {
	if i < 0 || i >= len(s.Areas) {
		return AreaScore{}
	}
	return s.Areas[i]
}

// FewJudged is how few entities make an area's score worth a warning: a
// score judged on fewer says so.
const FewJudged = 5

// AreaScore is one alignment area's score.
type AreaScore struct {
	Area    string  `json:"area"`
	Score   float64 `json:"score"`  // 0-100; null when not judged
	Rating  int     `json:"rating"` // 1-5; null when not judged
	Verdict string  `json:"verdict"`
	Judged  int     `json:"judged"` // how many entities the score rests on; 0: not judged
	// SourceFailing counts, for freshness, the KPIs not fresh because
	// their source failed on its last read rather than because nobody
	// measures them.
	SourceFailing int `json:"source_failing,omitempty"`
}

// Scored reports whether the area judged anything.
func (a AreaScore) Scored() bool { return a.Judged > 0 }

// MarshalJSON writes score and rating as null when nothing was judged.
func (a AreaScore) MarshalJSON() ([]byte, error) {
	type plain AreaScore
	if a.Scored() {
		return json.Marshal(plain(a))
	}
	return json.Marshal(struct {
		plain
		Score  *float64 `json:"score"`
		Rating *int     `json:"rating"`
	}{plain: plain(a)})
}

// NotJudged is the verdict of an area with nothing to judge.
const NotJudged = "not judged"

// Rating turns a 0-100 score into the 1-5 scale: below 20 is 1, 80 and
// above is 5.
func Rating(score float64) int {
	return min(5, 1+int(score)/20)
}

// Verdicts describe each rating.
var Verdicts = map[int]string{
	1: "absent",
	2: "weak",
	3: "partial",
	4: "good",
	5: "strong",
}
