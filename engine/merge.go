package engine

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// Action says what applying a plan does to one entity.
type Action string

// Actions.
const (
	Created   Action = "created"
	Updated   Action = "updated"
	Unchanged Action = "unchanged"
	// Deleted is what apply --prune removes.
	Deleted Action = "deleted"
)

// ApplyOptions say how to apply a plan.
type ApplyOptions struct {
	DryRun bool
	Author string
	// Set names the plan set the files belong to: each entity they name
	// is marked as the set's.
	Set string
	// Prune deletes the set's entities that the files no longer name.
	// It needs Set, and is refused when anything else depends on them.
	Prune bool
}

// Change is what applying a plan does to one entity.
type Change struct {
	Kind   Kind   `json:"kind"`
	Key    string `json:"key"`
	Action Action `json:"action"`
	// Fields are what an update changes, field by field.
	Fields []FieldChange `json:"fields,omitempty"`
	// DroppedLinks are the targets of links an updated KPI loses: the plan
	// gives it exactly its links.
	DroppedLinks []string `json:"dropped_links,omitempty"`
}

// FieldChange is one field of an update, old and new as JSON.
type FieldChange struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

// Changes lists what applying a plan does, entity by entity.
type Changes []Change

// Count returns how many entities of kind get action.
func (cs Changes) Count(kind Kind, action Action) int {
	n := 0
	for _, c := range cs {
		if c.Kind == kind && c.Action == action {
			n++
		}
	}
	return n
}

// Total returns how many entities of any kind get action.
func (cs Changes) Total(action Action) int {
	n := 0
	for _, c := range cs {
		if c.Action == action {
			n++
		}
	}
	return n
}

// Changed reports whether any entity is created or updated.
func (cs Changes) Changed() bool {
	for _, c := range cs {
		if c.Action != Unchanged {
			return true
		}
	}
	return false
}

// Merge upserts the entities of in into base by key and returns the result
// with what changed. base is not modified. Links and key results belong to
// their KPI and objective: an updated KPI has exactly the links in gives it.
// Entities of base that in does not mention are kept. State that a plan may
// leave out (objective status; key result current, confidence and score)
// keeps base's value; a new objective is active.
//
// A key that base holds as another kind is a problem reported against in.
func Merge(base, in *Plan) (*Plan, Changes, Problems) {
	baseKinds := base.keyKinds()
	var probs Problems
	seen := make(map[string]Kind, in.entityCount())
	in.EachEntity(func(kind Kind, key string, src Source) {
		if k, dup := seen[key]; dup {
			probs = append(probs, Problem{File: src.File, Path: src.Path + "/key", Key: key,
				Msg: duplicateKey(key, k)})
			return
		}
		seen[key] = kind
		if k, ok := baseKinds[key]; ok && k != kind {
			probs = append(probs, Problem{File: src.File, Path: src.Path + "/key", Key: key,
				Msg: fmt.Sprintf("key %q is already a %s in the database; keys are unique across kinds, so choose another key", key, k)})
		}
	})
	if len(probs) > 0 {
		return nil, nil, probs
	}

	var cs Changes
	out := &Plan{Version: in.Version, Period: in.Period}
	out.Teams = mergeList(&cs, KindTeam, base.Teams, in.Teams, func(t *Team) string { return t.Key }, nil)
	out.BusinessObjectives = mergeList(&cs, KindBusinessObjective, base.BusinessObjectives, in.BusinessObjectives,
		func(b *BusinessObjective) string { return b.Key }, nil)
	out.Objectives = mergeList(&cs, KindObjective, withoutKRs(base.Objectives), withoutKRs(in.Objectives),
		func(o *Objective) string { return o.Key },
		func(old *Objective, o *Objective) {
			switch {
			case o.Status != "":
			case old != nil:
				o.Status = old.Status
			default:
				o.Status = "active"
			}
		})
	krs := mergeList(&cs, KindKeyResult, base.keyResults(), in.keyResults(),
		func(kr *KeyResult) string { return kr.Key },
		func(old *KeyResult, kr *KeyResult) {
			if old == nil {
				return
			}
			keep(&kr.Current, old.Current)
			keep(&kr.Confidence, old.Confidence)
			keep(&kr.Score, old.Score)
		})
	out.regroupKeyResults(krs)
	out.KPIs = mergeList(&cs, KindKPI, base.KPIs, in.KPIs, func(k *KPI) string { return k.Key }, nil)
	droppedLinks(cs, base.KPIs, in.KPIs)
	out.Assumptions = mergeList(&cs, KindAssumption, base.Assumptions, in.Assumptions, func(a *Assumption) string { return a.Key }, nil)
	out.Investments = mergeList(&cs, KindInvestment, base.Investments, in.Investments, func(i *Investment) string { return i.Key }, nil)
	return out, cs, nil
}

// droppedLinks notes on each updated KPI the links base has and in does
// not give it.
func droppedLinks(cs Changes, base, in []KPI) {
	updated := map[string]bool{}
	for _, c := range cs {
		if c.Kind == KindKPI && c.Action == Updated {
			updated[c.Key] = true
		}
	}
	if len(updated) == 0 {
		return
	}
	had, gives := map[string][]Link{}, map[string][]Link{}
	for _, k := range base {
		if updated[k.Key] {
			had[k.Key] = k.Links
		}
	}
	for _, k := range in {
		if updated[k.Key] {
			gives[k.Key] = k.Links
		}
	}
	for i := range cs {
		c := &cs[i]
		if c.Kind != KindKPI || c.Action != Updated {
			continue
		}
		for _, l := range had[c.Key] {
			if !slices.ContainsFunc(gives[c.Key], func(x Link) bool { return x.To == l.To }) {
				c.DroppedLinks = append(c.DroppedLinks, l.To)
			}
		}
	}
}

// fieldChanges lists the fields of two entities of one type that differ,
// by their JSON names, with values as JSON.
func fieldChanges(old, cur any) []FieldChange {
	a, b := reflect.ValueOf(old), reflect.ValueOf(cur)
	var out []FieldChange
	for i := range a.NumField() {
		f := a.Type().Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" || equalValues(a.Field(i), b.Field(i)) {
			continue
		}
		out = append(out, FieldChange{Field: name, Old: jsonValue(a.Field(i)), New: jsonValue(b.Field(i))})
	}
	return out
}

func jsonValue(v reflect.Value) string {
	if v.Kind() == reflect.Pointer && v.IsNil() || v.Kind() == reflect.Slice && v.Len() == 0 {
		return "-"
	}
	if links, ok := v.Interface().([]Link); ok { // where they lead is what reads
		to := make([]string, len(links))
		for i, l := range links {
			to[i] = l.To
		}
		return "[" + strings.Join(to, ", ") + "]"
	}
	b, err := json.Marshal(v.Interface())
	if err != nil {
		return fmt.Sprint(v.Interface())
	}
	s := string(b)
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}

func keep(dst **float64, old *float64) {
	if *dst == nil {
		*dst = old
	}
}

// mergeList upserts in into base, keeping base's order and appending new
// entities. fill, when set, completes an incoming entity from the stored one
// (nil when the entity is new) before the two are compared. Until the first
// change the result is base itself: re-applying a plan of a million KPIs
// copied them all.
func mergeList[T any](cs *Changes, kind Kind, base, in []T, key func(*T) string, fill func(old *T, t *T)) []T {
	out, owned := base, false
	own := func() {
		if !owned {
			out, owned = append(make([]T, 0, len(base)+len(in)), base...), true
		}
	}
	var at map[string]int // by key; built at the first entity not at its place in base
	for j := range in {
		t := in[j]
		k := key(&t)
		i, exists := j, j < len(base) && key(&base[j]) == k
		if !exists {
			if at == nil {
				at = make(map[string]int, len(base))
				for i := range base {
					at[key(&base[i])] = i
				}
			}
			i, exists = at[k]
		}
		var old *T
		if exists {
			old = &out[i]
		}
		if fill != nil {
			fill(old, &t)
		}
		switch {
		case !exists:
			own()
			at[k] = len(out)
			out = append(out, t)
			*cs = append(*cs, Change{Kind: kind, Key: k, Action: Created})
		case sameEntity(old, &t):
			*cs = append(*cs, Change{Kind: kind, Key: k, Action: Unchanged})
		default:
			*cs = append(*cs, Change{Kind: kind, Key: k, Action: Updated, Fields: fieldChanges(*old, t)})
			own()
			out[i] = t
		}
	}
	return out
}

// sameEntity compares two entities, or what two pointers point to,
// ignoring where they were read from and treating empty and nil slices
// alike.
func sameEntity(a, b any) bool {
	return equalValues(reflect.Indirect(reflect.ValueOf(a)), reflect.Indirect(reflect.ValueOf(b)))
}

var (
	sourceType = reflect.TypeFor[Source]()
	dateType   = reflect.TypeFor[Date]()
)

// equalValues compares the entity values a and b of the same type without
// copying them. It covers the kinds entity types use.
func equalValues(a, b reflect.Value) bool {
	switch a.Kind() {
	case reflect.Struct:
		switch a.Type() {
		case sourceType:
			return true
		case dateType:
			return a.Interface().(Date).t.Equal(b.Interface().(Date).t)
		}
		for i := range a.NumField() {
			if !equalValues(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Slice:
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !equalValues(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return equalValues(a.Elem(), b.Elem())
	case reflect.String:
		return a.String() == b.String()
	case reflect.Float64:
		return a.Float() == b.Float()
	case reflect.Int:
		return a.Int() == b.Int()
	case reflect.Bool:
		return a.Bool() == b.Bool()
	}
	panic("equalValues: unsupported kind " + a.Kind().String())
}

func withoutKRs(objs []Objective) []Objective {
	out := make([]Objective, len(objs))
	for i, o := range objs {
		o.KeyResults = nil
		out[i] = o
	}
	return out
}

// keyResults returns every key result with its Objective set.
func (p *Plan) keyResults() []KeyResult {
	var out []KeyResult
	for _, o := range p.Objectives {
		for _, kr := range o.KeyResults {
			kr.Objective = o.Key
			out = append(out, kr)
		}
	}
	return out
}

// regroupKeyResults nests krs under their objectives, in krs order.
func (p *Plan) regroupKeyResults(krs []KeyResult) {
	at := make(map[string]int, len(p.Objectives))
	for i, o := range p.Objectives {
		at[o.Key] = i
		p.Objectives[i].KeyResults = nil
	}
	for _, kr := range krs {
		if i, ok := at[kr.Objective]; ok {
			p.Objectives[i].KeyResults = append(p.Objectives[i].KeyResults, kr)
		}
	}
}

// EachEntity calls fn for every keyed entity, in plan order.
func (p *Plan) EachEntity(fn func(kind Kind, key string, src Source)) {
	for _, t := range p.Teams {
		fn(KindTeam, t.Key, t.Src)
	}
	for _, b := range p.BusinessObjectives {
		fn(KindBusinessObjective, b.Key, b.Src)
	}
	for _, o := range p.Objectives {
		fn(KindObjective, o.Key, o.Src)
		for _, kr := range o.KeyResults {
			fn(KindKeyResult, kr.Key, kr.Src)
		}
	}
	for _, k := range p.KPIs {
		fn(KindKPI, k.Key, k.Src)
	}
	for _, a := range p.Assumptions {
		fn(KindAssumption, a.Key, a.Src)
	}
	for _, i := range p.Investments {
		fn(KindInvestment, i.Key, i.Src)
	}
}

func (p *Plan) keyKinds() map[string]Kind {
	m := make(map[string]Kind, p.entityCount())
	p.EachEntity(func(kind Kind, key string, _ Source) { m[key] = kind })
	return m
}

// entityCount is the number of entities p holds, of every kind.
func (p *Plan) entityCount() int {
	n := len(p.Teams) + len(p.BusinessObjectives) + len(p.Objectives) + len(p.KPIs) + len(p.Assumptions) + len(p.Investments)
	for _, o := range p.Objectives {
		n += len(o.KeyResults)
	}
	return n
}

// Concat returns one plan holding the entities of all plans, in order; the
// first non-empty version and period win. One plan is returned itself.
func Concat(plans ...*Plan) *Plan {
	if len(plans) == 1 {
		return plans[0]
	}
	out := &Plan{}
	for _, p := range plans {
		if out.Version == 0 {
			out.Version = p.Version
		}
		if out.Period == "" {
			out.Period = p.Period
		}
		out.Teams = append(out.Teams, p.Teams...)
		out.BusinessObjectives = append(out.BusinessObjectives, p.BusinessObjectives...)
		out.Objectives = append(out.Objectives, p.Objectives...)
		out.KPIs = append(out.KPIs, p.KPIs...)
		out.Assumptions = append(out.Assumptions, p.Assumptions...)
		out.Investments = append(out.Investments, p.Investments...)
	}
	return out
}
