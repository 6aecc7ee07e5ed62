package rules

import (
	"regexp"
	"strings"
	"time"

	"github.com/expr-lang/expr"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/resolve"
	"github.com/okrmap/okrmap/engine/wording"
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
		_, ok := wording.Find(args[0].(string), args[1].([]any), func(w any) (string, bool) { s, ok := w.(string); return s, ok })
		return ok, nil
	}, new(func(string, []any) bool)),
	// period_covers(outer, inner): whether period inner lies within outer
	// ("FY2026" covers "2026-Q4"); false when either is not a period.
	expr.Function("period_covers", func(args ...any) (any, error) {
		outer, err1 := engine.ParsePeriod(args[0].(string))
		inner, err2 := engine.ParsePeriod(args[1].(string))
		return err1 == nil && err2 == nil && outer.Covers(inner), nil
	}, new(func(string, string) bool)),
	// metric_numbers(text): the words of text with a digit that are not
	// period labels (FY21, Q3, H2, 2026, FY2026-Q1): "40M", "70%".
	expr.Function("metric_numbers", func(args ...any) (any, error) {
		return MetricNumbers(args[0].(string)), nil
	}, new(func(string) []string)),
	// percent(share): a 0-1 share as a whole percentage, "37%", rounded as
	// every report rounds it.
	expr.Function("percent", func(args ...any) (any, error) {
		return engine.Percent(toFloat(args[0])), nil
	}, new(func(float64) string), new(func(int) string)),
	// number(x, unit): x for people, with thousands separators and the
	// decimals its unit deserves ("4,600", "3.4"), as reports write it.
	expr.Function("number", func(args ...any) (any, error) {
		return engine.Number(toFloat(args[0]), args[1].(string)), nil
	}, new(func(float64, string) string), new(func(int, string) string)),
	// word_count(text): the number of words in text.
	expr.Function("word_count", func(args ...any) (any, error) {
		return len(wording.Words(args[0].(string))), nil
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

// periodLabel matches a word that names a period, not a quantity.
var periodLabel = regexp.MustCompile(`(?i)^(fy\d{2}(\d{2})?(-?(q[1-4]|h[12]))?|(19|20)\d{2}(-?(q[1-4]|h[12]))?|(q[1-4]|h[12])(-?(19|20)\d{2})?)$`)

// MetricNumbers returns the words of text that carry a digit and are not
// period labels (FY21, Q3, H2, 2026, FY2026-Q1, 2026-Q4): the numbers an
// objective title should leave to its key results.
func MetricNumbers(text string) []string {
	var out []string
	for _, w := range strings.Fields(text) {
		w = strings.Trim(w, ".,;:!?()[]\"'")
		if strings.ContainsAny(w, "0123456789") && !periodLabel.MatchString(w) {
			out = append(out, w)
		}
	}
	return out
}

// Ratio returns a / b, or 0 when b is 0.
func Ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}
