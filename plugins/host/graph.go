package host

import (
	"github.com/okrmap/okrmap/engine/resolve"
	pb "github.com/okrmap/okrmap/plugins/proto/okrmap/plugin/v1"
	"github.com/okrmap/okrmap/plugins/protocol"
)

// Keys are the entities a finding may name, each with its scope.
type Keys map[string]string

// Batches converts the graph into messages of at most protocol.BatchSize
// entities each, and returns the keys a finding may name.
func Batches(g *resolve.Graph) ([]*pb.GraphBatch, Keys) {
	keys := make(Keys, len(g.Teams)+len(g.BusinessObjectives)+len(g.Objectives)+len(g.KeyResults)+len(g.KPIs)+len(g.Investments))
	var out []*pb.GraphBatch
	cur := &pb.GraphBatch{Today: g.Today.Format("2006-01-02")}
	n := 0
	next := func() {
		if n++; n >= protocol.BatchSize {
			out = append(out, cur)
			cur, n = &pb.GraphBatch{}, 0
		}
	}
	opt := func(has bool, v float64) *float64 {
		if !has {
			return nil
		}
		return &v
	}
	for _, t := range g.Teams {
		keys[t.Key] = "team"
		cur.Teams = append(cur.Teams, &pb.Team{Key: t.Key, Name: t.Name, Function: t.Function})
		next()
	}
	for _, b := range g.BusinessObjectives {
		keys[b.Key] = "business_objective"
		cur.BusinessObjectives = append(cur.BusinessObjectives, &pb.BusinessObjective{Key: b.Key, Title: b.Title,
			Category: b.Category, PnlLine: b.PnLLine, Period: b.Period, Target: opt(b.HasTarget, b.Target)})
		next()
	}
	for _, o := range g.Objectives {
		keys[o.Key] = "objective"
		cur.Objectives = append(cur.Objectives, &pb.Objective{Key: o.Key, Title: o.Title, Team: o.Team, Period: o.Period,
			Status: o.Status, Parent: o.Parent, BusinessObjective: o.BusinessObjective})
		next()
	}
	for _, k := range g.KeyResults {
		keys[k.Key] = "key_result"
		cur.KeyResults = append(cur.KeyResults, &pb.KeyResult{Key: k.Key, Title: k.Title, Objective: k.Objective, Team: k.Team,
			Unit: k.Unit, Direction: k.Direction, Baseline: opt(k.HasBaseline, k.Baseline), Target: opt(k.HasTarget, k.Target),
			Current: opt(k.HasCurrent, k.Current), Progress: k.Progress, ExpectedProgress: k.ExpectedProgress})
		next()
	}
	for _, k := range g.KPIs {
		keys[k.Key] = "kpi"
		m := &pb.KPI{Key: k.Key, Name: k.Name, Unit: k.Unit, Kind: k.Kind, Category: k.Category, Team: k.Team,
			Frequency: k.Frequency, Attribution: k.Attribution, Direction: k.Direction, Formula: k.Formula, Tags: k.Tags,
			Target: opt(k.HasTarget, k.Target), Latest: opt(k.HasMeasurement, k.Latest), Reaches: k.Reaches, Aligned: k.Aligned}
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
			Currency: in.Currency, Objective: in.Objective, ReturnKpi: in.ReturnKPI, ReturnValue: opt(in.HasReturn, in.ReturnValue)})
		next()
	}
	if n > 0 || len(out) == 0 {
		out = append(out, cur)
	}
	return out, keys
}
