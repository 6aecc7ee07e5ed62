package dashboard

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/audit"
	"github.com/okrmap/okrmap/engine/formula"
	"github.com/okrmap/okrmap/engine/resolve"
	"github.com/okrmap/okrmap/engine/service"
	"github.com/okrmap/okrmap/engine/tree"
)

// Page sizes: long lists are cut, and say so, never silently.
const (
	maxTrend          = 30  // audit runs in a trend
	maxBOObjectives   = 8   // objectives per business objective on the overview
	maxOverviewObjs   = 60  // objectives on the whole overview
	maxTeamObjectives = 50  // objectives on a team page
	maxListed         = 200 // findings, KPIs, objectives per page
	maxDiffFindings   = 200 // new and resolved findings shown per list
	maxRecentFindings = 8
)

// scopeRuns returns the stored runs of sc, newest first; when it has none,
// the company-wide runs, marked as a fallback.
func (d *Dashboard) scopeRuns(ctx context.Context, sc engine.Scope) ([]*engine.AuditRun, bool, error) {
	runs, err := d.svc.Runs(ctx, sc, false)
	if err != nil || len(runs) > 0 || sc.All() {
		return runs, false, err
	}
	runs, err = d.svc.Runs(ctx, engine.Scope{}, false)
	return runs, len(runs) > 0, err
}

type areaRow struct {
	Name, Label, Doc string
	engine.AreaScore
	Spark  any
	Change float64 // since the run before
	Team   *engine.AreaScore
}

type sevCount struct {
	Severity      string
	Count         int
	New, Resolved int
}

type overviewData struct {
	Run       *engine.AuditRun
	Fallback  bool
	Score     engine.Score
	Spark     any
	Areas     []areaRow
	Counts    []sevCount
	Diff      *audit.Diff
	NewTop    []engine.Finding
	Lines     []lineView
	Tree      *tree.Tree
	TeamScore string // the team whose row of a company run is shown
	// Delivery is where the scope's key results are heading now, and
	// DeliverySpark its company score over the stored runs.
	Delivery      engine.Delivery
	DeliverySpark any
}

type lineView struct {
	Title string
	BOs   []boView
}

type boView struct {
	Node       *tree.Node
	Objectives []objView
	More       int
	Pace       map[string]int
}

type objView struct {
	Node  *tree.Node
	Depth int
	KRs   []*tree.Node
}

func (d *Dashboard) overview(r *http.Request, v *view) (content, error) {
	ctx := r.Context()
	sc := v.Scope
	var data overviewData
	runs, fallback, err := d.scopeRuns(ctx, sc)
	if err != nil {
		return content{}, err
	}
	if len(runs) > 0 {
		data.Run, data.Fallback = runs[0], fallback
		rowOf := func(run *engine.AuditRun) engine.Score { return run.Scorecard.Company }
		if fallback && len(sc.Teams) == 1 {
			if _, ok := runs[0].Scorecard.Teams[sc.Teams[0]]; ok {
				data.TeamScore = sc.Teams[0]
				rowOf = func(run *engine.AuditRun) engine.Score { return run.Scorecard.Teams[sc.Teams[0]] }
			}
		}
		trend := slices.Clone(runs[:min(len(runs), maxTrend)])
		slices.Reverse(trend)
		data.Score = rowOf(runs[0])
		data.Spark = sparkline("overall score over the last runs", scores(trend, func(s engine.Score) float64 { return s.Overall }, rowOf))
		for i, name := range audit.Areas {
			row := areaRow{Name: name, Label: areaLabel(name), Doc: audit.AreaDocs[name], AreaScore: data.Score.Area(i)}
			row.Spark = sparkline(row.Label+" over the last runs", scores(trend, func(s engine.Score) float64 { return s.Area(i).Score }, rowOf))
			if prev := rowOf(runs[min(1, len(runs)-1)]).Area(i); len(runs) > 1 && row.Scored() && prev.Scored() {
				row.Change = row.Score - prev.Score
			}
			data.Areas = append(data.Areas, row)
		}
		for _, sev := range engine.Severities {
			data.Counts = append(data.Counts, sevCount{Severity: sev, Count: runs[0].Counts[sev]})
		}
		if len(runs) > 1 {
			diff, err := d.runs.diff(ctx, runs[1].ID, runs[0].ID)
			if err != nil {
				return content{}, err
			}
			data.Diff = diff
			for i := range data.Counts {
				data.Counts[i].New = countSeverity(diff.New, data.Counts[i].Severity)
				data.Counts[i].Resolved = countSeverity(diff.Resolved, data.Counts[i].Severity)
			}
			data.NewTop = diff.New[:min(len(diff.New), maxRecentFindings)]
		}
	}
	if data.Delivery, err = d.svc.Delivery(ctx, sc, engine.Date{}); err != nil {
		return content{}, err
	}
	if len(runs) > 0 {
		var trend []float64
		for i := min(len(runs), maxTrend) - 1; i >= 0; i-- {
			if dl := runs[i].Delivery; dl != nil && dl.Company.Score != nil {
				trend = append(trend, *dl.Company.Score)
			}
		}
		data.DeliverySpark = sparkline("delivery score over the last runs", trend)
	}
	t, err := d.svc.Tree(ctx, sc, 0)
	if err != nil {
		return content{}, err
	}
	data.Tree = t
	bos := 0
	for _, l := range t.Lines {
		bos += len(l.Children)
	}
	// Many business objectives share the page: each lists fewer objectives.
	perBO := max(1, min(maxBOObjectives, maxOverviewObjs/max(1, bos)))
	for _, l := range t.Lines {
		lv := lineView{Title: l.Title}
		for _, bo := range l.Children {
			if bo.Kind == string(engine.KindBusinessObjective) {
				lv.BOs = append(lv.BOs, boOverview(bo, perBO))
			}
		}
		data.Lines = append(data.Lines, lv)
	}
	return content{template: "overview", title: "Overview", nav: "overview", data: data}, nil
}

// scores returns one number per run, oldest first.
func scores(runs []*engine.AuditRun, pick func(engine.Score) float64, row func(*engine.AuditRun) engine.Score) []float64 {
	out := make([]float64, len(runs))
	for i, r := range runs {
		out[i] = pick(row(r))
	}
	return out
}

func countSeverity(fs []engine.Finding, sev string) int {
	n := 0
	for _, f := range fs {
		if f.Severity == sev && !f.Waived() {
			n++
		}
	}
	return n
}

// boOverview lists the objectives under a business objective (cascades
// indented), the first limit with their key results, and counts the pace
// of every key result below it.
func boOverview(bo *tree.Node, limit int) boView {
	v := boView{Node: bo, Pace: map[string]int{}}
	var walk func(n *tree.Node, depth int)
	walk = func(n *tree.Node, depth int) {
		for _, c := range n.Children {
			switch c.Kind {
			case string(engine.KindObjective):
				ov := objView{Node: c, Depth: depth}
				for _, kr := range c.Children {
					if kr.Kind == string(engine.KindKeyResult) {
						ov.KRs = append(ov.KRs, kr)
						v.Pace[heading(kr).Class]++
					}
				}
				if len(v.Objectives) < limit {
					v.Objectives = append(v.Objectives, ov)
				} else {
					v.More++
				}
				walk(c, depth+1)
			case string(engine.KindKeyResult):
				walk(c, depth) // objectives cascaded under a key result
			}
		}
	}
	walk(bo, 0)
	return v
}

// pace is a key result's progress against a straight line to its due
// date, in words and a class for colour.
type pace struct{ Word, Class string }

// paceOf judges progress against expected (see engine.Pace).
func paceOf(progress, expected *float64) pace {
	switch {
	case progress == nil:
		return pace{"no check-in yet", "none"}
	case expected == nil:
		return pace{"no due date", "none"}
	}
	return headings[engine.Pace(*progress, *expected)]
}

// heading judges a key result node: by its forecast when it has one (see
// engine.Heading), else by its pace.
func heading(kr *tree.Node) pace {
	if f := kr.Forecast; f != nil {
		p := headings[engine.Heading(f.Likelihood)]
		p.Word += ", by its forecast"
		return p
	}
	return paceOf(kr.Progress, kr.Expected)
}

// headings word and colour where a key result is heading.
var headings = map[string]pace{engine.OnTrack: {"on track", "good"}, engine.AtRisk: {"at risk", "warn"}, engine.OffTrack: {"off track", "bad"}}

// health judges a KPI's latest value against its thresholds and target.
func health(k engine.KPI, latest *engine.Measurement) pace {
	if latest == nil {
		return pace{"not measured", "none"}
	}
	v := latest.Value
	switch k.Thresholds.Breaching(k.Direction, v) {
	case "critical":
		return pace{"critical", "bad"}
	case "warning":
		return pace{"warning", "warn"}
	}
	if k.Target != nil {
		met := v >= *k.Target
		switch k.Direction {
		case "decrease":
			met = v <= *k.Target
		case "maintain":
			met = v == *k.Target
		}
		if met {
			return pace{"at target", "good"}
		}
		return pace{"short of target", "warn"}
	}
	return pace{"measured", "good"}
}

type teamData struct {
	Team       *resolve.Team
	Objectives []teamObjective
	MoreObj    int
	KPIs       []kpiRow
	MoreKPIs   bool
	Query      string
	Run        *engine.AuditRun
	Findings   []engine.Finding
	FindTotal  int
	Areas      []areaRow
	Score      engine.Score
	Company    engine.Score
	// Delivery is where the team's key results are heading now.
	Delivery engine.DeliveryScore
}

type teamObjective struct {
	Obj *resolve.Objective
	KRs []*tree.Node
}

type kpiRow struct {
	KPI    engine.KPI
	Latest *engine.Measurement
	Health pace
	// Kind is the declared kind, else the one the name makes clear;
	// Owner the owner, else the team lead's (OwnerIsLead).
	Kind, Owner           string
	Inferred, OwnerIsLead bool
}

func (d *Dashboard) team(r *http.Request, v *view) (content, error) {
	ctx := r.Context()
	key := r.PathValue("key")
	g, _, err := d.svc.Graph(ctx, engine.Date{})
	if err != nil {
		return content{}, err
	}
	var t *resolve.Team
	for _, x := range g.Teams {
		if x.Key == key {
			t = x
		}
	}
	if t == nil {
		return content{}, engine.NotFound("team", "no team %q", key)
	}
	data := teamData{Team: t, Query: r.URL.Query().Get("q")}
	delivery, err := d.svc.Delivery(ctx, engine.Scope{Period: v.Scope.Period, Teams: []string{key}}, engine.Date{})
	if err != nil {
		return content{}, err
	}
	data.Delivery = delivery.Company
	for _, o := range t.Objectives {
		if !(engine.Scope{Period: v.Scope.Period}).Objective(o.Team, o.Period) {
			continue
		}
		if len(data.Objectives) == maxTeamObjectives {
			data.MoreObj++
			continue
		}
		to := teamObjective{Obj: o}
		for _, kr := range o.KeyResults {
			to.KRs = append(to.KRs, tree.KeyResultNode(kr))
		}
		data.Objectives = append(data.Objectives, to)
	}
	kpis, more, err := d.svc.Entities(ctx, engine.KindKPI, service.EntityFilter{Team: key, Query: data.Query, Limit: maxListed})
	if err != nil {
		return content{}, err
	}
	data.MoreKPIs = more
	for _, e := range kpis {
		k := e.Entity.(engine.KPI)
		row := kpiRow{KPI: k, Latest: e.Latest, Health: health(k, e.Latest), Kind: k.Kind, Owner: k.Owner}
		if rk := e.ResolvedKPI; rk != nil {
			row.Kind, row.Inferred, row.Owner, row.OwnerIsLead = rk.Kind, !rk.KindDeclared && rk.Kind != "", rk.OwnedBy, rk.OwnerIsLead
		}
		data.KPIs = append(data.KPIs, row)
	}
	runs, _, err := d.scopeRuns(ctx, engine.Scope{Period: v.Scope.Period, Teams: []string{key}})
	if err != nil {
		return content{}, err
	}
	if len(runs) > 0 {
		run, err := d.runs.run(ctx, runs[0].ID)
		if err != nil {
			return content{}, err
		}
		data.Run = run
		for _, f := range run.Findings {
			if f.Team == key {
				data.FindTotal++
				if len(data.Findings) < maxListed {
					data.Findings = append(data.Findings, f)
				}
			}
		}
		data.Company = run.Scorecard.Company
		data.Score = run.Scorecard.Teams[key]
		for i, name := range audit.Areas {
			ts := data.Score.Area(i)
			data.Areas = append(data.Areas, areaRow{Name: name, Label: areaLabel(name), Doc: audit.AreaDocs[name], AreaScore: data.Company.Area(i), Team: &ts})
		}
	}
	return content{template: "team", title: t.Name, nav: "teams", data: data}, nil
}

type kpiData struct {
	Entity   service.Entity
	KPI      engine.KPI
	Resolved *resolve.KPI
	Health   pace
	Chart    chart
	Inputs   []string
	Findings []engine.Finding
	Waivers  []engine.Waiver
	Run      *engine.AuditRun
}

func (d *Dashboard) kpi(r *http.Request, v *view) (content, error) {
	ctx := r.Context()
	e, err := d.svc.Entity(ctx, r.PathValue("key"))
	if err != nil {
		return content{}, err
	}
	k, ok := e.Entity.(engine.KPI)
	if !ok {
		return content{}, engine.NotFound("kpi", "no KPI %q", e.Key)
	}
	data := kpiData{Entity: e, KPI: k, Resolved: e.ResolvedKPI, Health: health(k, e.Latest)}
	if k.Formula != "" {
		g, _, err := d.svc.Graph(ctx, engine.Date{})
		if err != nil {
			return content{}, err
		}
		names, _ := formula.Names(k.Formula)
		for _, rk := range g.KPIs {
			if slices.Contains(names, formula.Name(rk.Key)) {
				data.Inputs = append(data.Inputs, rk.Key)
			}
		}
	}
	history, err := d.svc.Measurements(ctx, k.Key)
	if err != nil {
		return content{}, err
	}
	data.Chart = kpiChart(k, history)
	if err := d.entityFindings(ctx, k.Key, &data.Run, &data.Findings, &data.Waivers); err != nil {
		return content{}, err
	}
	return content{template: "kpi", title: k.Name, nav: "map", data: data}, nil
}

// kpiChart draws measurements with the target and the warning and
// critical bands.
func kpiChart(k engine.KPI, ms []engine.Measurement) chart {
	c := chart{Title: k.Name + " over time", Unit: k.Unit}
	s := series{Name: "Measured", Class: "s-value"}
	for _, m := range ms {
		s.Points = append(s.Points, point{m.At, m.Value})
	}
	c.Series = []series{s}
	if k.Target != nil {
		c.Rules = append(c.Rules, rule{Name: "Target", Class: "r-target", V: *k.Target})
	}
	if t := k.Thresholds; t != nil {
		inf, down := math.Inf(1), k.Direction == "decrease"
		if t.Critical != nil {
			b := band{Name: "Critical", Class: "b-critical", From: -inf, To: *t.Critical}
			if down {
				b.From, b.To = *t.Critical, inf
			}
			c.Bands = append(c.Bands, b)
		}
		if t.Warning != nil {
			b := band{Name: "Warning", Class: "b-warning", From: -inf, To: *t.Warning}
			if down {
				b.From, b.To = *t.Warning, inf
			}
			if t.Critical != nil {
				if down {
					b.To = *t.Critical
				} else {
					b.From = *t.Critical
				}
			}
			c.Bands = append(c.Bands, b)
		}
	}
	return c
}

// entityFindings fills the findings of the latest company-wide run (or the
// latest run of any scope) about key, and the waivers that match it.
func (d *Dashboard) entityFindings(ctx context.Context, key string, run **engine.AuditRun, fs *[]engine.Finding, ws *[]engine.Waiver) error {
	runs, err := d.svc.Runs(ctx, engine.Scope{}, false)
	if err == nil && len(runs) == 0 {
		runs, err = d.svc.Runs(ctx, engine.Scope{}, true)
	}
	if err != nil {
		return err
	}
	if len(runs) > 0 {
		r, err := d.runs.run(ctx, runs[0].ID)
		if err != nil {
			return err
		}
		*run = r
		for _, f := range r.Findings {
			if f.Entity == key {
				*fs = append(*fs, f)
			}
		}
	}
	all, err := d.svc.Waivers(ctx)
	if err != nil {
		return err
	}
	for _, w := range all {
		if ok, _ := path.Match(w.Entity, key); ok {
			*ws = append(*ws, w)
		}
	}
	return nil
}

type krData struct {
	KR          *resolve.KeyResult
	Description string
	Pace        pace
	Chart       chart
	Confidence  chart
	CheckIns    []engine.CheckIn
	Findings    []engine.Finding
	Waivers     []engine.Waiver
	Run         *engine.AuditRun
	CanWrite    bool
	Form        checkInForm
}

// checkInForm is the check-in form's state: what was typed and what was
// wrong with it.
type checkInForm struct {
	Value, Confidence, Note string
	Error                   string
	Key                     string // idempotency key of this rendering
}

func (d *Dashboard) keyResult(r *http.Request, v *view) (content, error) {
	return d.keyResultPage(r, v, checkInForm{})
}

func (d *Dashboard) keyResultPage(r *http.Request, v *view, form checkInForm) (content, error) {
	ctx := r.Context()
	key := r.PathValue("key")
	e, err := d.svc.Entity(ctx, key)
	if err != nil {
		return content{}, err
	}
	kr := e.ResolvedKeyResult
	if kr == nil {
		return content{}, engine.NotFound("key_result", "no key result %q", key)
	}
	if form.Key == "" {
		form.Key = randomString()
	}
	data := krData{KR: kr, Form: form, CanWrite: service.Allows(v.Who.Role, service.RoleWrite)}
	if p, ok := e.PlanKeyResult(); ok {
		data.Description = p.Description
	}
	data.Pace = heading(tree.KeyResultNode(kr))
	if data.CheckIns, err = d.svc.CheckIns(ctx, key); err != nil {
		return content{}, err
	}
	data.Chart, data.Confidence = krCharts(kr, data.CheckIns)
	if err := d.entityFindings(ctx, key, &data.Run, &data.Findings, &data.Waivers); err != nil {
		return content{}, err
	}
	status := 0
	if form.Error != "" {
		status = http.StatusUnprocessableEntity
	}
	return content{template: "keyresult", title: kr.Title, nav: "map", status: status, data: data}, nil
}

// krCharts draws check-ins against the expected-pace line (baseline at
// the period's start to target at due), and confidence over time.
func krCharts(kr *resolve.KeyResult, cs []engine.CheckIn) (chart, chart) {
	values := chart{Title: kr.Title + ": check-ins against the expected pace", Unit: kr.Unit, From: kr.PeriodStart}
	conf := chart{Title: kr.Title + ": confidence over time", Unit: "percent", From: kr.PeriodStart}
	s := series{Name: "Checked in", Class: "s-value"}
	cf := series{Name: "Confidence", Class: "s-confidence"}
	for _, c := range cs {
		if !c.Comment { // a comment has no value to draw
			s.Points = append(s.Points, point{c.At, c.Value})
		}
		if c.Confidence != nil {
			cf.Points = append(cf.Points, point{c.At, *c.Confidence * 100})
		}
	}
	values.Series = []series{s}
	conf.Series = []series{cf}
	end := kr.PeriodEnd
	if kr.HasDue {
		end = kr.Due
	}
	values.To, conf.To = end, end
	if kr.HasBaseline && kr.HasTarget && !kr.PeriodStart.IsZero() {
		values.Series = append(values.Series, series{Name: "Expected pace", Class: "s-pace", Dashed: true,
			Points: []point{{kr.PeriodStart, kr.Baseline}, {end, kr.Target}}})
	}
	if kr.HasTarget {
		values.Rules = []rule{{Name: "Target", Class: "r-target", V: kr.Target}}
	}
	if n := len(s.Points); kr.HasForecast && n > 0 {
		last := s.Points[n-1]
		values.Cone = &cone{Name: "Forecast", From: last.T, To: end, Start: last.V, Value: kr.Forecast, Low: kr.ForecastLow, High: kr.ForecastHigh}
	}
	return values, conf
}

// checkIn stores a check-in posted from the key result page.
func (d *Dashboard) checkIn(w http.ResponseWriter, r *http.Request) {
	v := d.newView(w, r)
	if err := d.checkForm(w, r); err != nil {
		d.fail(w, r, v, err)
		return
	}
	if !service.Allows(v.Who.Role, service.RoleWrite) {
		d.fail(w, r, v, formError{http.StatusForbidden, "Checking in needs a token with the write or admin role: sign in with one."})
		return
	}
	key := r.PathValue("key")
	f := r.PostForm
	form := checkInForm{Value: f.Get("value"), Confidence: f.Get("confidence"), Note: f.Get("note"), Key: f.Get("idempotency_key")}
	c, err := parseCheckIn(key, form, v.Who.Name)
	if err == nil {
		_, err = d.svc.Record(r.Context(), checkInBatch(c, form.Key, v.Who.Name))
	}
	if err != nil {
		if engine.ErrorCode(err) != engine.EINVALID {
			d.fail(w, r, v, err)
			return
		}
		form.Error = err.Error()
		c, err := d.keyResultPage(r, v, form)
		if err != nil {
			d.fail(w, r, v, err)
			return
		}
		d.render(w, r, c, v)
		return
	}
	http.Redirect(w, r, "/key-results/"+url.PathEscape(key)+"?flash=checkin", http.StatusSeeOther)
}

// checkInBatch is one check-in as a batch; the form's idempotency key
// makes a double submit store it once.
func checkInBatch(c engine.CheckIn, idem, author string) engine.Batch {
	b := engine.Batch{CheckIns: []engine.CheckIn{c}}
	if idem != "" && len(idem) <= 200 {
		conf := ""
		if c.Confidence != nil {
			conf = strconv.FormatFloat(*c.Confidence, 'g', -1, 64)
		}
		sum := sha256.Sum256([]byte(strings.Join([]string{"dashboard-checkin", author, c.KeyResult,
			strconv.FormatFloat(c.Value, 'g', -1, 64), conf, c.Note}, "\x00")))
		b.IdempotencyKey, b.RequestHash, b.IdempotencyOwner = "dashboard:"+idem, hex.EncodeToString(sum[:]), author
	}
	return b
}

// parseCheckIn reads the form's fields, naming the one that is wrong.
func parseCheckIn(key string, f checkInForm, author string) (engine.CheckIn, error) {
	c := engine.CheckIn{KeyResult: key, Note: strings.TrimSpace(f.Note), Author: author}
	if strings.TrimSpace(f.Value) == "" && c.Note != "" {
		c.Comment = true // words only: progress stays where it is
	} else {
		value, err := strconv.ParseFloat(strings.TrimSpace(f.Value), 64)
		if err != nil {
			return c, engine.Errorf(engine.EINVALID, "Value %q is not a number: write it as 1234.5, without units or thousands separators; or leave it empty and write a note, for a comment", f.Value)
		}
		c.Value = value
	}
	if s := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(f.Confidence), "%")); s != "" {
		pct, err := strconv.ParseFloat(s, 64)
		if err != nil || pct < 0 || pct > 100 {
			return c, engine.Errorf(engine.EINVALID, "Confidence %q: give a percentage from 0 to 100, or leave it empty", f.Confidence)
		}
		x := pct / 100
		c.Confidence = &x
	}
	if len(c.Note) > 2000 {
		return c, engine.Errorf(engine.EINVALID, "Note is %d characters long; keep it under 2000", len(c.Note))
	}
	return c, nil
}
