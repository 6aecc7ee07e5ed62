package engine

import (
	"fmt"
	"time"
)

// RemoveOptions say how to delete entities.
type RemoveOptions struct {
	// Cascade deletes what cannot stay without them and cuts references
	// to them; without it, deletion is refused when anything depends on
	// them.
	Cascade bool
	DryRun  bool
	Author  string
}

// Archived is a deleted entity: its definition and history as JSON.
type Archived struct {
	Kind      Kind      `json:"kind"`
	Key       string    `json:"key"`
	DeletedAt time.Time `json:"deleted_at"`
	Author    string    `json:"author,omitempty"`
	Entity    string    `json:"entity"`  // as a plan file writes it
	History   string    `json:"history"` // its check-ins or measurements
}

// Ref names one entity.
type Ref struct {
	Kind Kind   `json:"kind"`
	Key  string `json:"key"`
}

func (r Ref) String() string { return string(r.Kind) + " " + r.Key }

// Cut is a reference an entity that stays loses because what it names goes:
// a KPI's link, an objective's aligns_to, a key result's measured_by, an
// investment's objective or expected return.
type Cut struct {
	Ref
	Field string `json:"field"` // links, aligns_to, measured_by, objective, expected_return
	To    string `json:"to"`
}

// String says what the reference was: "kpi sqls (links to sme-sqls)".
func (c Cut) String() string { return fmt.Sprintf("%s (%s %s)", c.Ref, cutVerbs[c.Field], c.To) }

// cutVerbs say what a cut reference did, by field.
var cutVerbs = map[string]string{"links": "links to", "links/assumptions": "has a link resting on", "aligns_to": "aligns to",
	"measured_by": "is measured by", "objective": "funds", "expected_return": "expects its return on"}

// Removal is what removing entities from a plan takes: the entities that go,
// those asked for first, and the references that others lose.
type Removal struct {
	Deleted []Ref `json:"deleted"`
	Cut     []Cut `json:"cut,omitempty"`
	// Asked counts the entities asked for, with the key results of asked
	// objectives: the rest of Deleted, and Cut, are what depends on them.
	Asked int `json:"-"`
}

// Dependents lists what depends on the entities asked for: what goes with
// them (objectives with their key results, named once) and what loses a
// reference.
func (r Removal) Dependents() []string {
	var out []string
	for _, d := range r.Deleted[r.Asked:] {
		if d.Kind != KindKeyResult { // a key result goes with its objective
			out = append(out, d.String()+" (goes with it)")
		}
	}
	for _, c := range r.Cut {
		out = append(out, c.String())
	}
	return out
}

// Remove returns p without the entities keys name and what cannot stay
// without them: an objective's key results, the objectives under a removed
// objective or key result, a team's objectives and KPIs. Entities that stay
// lose their references to what goes (an investment its objective); a
// formula that uses a removed KPI is left for validation to report.
// p is not modified.
func (p *Plan) Remove(keys ...string) (*Plan, Removal, error) {
	kinds := p.keyKinds()
	gone := map[string]bool{}
	var rm Removal
	add := func(kind Kind, key string) {
		if !gone[key] {
			gone[key] = true
			rm.Deleted = append(rm.Deleted, Ref{kind, key})
		}
	}
	for _, k := range keys {
		kind, ok := kinds[k]
		if !ok {
			return nil, Removal{}, NotFound("entity", "no entity has the key %q", k)
		}
		add(kind, k)
	}
	for _, o := range p.Objectives {
		if gone[o.Key] {
			for _, kr := range o.KeyResults {
				add(KindKeyResult, kr.Key)
			}
		}
	}
	rm.Asked = len(rm.Deleted)
	// Until nothing more goes: objectives under what goes, a team's
	// objectives and KPIs.
	for more := true; more; {
		more = false
		for _, o := range p.Objectives {
			if !gone[o.Key] && (gone[o.Parent] || gone[o.Team]) {
				add(KindObjective, o.Key)
				for _, kr := range o.KeyResults {
					add(KindKeyResult, kr.Key)
				}
				more = true
			}
		}
	}
	for _, k := range p.KPIs {
		if !gone[k.Key] && gone[k.Team] {
			add(KindKPI, k.Key)
		}
	}

	out := &Plan{Version: p.Version, Period: p.Period}
	keep := func(key string) bool { return !gone[key] }
	out.Teams = filterBy(p.Teams, func(t Team) bool { return keep(t.Key) })
	out.BusinessObjectives = filterBy(p.BusinessObjectives, func(b BusinessObjective) bool { return keep(b.Key) })
	out.Assumptions = filterBy(p.Assumptions, func(a Assumption) bool { return keep(a.Key) })
	for _, o := range p.Objectives {
		if gone[o.Key] {
			continue
		}
		o.AlignsTo = filterBy(o.AlignsTo, func(a string) bool {
			if gone[a] {
				rm.Cut = append(rm.Cut, Cut{Ref{KindObjective, o.Key}, "aligns_to", a})
			}
			return keep(a)
		})
		o.KeyResults = filterBy(o.KeyResults, func(kr KeyResult) bool { return keep(kr.Key) })
		for i := range o.KeyResults {
			if kr := &o.KeyResults[i]; gone[kr.MeasuredBy] {
				rm.Cut = append(rm.Cut, Cut{Ref{KindKeyResult, kr.Key}, "measured_by", kr.MeasuredBy})
				kr.MeasuredBy = ""
			}
		}
		out.Objectives = append(out.Objectives, o)
	}
	for _, in := range p.Investments {
		if gone[in.Key] {
			continue
		}
		if gone[in.Objective] {
			rm.Cut = append(rm.Cut, Cut{Ref{KindInvestment, in.Key}, "objective", in.Objective})
			in.Objective = ""
		}
		if r := in.ExpectedReturn; r != nil && gone[r.KPI] {
			rm.Cut = append(rm.Cut, Cut{Ref{KindInvestment, in.Key}, "expected_return", r.KPI})
			in.ExpectedReturn = nil
		}
		out.Investments = append(out.Investments, in)
	}
	for _, k := range p.KPIs {
		if gone[k.Key] {
			continue
		}
		k.Links = filterBy(k.Links, func(l Link) bool {
			if gone[l.To] {
				rm.Cut = append(rm.Cut, Cut{Ref{KindKPI, k.Key}, "links", l.To})
			}
			return keep(l.To)
		})
		for i := range k.Links {
			l := &k.Links[i]
			l.Assumptions = filterBy(l.Assumptions, func(a string) bool {
				if gone[a] {
					rm.Cut = append(rm.Cut, Cut{Ref{KindKPI, k.Key}, "links/assumptions", a})
				}
				return keep(a)
			})
		}
		out.KPIs = append(out.KPIs, k)
	}
	return out, rm, nil
}

// filterBy returns the elements of s that keep accepts, in a new slice
// (nil when none).
func filterBy[T any](s []T, keep func(T) bool) []T {
	var out []T
	for _, x := range s {
		if keep(x) {
			out = append(out, x)
		}
	}
	return out
}

// Definition returns the entity key names as the plan holds it (an
// objective with its key results), or nil.
func (p *Plan) Definition(key string) any {
	for i := range p.Objectives {
		o := &p.Objectives[i]
		if o.Key == key {
			return o
		}
		if kr := findKey(o.KeyResults, key, func(k *KeyResult) string { return k.Key }); kr != nil {
			return kr
		}
	}
	if t := findKey(p.Teams, key, func(t *Team) string { return t.Key }); t != nil {
		return t
	}
	if b := findKey(p.BusinessObjectives, key, func(b *BusinessObjective) string { return b.Key }); b != nil {
		return b
	}
	if k := findKey(p.KPIs, key, func(k *KPI) string { return k.Key }); k != nil {
		return k
	}
	if a := findKey(p.Assumptions, key, func(a *Assumption) string { return a.Key }); a != nil {
		return a
	}
	if in := findKey(p.Investments, key, func(in *Investment) string { return in.Key }); in != nil {
		return in
	}
	return nil
}

func findKey[T any](s []T, key string, keyOf func(*T) string) *T {
	for i := range s {
		if keyOf(&s[i]) == key {
			return &s[i]
		}
	}
	return nil
}
