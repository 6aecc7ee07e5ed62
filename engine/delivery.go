package engine

// Delivery says whether the key results of an audit's scope will land:
// for the company and by team, business objective and P&L line.
type Delivery struct {
	Company            DeliveryScore            `json:"company"`
	Teams              map[string]DeliveryScore `json:"teams,omitempty"`
	BusinessObjectives map[string]DeliveryScore `json:"business_objectives,omitempty"`
	PnLLines           map[string]DeliveryScore `json:"pnl_lines,omitempty"`
}

// DeliveryScore counts open key results with a target by where they are
// heading (see Pace), scores them, and gives the mean likelihood that
// those with a forecast reach their targets.
type DeliveryScore struct {
	// Score is 100 for all on track: on track counts 1, at risk 0.5,
	// off track 0, over those judged; nil when none is.
	Score    *float64 `json:"score"`
	OnTrack  int      `json:"on_track"`
	AtRisk   int      `json:"at_risk"`
	OffTrack int      `json:"off_track"`
	NoData   int      `json:"no_data"` // no check-in yet, or no due date
	// Likelihood is the mean likelihood of reaching the target over
	// Forecasts key results; nil without any.
	Likelihood *float64 `json:"likelihood"`
	Forecasts  int      `json:"forecasts"`
}

// Where a key result is heading.
const (
	OnTrack  = "on_track"
	AtRisk   = "at_risk"
	OffTrack = "off_track"
	NoData   = "no_data"
)

// Pace judges progress against the progress a straight line to the due
// date would have reached: on track within 10 points of it, at risk within
// 25 (kr-behind-pace's margin), off track beyond.
func Pace(progress, expected float64) string {
	switch {
	case progress >= expected-0.10:
		return OnTrack
	case progress >= expected-0.25:
		return AtRisk
	}
	return OffTrack
}

// Heading judges a forecast's likelihood of reaching the target: on
// track from 70%, at risk from 30% (kr-forecast-miss's line), off track
// below.
func Heading(likelihood float64) string {
	switch {
	case likelihood >= 0.7:
		return OnTrack
	case likelihood >= 0.3:
		return AtRisk
	}
	return OffTrack
}

// Reminded is an item an owner was reminded of in the cadence window that
// starts on Window.
type Reminded struct {
	Owner, Item string
	Window      Date
}
