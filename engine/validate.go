package engine

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
)

// KeyPattern is the regular expression every key matches: lower-case
// letters, digits, '-' and '_', starting with a letter or digit.
const KeyPattern = `^[a-z0-9][a-z0-9_-]*$`

// ValidKey reports whether s is a usable key: at most 128 bytes matching
// KeyPattern.
func ValidKey(s string) bool { return len(s) <= 128 && MatchesKeyPattern(s) }

// MatchesKeyPattern reports whether s matches KeyPattern, several times
// faster than the regular expression.
func MatchesKeyPattern(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case (c == '-' || c == '_') && i > 0:
		default:
			return false
		}
	}
	return true
}

// Validate checks the plan as a whole: keys unique across kinds, every
// reference resolving to an entity of the right kind, no parent or driver
// cycles, periods and enumerations valid, key results due inside their
// objective's period. It returns every problem found, in plan order.
func (p *Plan) Validate() Problems {
	v := validator{plan: p, kinds: make(map[string]Kind, p.entityCount()),
		functions: slices.Concat(Functions, CompanyFunctions), businessCategories: slices.Concat(BusinessCategories, CompanyBusinessCategories),
		kpiCategories: slices.Concat(KPICategories, CompanyKPICategories)}
	v.collectKeys()
	v.checkEntities()
	v.checkText()
	if parents := v.parentEdges(); !v.checkCycles("parent", parents, "objective parents form a cycle: %s; break it by giving one of them a business objective as parent") {
		v.checkDepth("parent", parents, "objective %q hangs %d levels below the top of its parent chain; okrmap allows %d (plan.max_depth): flatten the cascade")
	}
	if drivers := v.driverEdges(); !v.checkCycles("links", drivers, "KPI driver links form a cycle: %s; a KPI cannot drive itself, remove one link") {
		v.checkDepth("links", drivers, "KPI %q starts a chain of %d driver links; okrmap allows %d (plan.max_depth): link to the outcome more directly")
	}
	return v.problems
}

// Limits on a plan's shape and size, so that no plan can make okrmap
// recurse, trace or store without bound (config keys plan.max_depth and
// plan.max_text).
var (
	// MaxDepth bounds parent chains and driver-link chains.
	MaxDepth = 64
	// MaxText bounds, in bytes, every text field of a plan.
	MaxText = 64 << 10
)

type validator struct {
	plan     *Plan
	kinds    map[string]Kind // key -> kind
	problems Problems
	srcs     map[string]Source // objective and KPI keys -> where declared
	// The open lists: built-in values and the company's own.
	functions, businessCategories, kpiCategories []string
}

func (v *validator) add(src Source, field, key, format string, args ...any) {
	path := src.Path
	if field != "" {
		path += "/" + field
	}
	v.problems = append(v.problems, Problem{File: src.File, Path: path, Key: key, Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) declare(src Source, key string, kind Kind) {
	if !ValidKey(key) {
		v.add(src, "key", key, "key %q is not a valid key: use lower-case letters, digits, '-' and '_', starting with a letter or digit", key)
		return
	}
	if prev, ok := v.kinds[key]; ok {
		v.add(src, "key", key, "%s", duplicateKey(key, prev))
		return
	}
	v.kinds[key] = kind
}

func duplicateKey(key string, prev Kind) string {
	return fmt.Sprintf("duplicate key %q: it is already used by a %s; keys are unique across all kinds, so rename one", key, prev)
}

func (v *validator) collectKeys() {
	v.plan.EachEntity(func(kind Kind, key string, src Source) { v.declare(src, key, kind) })
}

// ref checks that ref names an entity of one of the wanted kinds.
func (v *validator) ref(src Source, field, key, ref string, want ...Kind) {
	if ref == "" {
		return
	}
	got, ok := v.kinds[ref]
	if ok && slices.Contains(want, got) {
		return
	}
	names := make([]string, len(want))
	for i, k := range want {
		names[i] = string(k)
	}
	wanted := names[len(names)-1]
	if len(names) > 1 {
		wanted = strings.Join(names[:len(names)-1], ", ") + " or " + wanted
	}
	if ok {
		v.add(src, field, key, "%s %q is %s, but must name %s", lastField(field), ref, withArticle(string(got)), withArticle(wanted))
		return
	}
	msg := fmt.Sprintf("%s %q: no %s has this key; declare it or fix the spelling", lastField(field), ref, wanted)
	if s := v.suggest(ref, want); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	v.add(src, field, key, "%s", msg)
}

// withArticle puts "a" or "an" before a kind's name: "an objective".
func withArticle(s string) string {
	if s != "" && strings.ContainsRune("aeiou", rune(s[0])) {
		return "an " + s
	}
	return "a " + s
}

// lastField returns the name in a field path: "kpi" for "expected_return/kpi",
// "assumptions" for "assumptions/2".
func lastField(field string) string {
	parts := strings.Split(field, "/")
	for i := len(parts) - 1; i > 0; i-- {
		if strings.Trim(parts[i], "0123456789") != "" {
			return parts[i]
		}
	}
	return parts[0]
}

// suggest returns the closest declared key of a wanted kind, if close enough.
func (v *validator) suggest(ref string, want []Kind) string {
	best, bestDist := "", len(ref)/3+1
	for key, kind := range v.kinds {
		if !slices.Contains(want, kind) {
			continue
		}
		if d := editDistance(ref, key, bestDist); d < bestDist || d == bestDist && best != "" && key < best {
			best, bestDist = key, d
		}
	}
	return best
}

// Closest returns the option nearest to word by edit distance, if it is
// close enough to be what was meant, else "".
func Closest(word string, options []string) string {
	best, bestDist := "", len(word)/3+1
	for _, o := range options {
		if d := editDistance(word, o, bestDist); d < bestDist || d == bestDist && best != "" && o < best {
			best, bestDist = o, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b, or max+1 when it
// exceeds max.
func editDistance(a, b string, max int) int {
	if d := len(a) - len(b); d > max || -d > max {
		return max + 1
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func (v *validator) enum(src Source, field, key, value string, allowed []string) {
	if value != "" && !slices.Contains(allowed, value) {
		v.add(src, field, key, "%s %q is not one of: %s", field, value, strings.Join(allowed, ", "))
	}
}

func (v *validator) period(src Source, key, name string) (Period, bool) {
	if name == "" {
		return Period{}, false
	}
	per, err := ParsePeriod(name)
	if err != nil {
		v.add(src, "period", key, "%v", err)
		return Period{}, false
	}
	return per, true
}

// number refuses a number beyond ±MaxMagnitude (nil is not set).
func (v *validator) number(src Source, field, key string, x *float64) {
	if x == nil {
		return
	}
	if err := CheckMagnitude(*x); err != nil {
		v.add(src, field, key, "%s %v", strings.ReplaceAll(field, "/", "."), err)
	}
}

func (v *validator) unit01(src Source, field, key string, x *float64) {
	if x != nil && (*x < 0 || *x > 1) {
		v.add(src, field, key, "%s %g is out of range: use a number from 0 to 1", field, *x)
	}
}

func (v *validator) checkEntities() {
	p := v.plan
	for _, t := range p.Teams {
		v.enum(t.Src, "function", t.Key, t.Function, v.functions)
		v.enum(t.Src, "cadence", t.Key, t.Cadence, Frequencies)
	}
	for _, b := range p.BusinessObjectives {
		v.enum(b.Src, "category", b.Key, b.Category, v.businessCategories)
		v.period(b.Src, b.Key, b.Period)
		v.number(b.Src, "target", b.Key, b.Target)
	}
	for _, o := range p.Objectives {
		v.checkObjective(o)
	}
	for _, k := range p.KPIs {
		v.checkKPI(k)
	}
	for _, a := range p.Assumptions {
		v.enum(a.Src, "status", a.Key, a.Status, AssumptionStatuses)
	}
	for _, in := range p.Investments {
		v.period(in.Src, in.Key, in.Period)
		v.ref(in.Src, "objective", in.Key, in.Objective, KindObjective, KindBusinessObjective)
		v.number(in.Src, "amount", in.Key, &in.Amount)
		if in.Amount < 0 {
			v.add(in.Src, "amount", in.Key, "amount %g is negative; budget lines are spend, enter a positive amount", in.Amount)
		}
		if in.ExpectedReturn != nil {
			v.ref(in.Src, "expected_return/kpi", in.Key, in.ExpectedReturn.KPI, KindKPI)
			v.number(in.Src, "expected_return/value", in.Key, &in.ExpectedReturn.Value)
		}
	}
}

func (v *validator) checkObjective(o Objective) {
	v.ref(o.Src, "team", o.Key, o.Team, KindTeam)
	v.ref(o.Src, "parent", o.Key, o.Parent, KindObjective, KindBusinessObjective, KindKeyResult)
	if o.Parent == o.Key && o.Key != "" {
		v.add(o.Src, "parent", o.Key, "objective %q is its own parent; name a business objective or another objective", o.Key)
	}
	if len(o.AlignsTo) > 0 && o.Parent == "" {
		v.add(o.Src, "aligns_to", o.Key, "aligns_to names more key results beside the parent, and the objective has none; make the main one its parent")
	}
	for i, a := range o.AlignsTo {
		field := fmt.Sprintf("aligns_to/%d", i)
		v.ref(o.Src, field, o.Key, a, KindKeyResult)
		switch {
		case a == o.Parent:
			v.add(o.Src, field, o.Key, "aligns_to repeats the parent %q; aligns_to names the other key results the objective serves", a)
		case slices.Contains(o.AlignsTo[:i], a):
			v.add(o.Src, field, o.Key, "aligns_to names %q twice; keep one", a)
		}
	}
	v.enum(o.Src, "status", o.Key, o.Status, ObjectiveStatuses)
	per, hasPeriod := v.period(o.Src, o.Key, o.Period)
	if o.Period == "" {
		v.add(o.Src, "period", o.Key, "objective has no period: set period on the objective or at the top of the plan file")
	}
	for _, kr := range o.KeyResults {
		v.ref(kr.Src, "measured_by", kr.Key, kr.MeasuredBy, KindKPI)
		v.enum(kr.Src, "direction", kr.Key, kr.Direction, Directions)
		v.enum(kr.Src, "commitment", kr.Key, kr.Commitment, Commitments)
		v.number(kr.Src, "baseline", kr.Key, kr.Baseline)
		v.number(kr.Src, "target", kr.Key, kr.Target)
		v.number(kr.Src, "current", kr.Key, kr.Current)
		v.unit01(kr.Src, "confidence", kr.Key, kr.Confidence)
		v.unit01(kr.Src, "score", kr.Key, kr.Score)
		if hasPeriod && !kr.Due.IsZero() && !per.Contains(kr.Due) {
			v.add(kr.Src, "due", kr.Key, "due %s is outside the objective's period %s (%s to %s); move the date or the key result",
				kr.Due, per.Name, per.Start, per.End)
		}
	}
}

func (v *validator) checkKPI(k KPI) {
	v.ref(k.Src, "team", k.Key, k.Team, KindTeam)
	v.enum(k.Src, "kind", k.Key, k.Kind, KPIKinds)
	v.enum(k.Src, "category", k.Key, k.Category, v.kpiCategories)
	v.enum(k.Src, "frequency", k.Key, k.Frequency, Frequencies)
	v.enum(k.Src, "attribution", k.Key, k.Attribution, AttributionModels)
	v.enum(k.Src, "direction", k.Key, k.Direction, Directions)
	v.number(k.Src, "target", k.Key, k.Target)
	if t := k.Thresholds; t != nil {
		v.number(k.Src, "thresholds/warning", k.Key, t.Warning)
		v.number(k.Src, "thresholds/critical", k.Key, t.Critical)
	}
	if m := k.Measure; m != nil {
		switch {
		case !ValidKey(m.From):
			v.add(k.Src, "measure/from", k.Key, "measure.from %q is not a connector name (lower-case letters, digits, - and _)", m.From)
		case k.Formula != "":
			v.add(k.Src, "measure", k.Key, "a KPI with a formula is derived from other KPIs; drop its measure, or its formula")
		}
		v.enum(k.Src, "measure/every", k.Key, m.Every, Frequencies)
	}
	seen := map[string]bool{}
	for _, l := range k.Links {
		v.ref(l.Src, "to", k.Key, l.To, KindKeyResult, KindObjective, KindBusinessObjective, KindKPI)
		if l.To == k.Key {
			v.add(l.Src, "to", k.Key, "KPI links to itself; a driver link must name another KPI")
		}
		if seen[l.To] {
			v.add(l.Src, "to", k.Key, "KPI links to %q twice; keep one link", l.To)
		}
		seen[l.To] = true
		v.unit01(l.Src, "weight", k.Key, l.Weight)
		for i, a := range l.Assumptions {
			v.ref(l.Src, fmt.Sprintf("assumptions/%d", i), k.Key, a, KindAssumption)
		}
	}
}

// checkParentCycles rejects objectives whose parent chain loops.
// An objective under a key result hangs under that key result's objective.
// checkCycles reports each cycle along edges at its first key, and whether
// there was any; msg gets the cycle written a -> b -> a.
func (v *validator) checkCycles(field string, edges map[string][]string, msg string) bool {
	cycles := FindCycles(edges)
	for _, cycle := range cycles {
		v.add(v.srcOf(cycle[0]), field, cycle[0], msg, strings.Join(append(cycle, cycle[0]), " -> "))
	}
	return len(cycles) > 0
}

// parentEdges maps each objective to the objective above it (through a
// parent key result), reporting an objective under its own key result.
func (v *validator) parentEdges() map[string][]string {
	krObjective := map[string]string{}
	for _, o := range v.plan.Objectives {
		for _, kr := range o.KeyResults {
			krObjective[kr.Key] = o.Key
		}
	}
	edges := map[string][]string{}
	for _, o := range v.plan.Objectives {
		p := o.Parent
		if via, ok := krObjective[p]; ok {
			if via == o.Key {
				v.add(o.Src, "parent", o.Key, "objective %q hangs under its own key result %q; name another objective's key result", o.Key, p)
				continue
			}
			p = via
		}
		if p != "" && p != o.Key {
			edges[o.Key] = []string{p}
		}
		for _, a := range o.AlignsTo {
			switch via, ok := krObjective[a]; {
			case !ok:
			case via == o.Key:
				v.add(o.Src, "aligns_to", o.Key, "objective %q aligns to its own key result %q; name another objective's key result", o.Key, a)
			case !slices.Contains(edges[o.Key], via):
				edges[o.Key] = append(edges[o.Key], via)
			}
		}
	}
	return edges
}

// srcOf is where the entity key is declared.
func (v *validator) srcOf(key string) Source {
	if v.srcs == nil {
		v.srcs = map[string]Source{}
		for _, o := range v.plan.Objectives {
			v.srcs[o.Key] = o.Src
		}
		for _, k := range v.plan.KPIs {
			v.srcs[k.Key] = k.Src
		}
	}
	return v.srcs[key]
}

// driverEdges maps each KPI to the KPIs it links to.
func (v *validator) driverEdges() map[string][]string {
	edges := map[string][]string{}
	for _, k := range v.plan.KPIs {
		for _, l := range k.Links {
			if v.kinds[l.To] == KindKPI && l.To != k.Key {
				edges[k.Key] = append(edges[k.Key], l.To)
			}
		}
	}
	return edges
}

// checkDepth reports each chain along edges (which hold no cycle) longer
// than MaxDepth once, at its start: an entity whose chain is too long and
// that no entity with a too-long chain leads to.
func (v *validator) checkDepth(field string, edges map[string][]string, msg string) {
	length := map[string]int{}
	var chain func(k string) int
	chain = func(k string) int {
		if n, ok := length[k]; ok {
			return n
		}
		n := 1
		for _, next := range edges[k] {
			n = max(n, 1+chain(next))
		}
		length[k] = n
		return n
	}
	led := map[string]bool{} // reached from an entity whose chain is too long
	keys := make([]string, 0, len(edges))
	for k := range edges {
		keys = append(keys, k)
		if chain(k) > MaxDepth+1 {
			for _, next := range edges[k] {
				led[next] = true
			}
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if n := chain(k); n > MaxDepth+1 && !led[k] {
			v.add(v.srcOf(k), field, k, msg, k, n-1, MaxDepth)
		}
	}
}

// FindCycles returns one cycle per strongly connected component that
// has a cycle, rotated to start at its smallest key, sorted.
func FindCycles(edges map[string][]string) [][]string {
	const (
		unvisited = iota
		onStack
		done
	)
	state := map[string]int{}
	var cycles [][]string
	nodes := make([]string, 0, len(edges))
	for k := range edges {
		nodes = append(nodes, k)
	}
	sort.Strings(nodes)
	for _, start := range nodes {
		if state[start] != unvisited {
			continue
		}
		// Iterative DFS so deep driver chains cannot overflow the stack.
		type frame struct {
			node string
			next int
		}
		stack := []frame{{start, 0}}
		state[start] = onStack
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			out := edges[top.node]
			if top.next == len(out) {
				state[top.node] = done
				stack = stack[:len(stack)-1]
				continue
			}
			n := out[top.next]
			top.next++
			switch state[n] {
			case unvisited:
				state[n] = onStack
				stack = append(stack, frame{n, 0})
			case onStack:
				var cycle []string
				for i := len(stack) - 1; i >= 0; i-- {
					cycle = append(cycle, stack[i].node)
					if stack[i].node == n {
						break
					}
				}
				slices.Reverse(cycle)
				cycles = append(cycles, rotateMin(cycle))
			}
		}
	}
	sort.Slice(cycles, func(i, j int) bool { return cycles[i][0] < cycles[j][0] })
	return cycles
}

func rotateMin(c []string) []string {
	m := 0
	for i := range c {
		if c[i] < c[m] {
			m = i
		}
	}
	return append(append([]string{}, c[m:]...), c[:m]...)
}

// checkText refuses text fields longer than MaxText bytes, in every
// entity, naming the field.
func (v *validator) checkText() {
	check := func(src Source, key string, e any) {
		rv := reflect.ValueOf(e).Elem()
		for _, tf := range textFieldsOf(rv.Type()) {
			f := rv.Field(tf.index)
			if f.Kind() == reflect.String {
				if f.Len() > MaxText {
					v.add(src, tf.name, key, "%s is %d bytes long; okrmap keeps text under %d bytes (plan.max_text)", tf.name, f.Len(), MaxText)
				}
				continue
			}
			for j := range f.Len() {
				if f.Index(j).Len() > MaxText {
					v.add(src, fmt.Sprintf("%s/%d", tf.name, j), key, "%s is %d bytes long; okrmap keeps text under %d bytes (plan.max_text)", tf.name, f.Index(j).Len(), MaxText)
				}
			}
		}
	}
	p := v.plan
	for i := range p.Teams {
		check(p.Teams[i].Src, p.Teams[i].Key, &p.Teams[i])
	}
	for i := range p.BusinessObjectives {
		b := &p.BusinessObjectives[i]
		check(b.Src, b.Key, b)
	}
	for i := range p.Objectives {
		o := &p.Objectives[i]
		check(o.Src, o.Key, o)
		for j := range o.KeyResults {
			check(o.KeyResults[j].Src, o.KeyResults[j].Key, &o.KeyResults[j])
		}
	}
	for i := range p.KPIs {
		k := &p.KPIs[i]
		check(k.Src, k.Key, k)
		for j := range k.Links {
			check(k.Links[j].Src, k.Key, &k.Links[j])
		}
		if k.Measure != nil {
			check(k.Src, k.Key, k.Measure)
		}
	}
	for i := range p.Assumptions {
		check(p.Assumptions[i].Src, p.Assumptions[i].Key, &p.Assumptions[i])
	}
	for i := range p.Investments {
		check(p.Investments[i].Src, p.Investments[i].Key, &p.Investments[i])
	}
}

// textField is a string or []string field of an entity type, by index,
// with its JSON name.
type textField struct {
	index int
	name  string
}

var textFields sync.Map // reflect.Type -> []textField

func textFieldsOf(t reflect.Type) []textField {
	if fs, ok := textFields.Load(t); ok {
		return fs.([]textField)
	}
	var fs []textField
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Type.Kind() == reflect.String || (f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.String) {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			fs = append(fs, textField{i, name})
		}
	}
	textFields.Store(t, fs)
	return fs
}
