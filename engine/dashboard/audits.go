package dashboard

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/audit"
	"github.com/okrmap/okrmap/engine/report"
	"github.com/okrmap/okrmap/engine/service"
)

type auditsData struct {
	Runs  []*engine.AuditRun
	Total int
}

func (d *Dashboard) audits(r *http.Request, v *view) (content, error) {
	runs, err := d.svc.Runs(r.Context(), v.Scope, v.Scope.All())
	if err != nil {
		return content{}, err
	}
	data := auditsData{Runs: runs[:min(len(runs), maxListed)], Total: len(runs)}
	return content{template: "audits", title: "Audits", nav: "audits", data: data}, nil
}

// findingFilter narrows a run's findings (query parameters severity,
// team, rule and q).
type findingFilter struct {
	Severity, Team, Rule, Query string
	Waived                      bool // show waived findings too
}

func filterOf(r *http.Request) findingFilter {
	q := r.URL.Query()
	return findingFilter{Severity: q.Get("severity"), Team: q.Get("team"), Rule: q.Get("rule"),
		Query: strings.TrimSpace(q.Get("q")), Waived: q.Get("waived") != "hide"}
}

func (f findingFilter) match(x engine.Finding) bool {
	q := strings.ToLower(f.Query)
	return (f.Severity == "" || x.Severity == f.Severity) && (f.Team == "" || x.Team == f.Team) &&
		(f.Rule == "" || x.Rule == f.Rule) && (f.Waived || !x.Waived()) &&
		(q == "" || strings.Contains(strings.ToLower(x.Entity), q) || strings.Contains(strings.ToLower(x.Message), q))
}

type auditData struct {
	Run      *engine.AuditRun
	Filter   findingFilter
	Findings []engine.Finding
	Matched  int
	Rules    []string
	Teams    []string
	Formats  []string
	Page     int
	Pages    int
}

func (d *Dashboard) audit(r *http.Request, v *view) (content, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return content{}, engine.NotFound("audit_run", "no audit run %q", r.PathValue("id"))
	}
	run, err := d.runs.run(r.Context(), id)
	if err != nil {
		return content{}, err
	}
	data := auditData{Run: run, Filter: filterOf(r), Formats: report.Formats()}
	data.Page, _ = strconv.Atoi(r.URL.Query().Get("page"))
	data.Page = max(1, data.Page)
	rules, teams := map[string]bool{}, map[string]bool{}
	// Errors first, then warnings, then info; each in stored order.
	ordered := slices.Clone(run.Findings)
	slices.SortStableFunc(ordered, func(a, b engine.Finding) int {
		return engine.SeverityRank(b.Severity) - engine.SeverityRank(a.Severity)
	})
	for _, f := range ordered {
		rules[f.Rule], teams[f.Team] = true, true
		if !data.Filter.match(f) {
			continue
		}
		data.Matched++
		if data.Matched > (data.Page-1)*maxListed && len(data.Findings) < maxListed {
			data.Findings = append(data.Findings, f)
		}
	}
	data.Pages = max(1, (data.Matched+maxListed-1)/maxListed)
	data.Rules, data.Teams = sortedKeys(rules), sortedKeys(teams)
	return content{template: "audit", title: fmt.Sprintf("Audit run %d", run.ID), nav: "audits", data: data}, nil
}

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		if k != "" {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

type diffData struct {
	Diff                    *audit.Diff
	From, To                *engine.AuditRun
	New, Resolved           []engine.Finding
	NewTotal, ResolvedTotal int
}

func (d *Dashboard) auditDiff(r *http.Request, v *view) (content, error) {
	ctx := r.Context()
	q := r.URL.Query()
	var data diffData
	from, _ := strconv.ParseInt(q.Get("from"), 10, 64)
	to, _ := strconv.ParseInt(q.Get("to"), 10, 64)
	if from == 0 || to == 0 {
		runs, err := d.svc.Runs(ctx, v.Scope, false)
		if err != nil {
			return content{}, err
		}
		if len(runs) < 2 {
			return content{}, engine.NotFound("audit_run", "scope %s has %d stored run(s); a diff needs two: run okrmap audit again, or pick two runs on the Audits page", v.Scope, len(runs))
		}
		from, to = runs[1].ID, runs[0].ID
	}
	diff, err := d.runs.diff(ctx, from, to)
	if err != nil {
		return content{}, err
	}
	if data.From, err = d.runs.run(ctx, from); err != nil {
		return content{}, err
	}
	if data.To, err = d.runs.run(ctx, to); err != nil {
		return content{}, err
	}
	data.Diff = diff
	data.New, data.NewTotal = diff.New[:min(len(diff.New), maxDiffFindings)], len(diff.New)
	data.Resolved, data.ResolvedTotal = diff.Resolved[:min(len(diff.Resolved), maxDiffFindings)], len(diff.Resolved)
	return content{template: "diff", title: fmt.Sprintf("Audit run %d against run %d", to, from), nav: "audits", data: data}, nil
}

// report downloads a stored run in one of the report formats.
func (d *Dashboard) report(w http.ResponseWriter, r *http.Request) {
	v := d.newView(w, r)
	if v.Who.Role == "" {
		http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		d.fail(w, r, v, engine.NotFound("audit_run", "no audit run %q", r.PathValue("id")))
		return
	}
	format := r.URL.Query().Get("format")
	wr, err := report.Get(format)
	if err != nil {
		d.fail(w, r, v, engine.Errorf(engine.EINVALID, "%v", err))
		return
	}
	run, err := d.runs.run(r.Context(), id)
	if err == nil {
		var rep *report.Report
		if rep, err = d.svc.Report(r.Context(), run, format); err == nil {
			w.Header().Set("Content-Type", report.ContentType(format))
			w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="okrmap-audit-%d.%s"`, id, report.Extension(format)))
			err = wr.Write(w, rep)
		}
	}
	if err != nil {
		d.fail(w, r, v, err)
	}
}

type rulesData struct {
	Rules    []service.RuleInfo
	Total    int
	Query    string
	Severity string
	Pack     string
	Packs    []string
}

func (d *Dashboard) rules(r *http.Request, v *view) (content, error) {
	all, err := d.svc.Rules(r.Context(), nil, "")
	if err != nil {
		return content{}, err
	}
	q := r.URL.Query()
	data := rulesData{Total: len(all), Query: strings.TrimSpace(q.Get("q")), Severity: q.Get("severity"), Pack: q.Get("pack")}
	packs := map[string]bool{}
	needle := strings.ToLower(data.Query)
	for _, ru := range all {
		packs[ru.Pack] = true
		text := strings.ToLower(ru.ID + " " + ru.Name + " " + ru.Doc + " " + strings.Join(ru.Tags, " "))
		if (data.Severity == "" || ru.Severity == data.Severity) && (data.Pack == "" || ru.Pack == data.Pack) &&
			(needle == "" || strings.Contains(text, needle)) {
			data.Rules = append(data.Rules, ru)
		}
	}
	data.Packs = sortedKeys(packs)
	return content{template: "rules", title: "Rules", nav: "rules", data: data}, nil
}
