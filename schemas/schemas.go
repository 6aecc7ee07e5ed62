// Package schemas embeds the JSON Schemas of the files okrmap reads and
// writes, so loaders validate against the same documents editors use.
package schemas

import "embed"

// FS holds every *.schema.json file in this directory.
//
//go:embed *.schema.json
var FS embed.FS

// PlanURL is the $id of plan.schema.json.
const PlanURL = "https://github.com/okrmap/okrmap/schemas/plan.schema.json"

// RulePackURL is the $id of rulepack.schema.json.
const RulePackURL = "https://github.com/okrmap/okrmap/schemas/rulepack.schema.json"

// AuditURL is the $id of audit.schema.json.
const AuditURL = "https://github.com/okrmap/okrmap/schemas/audit.schema.json"

// OpenAPI is the HTTP API's OpenAPI document, served at /api/v1/openapi.json.
//
//go:embed openapi.json
var OpenAPI []byte
