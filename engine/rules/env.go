package rules

import (
	"strings"
	"sync"
	"time"

	"github.com/expr-lang/expr"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/resolve"
)

// Each scope evaluates its rules against one environment type: the entity
// under the scope's name, the whole graph as plan, and today.

type kpiEnv struct {
	KPI    *resolve.KPI   `expr:"kpi"`
	Plan   *resolve.Graph `expr:"plan"`
	Today  time.Time      `expr:"today"`
	Budget *budget        `expr:"__budget"`
}

type keyResultEnv struct {
	KeyResult *resolve.KeyResult `expr:"key_result"`
	Plan      *resolve.Graph     `expr:"plan"`
	Today     time.Time          `expr:"today"`
	Budget    *budget            `expr:"__budget"`
}

type objectiveEnv struct {
	Objective *resolve.Objective `expr:"objective"`
	Plan      *resolve.Graph     `expr:"plan"`
	Today     time.Time          `expr:"today"`
	Budget    *budget            `expr:"__budget"`
}

type businessObjectiveEnv struct {
	BusinessObjective *resolve.BusinessObjective `expr:"business_objective"`
	Plan              *resolve.Graph             `expr:"plan"`
	Today             time.Time                  `expr:"today"`
	Budget            *budget                    `expr:"__budget"`
}

type linkEnv struct {
	Link   *resolve.Link  `expr:"link"`
	Plan   *resolve.Graph `expr:"plan"`
	Today  time.Time      `expr:"today"`
	Budget *budget        `expr:"__budget"`
}

type teamEnv struct {
	Team   *resolve.Team  `expr:"team"`
	Plan   *resolve.Graph `expr:"plan"`
	Today  time.Time      `expr:"today"`
	Budget *budget        `expr:"__budget"`
}

type assumptionEnv struct {
	Assumption *resolve.Assumption `expr:"assumption"`
	Plan       *resolve.Graph      `expr:"plan"`
	Today      time.Time           `expr:"today"`
	Budget     *budget             `expr:"__budget"`
}

type investmentEnv struct {
	Investment *resolve.Investment `expr:"investment"`
	Plan       *resolve.Graph      `expr:"plan"`
	Today      time.Time           `expr:"today"`
	Budget     *budget             `expr:"__budget"`
}

type planEnv struct {
	Plan   *resolve.Graph `expr:"plan"`
	Today  time.Time      `expr:"today"`
	Budget *budget        `expr:"__budget"`
}

// scope describes one rule scope: its environment and its entities.
type scope struct {
	name string
	env  any // a zero environment, for compiling
	// count returns how many entities g has in the scope.
	count func(g *resolve.Graph) int
	// bind returns an environment for entity i, metered by b, and its key,
	// trace and team.
	bind func(g *resolve.Graph, i int, b *budget) (env any, e entity)
}

// entity is what a finding records about the entity it judges. A link's
// key and trace are built only for a finding (see judged).
type entity struct {
	key   string // a link's KPI
	to    string // what a link links to
	trace []string
	team  string
}

// judged returns the key and trace a finding on e records.
func (e entity) judged() (key string, trace []string) {
	if e.to == "" {
		return e.key, e.trace
	}
	return e.key + "->" + e.to, []string{e.key, e.to}
}

// Scopes lists the rule scopes in evaluation order.
var Scopes = []string{"kpi", "key_result", "objective", "business_objective", "link", "team", "assumption", "investment", "plan"}

var scopes = map[string]scope{
	"kpi": {"kpi", kpiEnv{}, func(g *resolve.Graph) int { return len(g.KPIs) },
		func(g *resolve.Graph, i int, b *budget) (any, entity) {
			k := g.KPIs[i]
			return &kpiEnv{k, g, g.Today, b}, entity{key: k.Key, trace: k.Trace, team: k.Team}
		}},
	"key_result": {"key_result", keyResultEnv{}, func(g *resolve.Graph) int { return len(g.KeyResults) },
		func(g *resolve.Graph, i int, b *budget) (any, entity) {
			k := g.KeyResults[i]
			return &keyResultEnv{k, g, g.Today, b}, entity{key: k.Key, team: k.Team}
		}},
	"objective": {"objective", objectiveEnv{}, func(g *resolve.Graph) int { return len(g.Objectives) },
		func(g *resolve.Graph, i int, b *budget) (any, entity) {
			o := g.Objectives[i]
			return &objectiveEnv{o, g, g.Today, b}, entity{key: o.Key, trace: append([]string{o.Key}, o.Ancestors...), team: o.Team}
		}},
	"business_objective": {"business_objective", businessObjectiveEnv{}, func(g *resolve.Graph) int { return len(g.BusinessObjectives) },
		func(g *resolve.Graph, i int, b *budget) (any, entity) {
			bo := g.BusinessObjectives[i]
			return &businessObjectiveEnv{bo, g, g.Today, b}, entity{key: bo.Key}
		}},
	"link": {"link", linkEnv{}, func(g *resolve.Graph) int { return len(g.Links) },
		func(g *resolve.Graph, i int, b *budget) (any, entity) {
			l := g.Links[i]
			return &linkEnv{l, g, g.Today, b}, entity{key: l.KPI, to: l.To, team: l.Team}
		}},
	"team": {"team", teamEnv{}, func(g *resolve.Graph) int { return len(g.Teams) },
		func(g *resolve.Graph, i int, b *budget) (any, entity) {
			return &teamEnv{g.Teams[i], g, g.Today, b}, entity{key: g.Teams[i].Key, team: g.Teams[i].Key}
		}},
	"assumption": {"assumption", assumptionEnv{}, func(g *resolve.Graph) int { return len(g.Assumptions) },
		func(g *resolve.Graph, i int, b *budget) (any, entity) {
			return &assumptionEnv{g.Assumptions[i], g, g.Today, b}, entity{key: g.Assumptions[i].Key}
		}},
	"investment": {"investment", investmentEnv{}, func(g *resolve.Graph) int { return len(g.Investments) },
		func(g *resolve.Graph, i int, b *budget) (any, entity) {
			in := g.Investments[i]
			return &investmentEnv{in, g, g.Today, b}, entity{key: in.Key, team: in.Team}
		}},
	"plan": {"plan", planEnv{}, func(g *resolve.Graph) int { return 1 },
		func(g *resolve.Graph, i int, b *budget) (any, entity) { return &planEnv{g, g.Today, b}, entity{} }},
}

// AttachEntities gives findings that name an entity of g its team and
// trace, as findings of rules carry them: plugins return only the key.
func AttachEntities(g *resolve.Graph, fs []engine.Finding) {
	byKey := map[string]map[string]entity{} // scope -> key -> entity
	for i := range fs {
		f := &fs[i]
		sc, ok := scopes[f.Scope]
		if !ok || f.Entity == "" || f.Team != "" || f.Trace != nil {
			continue
		}
		known, built := byKey[f.Scope]
		if !built {
			known = make(map[string]entity, sc.count(g))
			for j := range sc.count(g) {
				_, e := sc.bind(g, j, nil)
				key, trace := e.judged()
				known[key] = entity{key: key, trace: trace, team: e.team}
			}
			byKey[f.Scope] = known
		}
		e := known[f.Entity]
		f.Team, f.Trace = e.team, e.trace
	}
}

// functions are the helpers rules may call besides expr's builtins.
var functions = []expr.Option{
	// days_between(a, b): whole days from a to b.
	expr.Function("days_between", func(args ...any) (any, error) {
		return int(args[1].(time.Time).Sub(args[0].(time.Time)).Hours() / 24), nil
	}, new(func(time.Time, time.Time) int)),
	// ratio(a, b): a / b, or 0 when b is 0.
	expr.Function("ratio", func(args ...any) (any, error) {
		return Ratio(toFloat(args[0]), toFloat(args[1])), nil
	}, new(func(float64, float64) float64), new(func(int, int) float64), new(func(float64, int) float64), new(func(int, float64) float64)),
	// mentions(text, words): whether text contains any of the words or
	// phrases, matching whole words by prefix, ignoring case.
	expr.Function("mentions", func(args ...any) (any, error) {
		return mentions(args[0].(string), args[1].([]any), func(w any) (string, bool) { s, ok := w.(string); return s, ok }), nil
	}, new(func(string, []any) bool)),
	// period_covers(outer, inner): whether period inner lies within outer
	// ("FY2026" covers "2026-Q4"); false when either is not a period.
	expr.Function("period_covers", func(args ...any) (any, error) {
		outer, err1 := engine.ParsePeriod(args[0].(string))
		inner, err2 := engine.ParsePeriod(args[1].(string))
		return err1 == nil && err2 == nil && outer.Covers(inner), nil
	}, new(func(string, string) bool)),
	// word_count(text): the number of words in text.
	expr.Function("word_count", func(args ...any) (any, error) {
		return len(words(args[0].(string))), nil
	}, new(func(string) int)),
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case int:
		return float64(x)
	case float64:
		return x
	}
	return 0
}

// Ratio returns a / b, or 0 when b is 0.
func Ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// Mentions reports whether text contains one of phrases: each phrase's
// words must appear consecutively in text as word prefixes, ignoring case
// ("open rate" matches "email open rates").
func Mentions(text string, phrases []string) bool {
	return mentions(text, phrases, func(p string) (string, bool) { return p, true })
}

// mentions is Mentions of the phrases str finds in list, which rules pass
// as []any: converting the list would allocate on every call.
func mentions[E any](text string, list []E, str func(E) (string, bool)) bool {
	if isASCII(text) {
		return mentionsASCII(text, list, str)
	}
	return mentionsWords(words(text), list, str)
}

// mentionsWords is mentions of a text split into lowercase words.
func mentionsWords[E any](tw []string, list []E, str func(E) (string, bool)) bool {
	return mentionsIn(len(tw), func(i int, w string) bool { return strings.HasPrefix(tw[i], w) }, list, str)
}

// mentionsASCII is mentions of an ASCII text, read in place: rules call
// mentions on every entity, and splitting each text into words allocated.
func mentionsASCII[E any](text string, list []E, str func(E) (string, bool)) bool {
	var spans [32][2]int
	tw := spans[:0] // where each word of text starts and ends
	for i := 0; i < len(text); {
		for i < len(text) && !isWordByte(text[i]) {
			i++
		}
		start := i
		for i < len(text) && isWordByte(text[i]) {
			i++
		}
		if i > start {
			tw = append(tw, [2]int{start, i})
		}
	}
	return mentionsIn(len(tw), func(i int, w string) bool { return hasLowerPrefix(text[tw[i][0]:tw[i][1]], w) }, list, str)
}

// mentionsIn is mentions of a text of n words; starts reports whether
// word i, lowercased, starts with w.
func mentionsIn[E any](n int, starts func(i int, w string) bool, list []E, str func(E) (string, bool)) bool {
	for _, e := range list {
		p, ok := str(e)
		if !ok {
			continue
		}
		pw := phraseWords(p)
		for i := 0; len(pw) > 0 && i+len(pw) <= n; i++ {
			match := true
			for j, w := range pw {
				if !starts(i+j, w) {
					match = false
					break
				}
			}
			if match {
				return true
			}
		}
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] > 127 {
			return false
		}
	}
	return true
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// hasLowerPrefix reports whether the ASCII word, lowercased, starts with
// prefix.
func hasLowerPrefix(word, prefix string) bool {
	if len(word) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		c := word[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}

// phraseCache holds tokenised phrases: rules pass the same constant word
// lists for every entity.
var phraseCache sync.Map // string -> []string

func phraseWords(p string) []string {
	if w, ok := phraseCache.Load(p); ok {
		return w.([]string)
	}
	w := words(p)
	phraseCache.Store(p, w)
	return w
}

func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127)
	})
}
