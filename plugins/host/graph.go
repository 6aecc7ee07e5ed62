package host

import (
	"time"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/forecast"
	"github.com/okrmap/okrmap/engine/resolve"
	pb "github.com/okrmap/okrmap/plugins/proto/okrmap/plugin/v1"
	"github.com/okrmap/okrmap/plugins/protocol"
)

// Keys are the entities a finding may name, each with its scope.
type Keys map[string]string

// History is what plugins get of measurement and check-in history, by KPI
// and key result key, oldest first.
type History struct {
	Days         int // how far back, before today, the measurements reach
	CheckInDays  int // and the check-ins
	Measurements map[string][]engine.Measurement
	CheckIns     map[string][]engine.CheckIn
}

// Batches converts the graph, with h (nil: none), into messages of at most
// protocol.BatchSize entities each, and returns the keys a finding may name.
func Batches(g *resolve.Graph, h *History) ([]*pb.GraphBatch, Keys) {
	if h == nil {
		h = &History{}
	}
	keys := make(Keys, len(g.Teams)+len(g.BusinessObjectives)+len(g.Objectives)+len(g.KeyResults)+len(g.KPIs)+len(g.Investments))
	var out []*pb.GraphBatch
	cur := &pb.GraphBatch{Today: g.Today.Format("2006-01-02"), HistoryDays: int32(h.Days), CheckinHistoryDays: int32(h.CheckInDays)}
	n := 0
	next := func() {
		if n++; n >= protocol.BatchSize {
			out = append(out, cur)
			cur, n = &pb.GraphBatch{}, 0
		}
	}
	day := func(has bool, t time.Time) string {
		if !has || t.IsZero() {
			return ""
		}
		return t.Format("2006-01-02")
	}
	instant := func(has bool, t time.Time) string {
		if !has || t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	opt := func(has bool, v float64) *float64 {
		if !has {
			return nil
		}
		return &v
	}
	for _, t := range g.Teams {
		keys[t.Key] = "team"
		cur.Teams = append(cur.Teams, &pb.Team{Key: t.Key, Name: t.Name, Function: t.Function, Cadence: t.Cadence, Lead: t.Lead,
			CadenceDays: int32(t.CadenceDays), Objectives: objectiveKeys(t.Objectives), Kpis: kpiKeys(t.KPIs)})
		next()
	}
	for _, b := range g.BusinessObjectives {
		keys[b.Key] = "business_objective"
		cur.BusinessObjectives = append(cur.BusinessObjectives, &pb.BusinessObjective{Key: b.Key, Title: b.Title,
			Category: b.Category, PnlLine: b.PnLLine, Period: b.Period, Target: opt(b.HasTarget, b.Target), Owner: b.Owner,
			ReviewedAt: day(b.Reviewed, b.ReviewedAt), DaysSinceReview: int32(b.DaysSinceReview),
			Objectives: objectiveKeys(b.Objectives), Kpis: kpiKeys(b.KPIs), AllObjectives: b.AllObjectiveKeys})
		next()
	}
	for _, o := range g.Objectives {
		keys[o.Key] = "objective"
		cur.Objectives = append(cur.Objectives, &pb.Objective{Key: o.Key, Title: o.Title, Team: o.Team, Period: o.Period,
			Status: o.Status, Parent: o.Parent, BusinessObjective: o.BusinessObjective, Owner: o.Owner,
			StandaloneReason: o.StandaloneReason, TeamLead: o.TeamLead, PeriodStart: day(true, o.PeriodStart), PeriodEnd: day(true, o.PeriodEnd),
			ParentKind: o.ParentKind, ParentStatus: o.ParentStatus, ParentPeriod: o.ParentPeriod, Ancestors: o.Ancestors, PnlLine: o.PnLLine,
			KeyResults: keysOf(o.KeyResults, func(k *resolve.KeyResult) string { return k.Key }), Children: objectiveKeys(o.Children),
			Kpis: kpiKeys(o.KPIs), AlignsTo: o.AlignsTo, BusinessObjectives: o.BusinessObjectives})
		next()
	}
	for _, k := range g.KeyResults {
		keys[k.Key] = "key_result"
		cur.KeyResults = append(cur.KeyResults, &pb.KeyResult{Key: k.Key, Title: k.Title, Objective: k.Objective, Team: k.Team,
			Unit: k.Unit, Direction: k.Direction, Baseline: opt(k.HasBaseline, k.Baseline), Target: opt(k.HasTarget, k.Target),
			Current: opt(k.HasCurrent, k.Current), Progress: k.Progress, ExpectedProgress: k.ExpectedProgress, Owner: k.Owner,
			MeasuredBy: k.MeasuredBy, Commitment: k.Commitment, ObjectiveStatus: k.ObjectiveStatus,
			Confidence: opt(k.HasConfidence, k.Confidence), Due: day(k.HasDue, k.Due), PeriodStart: day(true, k.PeriodStart),
			PeriodEnd: day(true, k.PeriodEnd), Score: opt(k.HasScore, k.Score), Checkins: int32(k.CheckIns),
			DaysSinceCheckin: int32(k.DaysSinceCheckIn), CadenceDays: int32(k.CadenceDays), History: checkIns(h.CheckIns[k.Key]),
			Kpis: kpiKeys(k.KPIs), Objectives: objectiveKeys(k.Objectives), SharedObjectives: objectiveKeys(k.Shared),
			Forecast: forecastOf(k), PnlLines: k.PnLLines, CriticalLines: k.CriticalLines})
		next()
	}
	for _, k := range g.KPIs {
		keys[k.Key] = "kpi"
		m := &pb.KPI{Key: k.Key, Name: k.Name, Unit: k.Unit, Kind: k.Kind, KindDeclared: k.KindDeclared, KindReason: k.KindReason, OwnedBy: k.OwnedBy, OwnerIsLead: k.OwnerIsLead,
			Warning: opt(k.HasWarning, k.Warning), Critical: opt(k.HasCritical, k.Critical), Breaching: k.Breaching, Measures: keysOf(k.Measures, func(kr *resolve.KeyResult) string { return kr.Key }),
			Category: k.Category, Team: k.Team,
			Frequency: k.Frequency, Attribution: k.Attribution, Direction: k.Direction, Formula: k.Formula, Tags: k.Tags,
			Target: opt(k.HasTarget, k.Target), Latest: opt(k.HasMeasurement, k.Latest), Reaches: k.Reaches, Aligned: k.Aligned,
			Definition: k.Definition, Owner: k.Owner, Source: k.Source, LatestAt: instant(k.HasMeasurement, k.LatestAt),
			DaysSinceMeasurement: int32(k.DaysSinceMeasurement), WindowDays: int32(k.WindowDays), Connector: k.Connector,
			SyncFailed: k.SyncFailed, SyncError: k.SyncError, PnlLines: k.PnLLines, ReachesOutcome: k.ReachesOutcome,
			Trace: k.Trace, Teams: k.Teams, BusinessObjectives: k.BusinessObjectives, FormulaError: k.FormulaError,
			FormulaMissing: k.FormulaMissing, NameConflicts: k.NameConflicts, SyncedAt: instant(k.Synced, k.SyncedAt),
			History: measurements(h.Measurements[k.Key]), Drives: kpiKeys(k.Drives), DrivenBy: kpiKeys(k.DrivenBy),
			Objectives: objectiveKeys(k.Objectives)}
		for _, l := range k.Links {
			m.Links = append(m.Links, l.To)
		}
		for _, kr := range k.KeyResults {
			m.KeyResults = append(m.KeyResults, kr.Key)
		}
		cur.Kpis = append(cur.Kpis, m)
		next()
	}
	for _, in := range g.Investments {
		keys[in.Key] = "investment"
		cur.Investments = append(cur.Investments, &pb.Investment{Key: in.Key, Name: in.Name, Amount: in.Amount,
			Currency: in.Currency, Objective: in.Objective, ReturnKpi: in.ReturnKPI, ReturnValue: opt(in.HasReturn, in.ReturnValue),
			Period: in.Period, Owner: in.Owner, Team: in.Team, ReturnKpiMeasured: in.ReturnKPIMeasured})
		next()
	}
	for _, l := range g.Links {
		cur.Links = append(cur.Links, &pb.Link{Kpi: l.KPI, KpiKind: l.KPIKind, Team: l.Team, To: l.To, ToKind: l.ToKind,
			ToStatus: l.ToStatus, Weight: opt(l.HasWeight, l.Weight), Rationale: l.Rationale, Invalidated: l.Invalidated,
			Assumptions: keysOf(l.Assumptions, func(a *resolve.Assumption) string { return a.Key })})
		next()
	}
	for _, a := range g.Assumptions {
		cur.Assumptions = append(cur.Assumptions, &pb.Assumption{Key: a.Key, Statement: a.Statement, Owner: a.Owner,
			Status: a.Status, Evidence: a.Evidence, ReviewBy: day(a.HasReviewBy, a.ReviewBy), Links: int32(a.Links)})
		next()
	}
	if n > 0 || len(out) == 0 {
		out = append(out, cur)
	}
	return out, keys
}

// forecastOf is k's forecast, or nil.
func forecastOf(k *resolve.KeyResult) *pb.Forecast {
	if !k.HasForecast {
		return nil
	}
	return &pb.Forecast{Value: k.Forecast, Low: k.ForecastLow, High: k.ForecastHigh, Likelihood: k.ForecastLikelihood, Method: forecast.Method}
}

func measurements(ms []engine.Measurement) []*pb.Measurement {
	out := make([]*pb.Measurement, len(ms))
	for i, m := range ms {
		out[i] = &pb.Measurement{At: m.At.Unix(), Value: m.Value, Author: m.Author, Note: m.Note}
	}
	return out
}

func checkIns(cs []engine.CheckIn) []*pb.CheckIn {
	out := make([]*pb.CheckIn, len(cs))
	for i, c := range cs {
		out[i] = &pb.CheckIn{At: c.At.Unix(), Value: c.Value, Confidence: c.Confidence, Note: c.Note, Author: c.Author}
	}
	return out
}

// keysOf returns the keys of entities.
func keysOf[T any](list []*T, key func(*T) string) []string {
	if len(list) == 0 {
		return nil
	}
	out := make([]string, len(list))
	for i, x := range list {
		out[i] = key(x)
	}
	return out
}

func kpiKeys(ks []*resolve.KPI) []string {
	return keysOf(ks, func(k *resolve.KPI) string { return k.Key })
}

func objectiveKeys(os []*resolve.Objective) []string {
	return keysOf(os, func(o *resolve.Objective) string { return o.Key })
}
