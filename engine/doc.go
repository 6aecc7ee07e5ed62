// Package engine holds okrmap's domain model: teams, business objectives,
// objectives, key results, KPIs, links, assumptions and investments; their
// validation; periods and dates; key result scoring; and the alignment graph
// that traces KPIs up to business objectives.
//
// The package imports no storage, rule or plugin code. Implementations live in
// subpackages: plan (plan files), sqlite (the store), gen (synthetic plans).
package engine
