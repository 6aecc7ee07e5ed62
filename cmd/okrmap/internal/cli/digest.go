package cli

import (
	"context"
	"fmt"
	"html/template"
	"io"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"github.com/okrmap/okrmap/engine/service"
)

func (a *app) digestCommand() *cobra.Command {
	var sf scopeFlags
	var output, today string
	var days int
	cmd := &cobra.Command{
		Use:   "digest",
		Short: "Summarise the week for a team or the company: what moved and what needs attention",
		Long: `Digest gathers the last --days days (7) up to today for a scope: delivery, the
key results checked in and how far they moved, those off track or at risk
(worst first, with their forecasts), those whose check-in is due, and the
new and resolved findings of the newest stored audit. With server.public_url
set, key results link to their dashboard pages.

-o markdown and -o html preview what a channel would send; -o json is the
data.`,
		Example: `  okrmap digest --team marketing
  okrmap digest --period 2026-Q4 -o markdown > week.md
  okrmap digest -o html > digest.html`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			scope, err := sf.scope()
			if err != nil {
				return err
			}
			if err := checkFormat(output, "text", "json", "markdown", "html"); err != nil {
				return err
			}
			if days < 1 || days > 92 {
				return usageError{fmt.Errorf("--days %d: give 1 to 92 days", days)}
			}
			day, err := judgeDay(today)
			if err != nil {
				return err
			}
			return a.withService(cmd, func(ctx context.Context, s *service.Service) error {
				d, err := s.Digest(ctx, scope, day, days)
				if err != nil {
					return err
				}
				view := digestView{Digest: d, base: strings.TrimRight(a.cfg.Server.PublicURL, "/")}
				switch output {
				case "json":
					return writeJSON(a.stdout, d)
				case "html":
					return digestHTML.Execute(a.stdout, view)
				}
				return view.write(a.stdout, output == "markdown")
			})
		},
	}
	sf.register(a, cmd)
	cmd.Flags().IntVar(&days, "days", 7, "how many days up to today the digest covers")
	cmd.Flags().StringVar(&today, "today", "", "the digest's last day, YYYY-MM-DD (default today)")
	cmd.Flags().StringVarP(&output, "output", "o", "text", "text, markdown, html or json")
	return cmd
}

// digestView renders a digest, linking key results under base when set.
type digestView struct {
	*service.Digest
	base string
}

// Link is the dashboard page of a key result, or "".
func (v digestView) Link(key string) string {
	if v.base == "" {
		return ""
	}
	return v.base + "/key-results/" + url.PathEscape(key)
}

// Line is the digest's delivery in one line.
func (v digestView) Line() string { return scoreLine(v.Delivery) }

// Move says how a key result moved.
func (v digestView) Move(m service.Moved) string {
	s := fmt.Sprintf("%s → %s", numIn(&m.From, m.Unit), numIn(&m.To, m.Unit))
	if m.Unit != "" {
		s += " " + m.Unit
	}
	if m.Progress != 0 {
		s += fmt.Sprintf(" (%+.0f points of the way to target)", 100*m.Progress)
	}
	return s + fmt.Sprintf(", %d check-in%s", m.CheckIns, plural(m.CheckIns))
}

// Where says where a key result stands and is heading.
func (digestView) Where(r service.StatusKeyResult) string { return where(r) }

// Since says how long ago a key result was checked in.
func (digestView) Since(o service.Overdue) string {
	if o.DaysSince < 0 {
		return "never checked in"
	}
	return fmt.Sprintf("last checked in %d days ago; the team's cadence is %d days", o.DaysSince, o.CadenceDays)
}

// Words names a status.
func (digestView) Words(status string) string { return statusWords[status] }

// write writes the digest as text or markdown.
func (v digestView) write(w io.Writer, markdown bool) error {
	h, item, key := "%s\n", "  %s", func(k string) string { return k }
	if markdown {
		h, item = "## %s\n\n", "- %s"
		key = func(k string) string {
			if l := v.Link(k); l != "" {
				return fmt.Sprintf("[%s](%s)", k, l)
			}
			return "`" + k + "`"
		}
	}
	title := fmt.Sprintf("Digest of %s to %s, scope %s", v.From, v.Today, v.Scope)
	if markdown {
		fmt.Fprintf(w, "# %s\n\n%s\n\n", title, md(v.Line()))
	} else {
		fmt.Fprintf(w, "%s\n%s\n\n", title, v.Line())
	}
	section := func(name string, n int, lines func(func(string))) {
		fmt.Fprintf(w, h, fmt.Sprintf("%s (%d)", name, n))
		lines(func(s string) { fmt.Fprintf(w, item+"\n", s) })
		fmt.Fprintln(w)
	}
	esc := func(s string) string {
		if markdown {
			return md(s)
		}
		return s
	}
	section("Moved", len(v.Moved), func(out func(string)) {
		for _, m := range v.Moved {
			out(fmt.Sprintf("%s %s: %s", key(m.Key), esc(m.Team), esc(v.Move(m))))
		}
	})
	section("Needs attention", len(v.Attention), func(out func(string)) {
		for _, r := range v.Attention {
			out(fmt.Sprintf("%s %s, %s: %s", key(r.Key), esc(r.Team), statusWords[r.Status], esc(where(r))))
		}
	})
	section("Check-in due", len(v.Overdue), func(out func(string)) {
		for _, o := range v.Overdue {
			out(fmt.Sprintf("%s %s: %s", key(o.Key), esc(o.Team), esc(v.Since(o))))
		}
	})
	if a := v.Audit; a != nil {
		section(fmt.Sprintf("Audit run %d of %s, scope %s: new findings", a.Run, a.Today, a.Scope), a.NewCount, func(out func(string)) {
			for _, f := range a.New {
				out(fmt.Sprintf("%s %s: %s", f.Severity, f.Rule, esc(f.Message)))
			}
			if a.NewCount > len(a.New) {
				out(fmt.Sprintf("and %d more", a.NewCount-len(a.New)))
			}
			if a.Previous != 0 {
				out(fmt.Sprintf("%d resolved since run %d", a.Resolved, a.Previous))
			}
		})
	}
	return nil
}

// digestHTML is the digest as an e-mail-friendly HTML page: inline
// styles, no scripts.
var digestHTML = template.Must(template.New("digest").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Digest of {{.From}} to {{.Today}}</title></head>
<body style="font-family: system-ui, sans-serif; color: #1c2230; max-width: 46rem">
<h1 style="font-size: 1.3rem">Digest of {{.From}} to {{.Today}}, scope {{.Scope}}</h1>
<p>{{.Line}}</p>
<h2 style="font-size: 1.1rem">Moved ({{len .Moved}})</h2>
<ul>{{range .Moved}}<li>{{with $.Link .Key}}<a href="{{.}}">{{end}}<code>{{.Key}}</code>{{if $.Link .Key}}</a>{{end}} {{.Team}}: {{$.Move .}}</li>{{else}}<li>Nothing was checked in.</li>{{end}}</ul>
<h2 style="font-size: 1.1rem">Needs attention ({{len .Attention}})</h2>
<ul>{{range .Attention}}<li>{{with $.Link .Key}}<a href="{{.}}">{{end}}<code>{{.Key}}</code>{{if $.Link .Key}}</a>{{end}} {{.Team}}, <strong>{{$.Words .Status}}</strong>: {{$.Where .}}</li>{{else}}<li>Nothing is off track or at risk.</li>{{end}}</ul>
<h2 style="font-size: 1.1rem">Check-in due ({{len .Overdue}})</h2>
<ul>{{range .Overdue}}<li>{{with $.Link .Key}}<a href="{{.}}">{{end}}<code>{{.Key}}</code>{{if $.Link .Key}}</a>{{end}} {{.Team}}: {{$.Since .}}</li>{{else}}<li>Every key result is checked in.</li>{{end}}</ul>
{{with .Audit}}<h2 style="font-size: 1.1rem">Audit run {{.Run}} of {{.Today}}, scope {{.Scope}}: new findings ({{.NewCount}})</h2>
<ul>{{range .New}}<li>{{.Severity}} <code>{{.Rule}}</code>: {{.Message}}</li>{{end}}</ul>
{{if .Previous}}<p>{{.Resolved}} resolved since run {{.Previous}}.</p>{{end}}{{end}}
</body></html>
`))
