package dashboard

import (
	"fmt"
	"html/template"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/okrmap/okrmap/engine"
)

// funcs are the helpers templates use.
func (d *Dashboard) funcs() template.FuncMap {
	return template.FuncMap{
		"asset":      d.assetURL,
		"href":       href,
		"val":        value,
		"num":        func(x *float64, unit string) string { return optValue(x, unit) },
		"pct":        pct,
		"pace":       paceOf,
		"heading":    heading,
		"share":      engine.Percent,
		"float":      func(x *float64) float64 { return *x },
		"bar":        bar,
		"date":       date,
		"ago":        func(t time.Time) string { return ago(d.svc.Now(), t) },
		"entityURL":  entityURL,
		"findingURL": func(f engine.Finding) string { return entityURL(f.Scope, f.Entity) },
		"verdict":    func(r int) string { return engine.Verdicts[r] },
		// areaScore is "62 · good", "– · not judged", or with few judged
		// "62 · good (on 3)".
		"areaScore": func(a engine.AreaScore) string {
			if !a.Scored() {
				return "– · " + engine.NotJudged
			}
			s := fmt.Sprintf("%.0f · %s", a.Score, a.Verdict)
			if a.Judged < engine.FewJudged {
				s += fmt.Sprintf(" (on %d)", a.Judged)
			}
			return s
		},
		"overallScore": func(s engine.Score) string {
			if !s.Scored() {
				return "– · " + engine.NotJudged
			}
			return fmt.Sprintf("%.0f · %s", s.Overall, engine.Verdicts[s.Rating])
		},
		"kindLabel": kindLabel,
		"signed":    func(x float64) string { return fmt.Sprintf("%+.1f", x) },
		"join":      strings.Join,
		"add":       func(a, b int) int { return a + b },
		"who":       func(name string) string { return strings.TrimPrefix(name, "token:") },
		"svg":       func(c chart) template.HTML { return c.SVG() },
		"sub":       func(a, b int) int { return a - b },
		"percent":   engine.Percent,
		"words":     words,
		"scored":    func(x *float64) string { return fmt.Sprintf("%.2f", *x) }, // a set key result score
		"deref":     func(b *bool) bool { return b != nil && *b },
		"dict":      dict,
		"list":      func(xs ...string) []string { return xs },
	}
}

// href builds a link to p keeping the scope (period and teams) and adding
// the key-value pairs kv; empty values are left out.
func href(p string, sc engine.Scope, kv ...string) string {
	q := url.Values{}
	if sc.Period != "" {
		q.Set("period", sc.Period)
	}
	for _, t := range sc.Teams {
		q.Add("team", t)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			q.Set(kv[i], kv[i+1])
		}
	}
	if len(q) == 0 {
		return p
	}
	return p + "?" + q.Encode()
}

// value writes x with its unit the way reports do: 7,960,000 USD, 42.5%.
func value(x float64, unit string) string {
	switch strings.ToLower(unit) {
	case "percent", "%":
		return engine.Number(x, unit) + "%"
	case "":
		return engine.Number(x, unit)
	}
	return engine.Number(x, unit) + " " + unit
}

func optValue(x *float64, unit string) string {
	if x == nil {
		return "—"
	}
	return value(*x, unit)
}

// pct writes a 0-1 share as a whole percentage.
func pct(x *float64) string {
	if x == nil {
		return "—"
	}
	return engine.Percent(*x)
}

func date(t any) string {
	switch v := t.(type) {
	case time.Time:
		if v.IsZero() {
			return "—"
		}
		return v.Format("2006-01-02")
	case *time.Time:
		if v == nil || v.IsZero() {
			return "—"
		}
		return v.Format("2006-01-02")
	case engine.Date:
		if v.IsZero() {
			return "—"
		}
		return v.String()
	}
	return fmt.Sprint(t)
}

// ago says how long before now t was, in calendar days: today,
// yesterday, 3 days ago.
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	days := int(engine.DateOf(now.In(t.Location())).Time().Sub(engine.DateOf(t).Time()).Hours() / 24)
	switch {
	case days <= 0:
		return "today"
	case days == 1:
		return "yesterday"
	}
	return fmt.Sprintf("%d days ago", days)
}

func areaLabel(name string) string {
	s := strings.ReplaceAll(name, "_", " ")
	return strings.ToUpper(s[:1]) + s[1:]
}

func kindLabel(kind string) string {
	switch kind {
	case "pnl_line":
		return "P&L line"
	case string(engine.KindBusinessObjective):
		return "Business objective"
	case string(engine.KindObjective):
		return "Objective"
	case string(engine.KindKeyResult):
		return "Key result"
	case string(engine.KindKPI):
		return "KPI"
	case string(engine.KindTeam):
		return "Team"
	}
	return kind
}

// dict makes a map of key-value pairs, to pass several values to a
// template.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, fmt.Errorf("dict takes key-value pairs, got %d values", len(kv))
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}

// acronyms are P&L lines and categories written as letters.
var acronyms = map[string]string{"cac": "CAC", "ltv": "LTV", "arr": "ARR", "mrr": "MRR", "nps": "NPS"}

// words writes a category or P&L line as words: gross_margin is
// "Gross margin", customer_experience "Customer experience", cac "CAC".
func words(s string) string {
	if a, ok := acronyms[s]; ok {
		return a
	}
	s = strings.ReplaceAll(s, "_", " ")
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}
