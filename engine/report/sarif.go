package report

import (
	"io"
	"path/filepath"
	"runtime/debug"
)

// sarifWriter writes SARIF 2.1.0: one run, the rules that fired as the
// tool's rules, each finding a result located at its entity.
type sarifWriter struct{}

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool   `json:"tool"`
	Results placeholder `json:"results"` // written one result at a time
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string        `json:"id"`
	ShortDescription     *sarifMessage `json:"shortDescription,omitempty"`
	Help                 *sarifMessage `json:"help,omitempty"`
	DefaultConfiguration sarifConfig   `json:"defaultConfiguration"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifMessage      `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Suppressions        []sarifSuppress   `json:"suppressions,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation *sarifPhysical `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogical `json:"logicalLocations"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

type sarifLogical struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

type sarifSuppress struct {
	Kind          string `json:"kind"`
	Justification string `json:"justification"`
}

// sarifLevel maps severities to SARIF levels.
var sarifLevel = map[string]string{"error": "error", "warning": "warning", "info": "note"}

func (sarifWriter) Write(w io.Writer, r *Report) error {
	driver := sarifDriver{Name: "okrmap", InformationURI: "https://github.com/okrmap/okrmap", Rules: []sarifRule{}}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		driver.Version = bi.Main.Version
	}
	index := map[string]int{}
	for _, f := range r.Run.Findings {
		if _, ok := index[f.Rule]; !ok {
			index[f.Rule] = len(driver.Rules)
			rule := sarifRule{ID: f.Rule, DefaultConfiguration: sarifConfig{Level: sarifLevel[f.Severity]}}
			if f.Fix != "" {
				rule.Help = &sarifMessage{Text: f.Fix}
			}
			driver.Rules = append(driver.Rules, rule)
		}
	}
	result := func(i int) any {
		f := &r.Run.Findings[i]
		entity := f.Entity
		if entity == "" {
			entity = "plan"
		}
		res := sarifResult{
			RuleID: f.Rule, RuleIndex: index[f.Rule], Level: sarifLevel[f.Severity], Message: sarifMessage{Text: f.Message},
			Locations:           []sarifLocation{{LogicalLocations: []sarifLogical{{Name: entity, FullyQualifiedName: f.Scope + "/" + entity, Kind: "object"}}}},
			PartialFingerprints: map[string]string{"okrmapFingerprint/v1": f.Fingerprint},
		}
		if f.File != "" && f.Line > 0 {
			res.Locations[0].PhysicalLocation = &sarifPhysical{ArtifactLocation: sarifArtifact{URI: filepath.ToSlash(f.File)}, Region: sarifRegion{StartLine: f.Line}}
		}
		if f.Waived() {
			res.Suppressions = []sarifSuppress{{Kind: "external", Justification: f.Waiver.Reason + " (until " + f.Waiver.Until.String() + ")"}}
		}
		return res
	}
	log := sarifLog{Schema: "https://json.schemastore.org/sarif-2.1.0.json", Version: "2.1.0",
		Runs: []sarifRun{{Tool: sarifTool{Driver: driver}, Results: 0}}}
	return writeJSON(w, log, jsonList{len(r.Run.Findings), result})
}
