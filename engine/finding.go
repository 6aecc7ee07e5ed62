package engine

import (
	"crypto/sha256"
	"encoding/hex"
)

// Severities, most severe first.
var Severities = []string{"error", "warning", "info"}

// SeverityRank orders severities: error 3, warning 2, info 1, else 0.
func SeverityRank(s string) int {
	switch s {
	case "error":
		return 3
	case "warning":
		return 2
	case "info":
		return 1
	}
	return 0
}

// Finding is one rule's verdict on one entity.
type Finding struct {
	Rule     string   `json:"rule" yaml:"rule"`
	Severity string   `json:"severity" yaml:"severity"`
	Scope    string   `json:"scope" yaml:"scope"`
	Entity   string   `json:"entity" yaml:"entity"`                 // the entity's key; "" for plan-wide rules
	Team     string   `json:"team,omitempty" yaml:"team,omitempty"` // the team that owns the entity, if any
	Message  string   `json:"message" yaml:"message"`
	Fix      string   `json:"fix,omitempty" yaml:"fix,omitempty"`
	Trace    []string `json:"trace,omitempty" yaml:"trace,omitempty"`
	// File and Line say where the entity is declared, when the plan was
	// read from files (lint).
	File string `json:"file,omitempty" yaml:"file,omitempty"`
	Line int    `json:"line,omitempty" yaml:"line,omitempty"`
	// Fingerprint identifies the finding across runs: rule, scope and entity,
	// not the message text.
	Fingerprint string `json:"fingerprint" yaml:"fingerprint"`
	// Waiver is the waiver that matched the finding, if any. A finding is
	// waived while the waiver has not expired.
	Waiver *Waiver `json:"waiver,omitempty" yaml:"waiver,omitempty"`
	// NotJudged marks a finding carried from the previous run because the
	// plugin that finds it failed in this one.
	NotJudged bool `json:"not_judged,omitempty" yaml:"not_judged,omitempty"`
}

// Waived reports whether an unexpired waiver silences f.
func (f Finding) Waived() bool { return f.Waiver != nil && !f.Waiver.Expired }

// Waiver silences one rule for matching entities until a date.
type Waiver struct {
	ID      int64  `json:"id,omitempty" yaml:"-"` // the stored waiver's number
	Rule    string `json:"rule" yaml:"rule"`
	Entity  string `json:"entity" yaml:"entity"` // a key, or a glob such as legacy-*
	Reason  string `json:"reason" yaml:"reason"`
	Owner   string `json:"owner,omitempty" yaml:"owner,omitempty"`
	Until   Date   `json:"until" yaml:"until"`
	Expired bool   `json:"expired,omitempty" yaml:"-"` // set when matched after Until
}

// Fingerprint returns the stable identity of a rule's finding on an entity.
func Fingerprint(rule, scope, entity string) string {
	h := sha256.Sum256([]byte(rule + "\x00" + scope + "\x00" + entity))
	return hex.EncodeToString(h[:8])
}
