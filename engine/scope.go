package engine

import (
	"slices"
	"strings"
)

// Scope narrows audits, trees and reports to a period and teams; the zero
// Scope is the whole plan. It is the one filter every front end uses.
type Scope struct {
	Period string   // canonical period name, or ""
	Teams  []string // team keys, sorted; none means all
}

// NewScope checks and normalises a scope.
func NewScope(period string, teams []string) (Scope, error) {
	var s Scope
	if period != "" {
		p, err := ParsePeriod(period)
		if err != nil {
			return s, Errorf(EINVALID, "period: %v", err)
		}
		s.Period = p.Name
	}
	for _, t := range teams {
		if !ValidKey(t) {
			return s, Errorf(EINVALID, "team %q is not a key: use lower-case letters, digits, _ and -", t)
		}
	}
	s.Teams = slices.Compact(slices.Sorted(slices.Values(teams)))
	return s, nil
}

// All reports whether s is the whole plan.
func (s Scope) All() bool { return s.Period == "" && len(s.Teams) == 0 }

// String is the scope's canonical name; runs of the same scope compare.
func (s Scope) String() string {
	var parts []string
	if s.Period != "" {
		parts = append(parts, "period="+s.Period)
	}
	if len(s.Teams) > 0 {
		parts = append(parts, "teams="+strings.Join(s.Teams, ","))
	}
	if len(parts) == 0 {
		return "all"
	}
	return strings.Join(parts, " ")
}

// HasTeam reports whether team is in scope.
func (s Scope) HasTeam(team string) bool {
	return len(s.Teams) == 0 || slices.Contains(s.Teams, team)
}

// Objective reports whether an objective of team and period is in scope.
func (s Scope) Objective(team, period string) bool {
	if !s.HasTeam(team) {
		return false
	}
	if s.Period != "" {
		p, err := ParsePeriod(period)
		return err == nil && p.Name == s.Period
	}
	return true
}

// ParseScope reads a scope's canonical name, as String writes it.
func ParseScope(name string) (Scope, error) {
	if name == "all" || name == "" {
		return Scope{}, nil
	}
	var period string
	var teams []string
	for _, part := range strings.Fields(name) {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "period":
			period = v
		case "teams":
			teams = strings.Split(v, ",")
		default:
			return Scope{}, Errorf(EINVALID, "scope %q: write period=PERIOD and teams=TEAM,TEAM", name)
		}
	}
	return NewScope(period, teams)
}
