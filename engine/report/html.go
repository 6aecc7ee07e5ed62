package report

import (
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/audit"
	"github.com/okrmap/okrmap/engine/resolve"
	"github.com/okrmap/okrmap/engine/tree"
)

// htmlWriter writes one self-contained HTML file, with no network access
// needed: the alignment tree drawn as SVG (business objective -> objectives
// -> key results -> KPIs, misaligned items marked), the scorecard and the
// findings.
type htmlWriter struct{}

// maxTreeRows bounds the drawn tree; larger plans say how much was left out.
const maxTreeRows = 1500

const rowHeight = 22

type treeRow struct {
	X, Y, ParentX, ParentY int
	Label, Kind, Status    string // Status: ok, info, warning, error
	HasParent              bool
}

type htmlData struct {
	R        *Report
	Teams    []string
	Areas    []string
	Rows     []treeRow
	Height   int
	Omitted  int
	Findings map[string][]engine.Finding
	// NotJudged are findings carried from the previous run: their plugin failed.
	NotJudged []engine.Finding
}

func (htmlWriter) Write(w io.Writer, r *Report) error {
	d := htmlData{R: r, Teams: sortedTeams(r.Run.Scorecard), Areas: audit.Areas, Findings: map[string][]engine.Finding{}}
	for _, f := range r.Run.Findings {
		if !f.Waived() && !f.NotJudged {
			d.Findings[f.Severity] = append(d.Findings[f.Severity], f)
		}
	}
	d.NotJudged = notJudged(r.Run)
	if r.Graph != nil {
		d.Rows, d.Omitted = treeRows(r.Graph, r.Run.Scope, r.flagged())
	}
	d.Height = len(d.Rows)*rowHeight + 20
	return htmlTemplate.Execute(w, d)
}

// treeRows lays out the alignment tree of the run's scope, one row per node.
func treeRows(g *resolve.Graph, scope string, flagged map[string][]engine.Finding) ([]treeRow, int) {
	s, err := engine.ParseScope(scope)
	if err != nil {
		s = engine.Scope{}
	}
	t := tree.Build(g, s)
	var rows []treeRow
	omitted := 0
	parents := []int{} // row index of the last node drawn at each depth, -1 when left out
	add := func(depth int, label, kind, key string, misaligned bool) {
		parents = append(parents[:depth], -1)
		if len(rows) >= maxTreeRows {
			omitted++
			return
		}
		status := worst(flagged[key])
		if misaligned {
			status = "error"
		}
		if status == "" {
			status = "ok"
		}
		row := treeRow{X: 16 + depth*26, Y: 16 + len(rows)*rowHeight, Label: label, Kind: kind, Status: status}
		if depth > 0 && parents[depth-1] >= 0 {
			p := rows[parents[depth-1]]
			row.HasParent, row.ParentX, row.ParentY = true, p.X, p.Y
		}
		rows = append(rows, row)
		parents[depth] = len(rows) - 1
	}
	draw := func(n *tree.Node, depth int) {
		switch n.Kind {
		case tree.KindPnLLine:
			label := "P&L line: " + n.Title
			if n.Title == "" {
				label = "No P&L line"
			}
			add(depth, label, "pnl", "", n.Title == "")
		case string(engine.KindBusinessObjective):
			add(depth, n.Title, "bo", n.Key, n.Misaligned)
		case string(engine.KindObjective):
			label := n.Title + " (" + n.Team + ")"
			if n.SharedFrom != "" {
				label += " · shared, under " + n.SharedFrom
			}
			add(depth, label, "objective", n.Key, false)
		case string(engine.KindKeyResult):
			progress := 0.0
			if n.Progress != nil {
				progress = *n.Progress
			}
			add(depth, fmt.Sprintf("KR %s: %s", n.Title, engine.Percent(progress)), "kr", n.Key, false)
		default:
			add(depth, "KPI "+n.Title, "kpi", n.Key, n.Misaligned)
		}
	}
	for _, n := range t.Lines {
		walk(n, 0, draw)
	}
	if len(t.Unaligned) > 0 {
		add(0, "KPIs that reach no business objective", "none", "", true)
		for _, n := range t.Unaligned {
			draw(n, 1)
		}
	}
	return rows, omitted
}

// walk calls fn for n and its descendants, parents first.
func walk(n *tree.Node, depth int, fn func(*tree.Node, int)) {
	fn(n, depth)
	for _, c := range n.Children {
		walk(c, depth+1, fn)
	}
}

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"title":       title,
	"verdict":     func(r int) string { return engine.Verdicts[r] },
	"upper":       func(s string) string { return capitalise(s) },
	"mid":         func(y int) int { return y + 4 },
	"area":        func(s engine.Score, i int) engine.AreaScore { return s.Area(i) },
	"team":        func(sc engine.Scorecard, t string) engine.Score { return sc.Teams[t] },
	"sevs":        func() []string { return slices.Clone(engine.Severities) },
	"join":        strings.Join,
	"verdictCell": verdictCell,
	"overall":     overall,
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>okrmap alignment report: run {{.R.Run.ID}}, {{.R.Run.Scope}}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #1d2330; padding: 0 1em; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #d7dbe3; }
table { border-collapse: collapse; margin: 1em 0; } th, td { border: 1px solid #d7dbe3; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f3f5f9; } .r1, .r2 { color: #b3261e; } .r3 { color: #8a5a00; } .r4, .r5 { color: #1b6e3a; }
svg text { font: 12px system-ui, sans-serif; } .edge { stroke: #9aa3b5; fill: none; }
.ok { fill: #2e8b57; } .info { fill: #5b7db1; } .warning { fill: #d49a00; } .error { fill: #c62828; }
.error-label { fill: #c62828; font-weight: 600; } .legend span { margin-right: 1.5em; }
</style>
</head>
<body>
<h1>Alignment report</h1>
<p>{{.R.Name}}, scope <b>{{.R.Run.Scope}}</b>, judged as of {{.R.Run.Today}}. {{upper .R.Diff.Summary}}.{{if not .R.Run.Complete}} <b>This run is incomplete.</b>{{end}}{{with .R.Run.DevPlugins}} <b>Development run: {{join . ", "}} ran unpinned.</b>{{end}}</p>

<h2>Scorecard</h2>
<table>
<tr><th>Area</th><th>Company</th>{{range .Teams}}<th>{{.}}</th>{{end}}</tr>
{{- $r := .R}}{{$teams := .Teams}}
{{- range $i, $a := .Areas}}
<tr><td>{{title $a}}</td>{{with area $r.Run.Scorecard.Company $i}}<td class="r{{.Rating}}">{{verdictCell .}}</td>{{end}}
{{- range $teams}}{{with area (team $r.Run.Scorecard .) $i}}<td class="r{{.Rating}}">{{verdictCell .}}</td>{{end}}{{end}}</tr>
{{- end}}
<tr><th>Overall</th>{{with .R.Run.Scorecard.Company}}<th class="r{{.Rating}}">{{overall .}}</th>{{end}}{{range $teams}}{{with team $r.Run.Scorecard .}}<th class="r{{.Rating}}">{{overall .}}</th>{{end}}{{end}}</tr>
</table>
<p>*: judged on fewer than 5 entities; –: not judged (nothing in scope to judge), left out of the overall.</p>

{{if .Rows}}
<h2>Alignment tree</h2>
<p class="legend"><span><svg width="10" height="10"><circle cx="5" cy="5" r="5" class="ok"/></svg> aligned, no findings</span><span><svg width="10" height="10"><circle cx="5" cy="5" r="5" class="info"/></svg> info</span><span><svg width="10" height="10"><circle cx="5" cy="5" r="5" class="warning"/></svg> warnings</span><span><svg width="10" height="10"><circle cx="5" cy="5" r="5" class="error"/></svg> errors or misaligned</span></p>
<svg id="tree" xmlns="http://www.w3.org/2000/svg" width="1150" height="{{.Height}}" role="img" aria-label="Alignment tree">
{{- range .Rows}}
{{- if .HasParent}}<path class="edge" d="M{{.ParentX}} {{.ParentY}} V{{.Y}} H{{.X}}"/>{{end}}
<circle cx="{{.X}}" cy="{{.Y}}" r="5" class="{{.Status}}"><title>{{.Kind}}: {{.Status}}</title></circle><text x="{{.X | printf "%d"}}" dx="10" y="{{mid .Y}}"{{if eq .Status "error"}} class="error-label"{{end}}>{{.Label}}</text>
{{- end}}
</svg>
{{if .Omitted}}<p>{{.Omitted}} more nodes were left out of the drawing.</p>{{end}}
{{end}}

<h2>Findings</h2>
{{- $f := .Findings}}
{{range sevs}}{{with index $f .}}
<h3>{{upper (index . 0).Severity}} ({{len .}})</h3>
<table><tr><th>Rule</th><th>Entity</th><th>Finding</th><th>Fix</th></tr>
{{range .}}<tr><td>{{.Rule}}</td><td>{{.Entity}}</td><td>{{.Message}}</td><td>{{.Fix}}</td></tr>
{{end}}</table>
{{end}}{{end}}
{{- with .NotJudged}}
<h3>Not judged ({{len .}})</h3>
<p>Their plugin failed, so these stand as the previous run found them.</p>
<table><tr><th>Severity</th><th>Rule</th><th>Entity</th><th>Finding</th></tr>
{{range .}}<tr><td>{{.Severity}}</td><td>{{.Rule}}</td><td>{{.Entity}}</td><td>{{.Message}}</td></tr>
{{end}}</table>
{{end}}
{{if .R.Diff.Resolved}}<h3>Resolved since run {{.R.Diff.From}} ({{len .R.Diff.Resolved}})</h3>
<ul>{{range .R.Diff.Resolved}}<li>{{.Rule}} on {{.Entity}}</li>{{end}}</ul>{{end}}
</body>
</html>
`))
