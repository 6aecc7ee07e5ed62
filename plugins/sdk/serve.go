package sdk

import (
	"context"
	"os"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	pb "github.com/okrmap/okrmap/plugins/proto/okrmap/plugin/v1"
	"github.com/okrmap/okrmap/plugins/protocol"
)

// Serve runs p as a plugin until okrmap is done with it. Call it from
// main. It also exits when the okrmap process that started it disappears,
// even if okrmap was killed outright.
func Serve(p Plugin) {
	go watchParent(os.Getppid(), time.Second)
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  protocol.Handshake,
		VersionedPlugins: protocol.Sets(Adapt(p)),
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			opts = append(opts, grpc.MaxRecvMsgSize(protocol.MaxMessage), grpc.MaxSendMsgSize(protocol.MaxMessage))
			return grpc.NewServer(opts...)
		},
	})
}

// watchParent exits when the parent process changes: the host is gone and
// the plugin was handed to another parent.
func watchParent(parent int, every time.Duration) {
	for range time.Tick(every) {
		if os.Getppid() != parent {
			os.Exit(2)
		}
	}
}

// Adapt turns a Plugin into the protocol-level implementation. Serve uses
// it; the test harness uses it to run a plugin in-process.
func Adapt(p Plugin) protocol.Impl { return adapter{p} }

type adapter struct{ p Plugin }

func (a adapter) Describe(context.Context) (*pb.Description, error) {
	d := a.p.Describe()
	out := &pb.Description{Name: d.Name, Version: d.Version, ProtocolVersion: ProtocolVersion}
	for _, r := range d.Rules {
		out.Rules = append(out.Rules, &pb.RuleInfo{Id: r.ID, Name: r.Name, Severity: r.Severity, Scope: r.Scope, Doc: r.Doc, Fix: r.Fix, Tags: r.Tags})
	}
	for _, c := range d.Config {
		out.Config = append(out.Config, &pb.ConfigKey{Key: c.Key, Doc: c.Doc, Default: c.Default, Type: c.Type})
	}
	if h := d.History; h != (History{}) {
		out.History = &pb.HistoryNeed{MeasurementDays: uint32(max(h.MeasurementDays, 0)), CheckinDays: uint32(max(h.CheckInDays, 0))}
	}
	return out, nil
}

// Configure refuses settings the plugin does not declare, or of another
// type than declared (see ParseSettings), so a misspelt key or a bad value
// in okrmap's config fails loudly instead of being ignored.
func (a adapter) Configure(_ context.Context, settings map[string]string) error {
	if _, err := ParseSettings(a.p.Describe(), settings); err != nil {
		return err
	}
	return a.p.Configure(settings)
}

func (a adapter) Check(ctx context.Context, batches []*pb.GraphBatch) ([]*pb.Finding, error) {
	fs, err := a.p.Check(ctx, FromProto(batches))
	if err != nil {
		return nil, err
	}
	out := make([]*pb.Finding, len(fs))
	for i, f := range fs {
		out[i] = &pb.Finding{Rule: f.Rule, Severity: f.Severity, Scope: f.Scope, Entity: f.Entity, Message: f.Message, Fix: f.Fix}
	}
	return out, nil
}

// FromProto assembles a Graph from the batches okrmap sent.
func FromProto(batches []*pb.GraphBatch) *Graph {
	g := &Graph{}
	// Sized up front: growing these slices entity by entity costs more
	// than the copy itself on a large graph.
	var teams, bos, objs, krs, kpis, invs int
	for _, b := range batches {
		teams += len(b.GetTeams())
		bos += len(b.GetBusinessObjectives())
		objs += len(b.GetObjectives())
		krs += len(b.GetKeyResults())
		kpis += len(b.GetKpis())
		invs += len(b.GetInvestments())
	}
	g.Teams = make([]Team, 0, teams)
	g.BusinessObjectives = make([]BusinessObjective, 0, bos)
	g.Objectives = make([]Objective, 0, objs)
	g.KeyResults = make([]KeyResult, 0, krs)
	g.KPIs = make([]KPI, 0, kpis)
	g.Investments = make([]Investment, 0, invs)
	for _, b := range batches {
		g.HistoryDays = max(g.HistoryDays, int(b.GetHistoryDays()))
		g.CheckInHistoryDays = max(g.CheckInHistoryDays, int(b.GetCheckinHistoryDays()))
		if b.GetToday() != "" {
			g.Today, _ = time.Parse("2006-01-02", b.GetToday())
		}
		for _, t := range b.GetTeams() {
			g.Teams = append(g.Teams, Team{Key: t.GetKey(), Name: t.GetName(), Function: t.GetFunction(), Cadence: t.GetCadence(), Lead: t.GetLead(),
				CadenceDays: int(t.GetCadenceDays()), Objectives: t.GetObjectives(), KPIs: t.GetKpis()})
		}
		for _, x := range b.GetBusinessObjectives() {
			g.BusinessObjectives = append(g.BusinessObjectives, BusinessObjective{Key: x.GetKey(), Title: x.GetTitle(),
				Category: x.GetCategory(), PnLLine: x.GetPnlLine(), Period: x.GetPeriod(), Target: x.Target, Owner: x.GetOwner(),
				ReviewedAt: day(x.GetReviewedAt()), DaysSinceReview: int(x.GetDaysSinceReview()), Objectives: x.GetObjectives(),
				AllObjectives: x.GetAllObjectives(), KPIs: x.GetKpis()})
		}
		for _, o := range b.GetObjectives() {
			g.Objectives = append(g.Objectives, Objective{Key: o.GetKey(), Title: o.GetTitle(), Team: o.GetTeam(),
				Period: o.GetPeriod(), Status: o.GetStatus(), Parent: o.GetParent(), BusinessObjective: o.GetBusinessObjective(),
				Owner: o.GetOwner(), StandaloneReason: o.GetStandaloneReason(), ParentKind: o.GetParentKind(), TeamLead: o.GetTeamLead(),
				ParentStatus: o.GetParentStatus(), ParentPeriod: o.GetParentPeriod(), PnLLine: o.GetPnlLine(), Ancestors: o.GetAncestors(),
				PeriodStart: day(o.GetPeriodStart()), PeriodEnd: day(o.GetPeriodEnd()), KeyResults: o.GetKeyResults(),
				Children: o.GetChildren(), KPIs: o.GetKpis(), AlignsTo: o.GetAlignsTo(), BusinessObjectives: o.GetBusinessObjectives()})
		}
		for _, k := range b.GetKeyResults() {
			g.KeyResults = append(g.KeyResults, KeyResult{Key: k.GetKey(), Title: k.GetTitle(), Objective: k.GetObjective(),
				Team: k.GetTeam(), Unit: k.GetUnit(), Direction: k.GetDirection(), Baseline: k.Baseline, Target: k.Target,
				Current: k.Current, Progress: k.GetProgress(), ExpectedProgress: k.GetExpectedProgress(), Owner: k.GetOwner(),
				ObjectiveStatus: k.GetObjectiveStatus(), MeasuredBy: k.GetMeasuredBy(), Commitment: k.GetCommitment(),
				Confidence: k.Confidence, Score: k.Score, Due: day(k.GetDue()), PeriodStart: day(k.GetPeriodStart()),
				PeriodEnd: day(k.GetPeriodEnd()), CheckIns: int(k.GetCheckins()), DaysSinceCheckIn: int(k.GetDaysSinceCheckin()),
				CadenceDays: int(k.GetCadenceDays()), History: checkInsFromProto(k.GetHistory()), KPIs: k.GetKpis(),
				Objectives: k.GetObjectives(), SharedObjectives: k.GetSharedObjectives(), Forecast: forecastFromProto(k.GetForecast()),
				PnLLines: k.GetPnlLines(), CriticalLines: k.GetCriticalLines()})
		}
		for _, k := range b.GetKpis() {
			g.KPIs = append(g.KPIs, KPI{Key: k.GetKey(), Name: k.GetName(), Unit: k.GetUnit(), Kind: k.GetKind(),
				KindDeclared: k.GetKindDeclared(), KindReason: k.GetKindReason(), Measures: k.GetMeasures(),
				OwnedBy: k.GetOwnedBy(), OwnerIsLead: k.GetOwnerIsLead(), Warning: k.Warning, Critical: k.Critical, Breaching: k.GetBreaching(),
				Category: k.GetCategory(), Team: k.GetTeam(), Frequency: k.GetFrequency(), Attribution: k.GetAttribution(),
				Direction: k.GetDirection(), Formula: k.GetFormula(), Tags: k.GetTags(), Target: k.Target, Latest: k.Latest,
				Links: k.GetLinks(), KeyResults: k.GetKeyResults(), Reaches: k.GetReaches(), Aligned: k.GetAligned(),
				Definition: k.GetDefinition(), Owner: k.GetOwner(), Source: k.GetSource(), FormulaError: k.GetFormulaError(),
				FormulaMissing: k.GetFormulaMissing(), NameConflicts: k.GetNameConflicts(), LatestAt: instant(k.GetLatestAt()),
				SyncedAt: instant(k.GetSyncedAt()), DaysSinceMeasurement: int(k.GetDaysSinceMeasurement()),
				WindowDays: int(k.GetWindowDays()), BusinessObjectives: k.GetBusinessObjectives(), PnLLines: k.GetPnlLines(),
				Trace: k.GetTrace(), Teams: k.GetTeams(), ReachesOutcome: k.GetReachesOutcome(), Connector: k.GetConnector(),
				SyncError: k.GetSyncError(), SyncFailed: k.GetSyncFailed(), History: measurementsFromProto(k.GetHistory()),
				Drives: k.GetDrives(), DrivenBy: k.GetDrivenBy(), Objectives: k.GetObjectives()})
		}
		for _, l := range b.GetLinks() {
			g.Links = append(g.Links, Link{KPI: l.GetKpi(), KPIKind: l.GetKpiKind(), Team: l.GetTeam(), To: l.GetTo(),
				ToKind: l.GetToKind(), ToStatus: l.GetToStatus(), Weight: l.Weight, Rationale: l.GetRationale(),
				Assumptions: l.GetAssumptions(), Invalidated: l.GetInvalidated()})
		}
		for _, a := range b.GetAssumptions() {
			g.Assumptions = append(g.Assumptions, Assumption{Key: a.GetKey(), Statement: a.GetStatement(), Owner: a.GetOwner(),
				Status: a.GetStatus(), Evidence: a.GetEvidence(), ReviewBy: day(a.GetReviewBy()), Links: int(a.GetLinks())})
		}
		for _, in := range b.GetInvestments() {
			g.Investments = append(g.Investments, Investment{Key: in.GetKey(), Name: in.GetName(), Amount: in.GetAmount(),
				Currency: in.GetCurrency(), Objective: in.GetObjective(), ReturnKPI: in.GetReturnKpi(), ReturnValue: in.ReturnValue,
				Period: in.GetPeriod(), Owner: in.GetOwner(), Team: in.GetTeam(), ReturnKPIMeasured: in.GetReturnKpiMeasured()})
		}
	}
	return g
}

// day reads a YYYY-MM-DD date; "" is the zero time.
func day(s string) time.Time {
	t, _ := time.Parse("2006-01-02", s)
	return t
}

// instant reads an RFC 3339 time; "" is the zero time.
func instant(s string) time.Time {
	t, _ := time.Parse(time.RFC3339, s)
	return t
}

func forecastFromProto(f *pb.Forecast) *Forecast {
	if f == nil {
		return nil
	}
	return &Forecast{Value: f.GetValue(), Low: f.GetLow(), High: f.GetHigh(), Likelihood: f.GetLikelihood(), Method: f.GetMethod()}
}

func measurementsFromProto(ms []*pb.Measurement) []Measurement {
	if len(ms) == 0 {
		return nil
	}
	out := make([]Measurement, len(ms))
	for i, m := range ms {
		out[i] = Measurement{At: time.Unix(m.GetAt(), 0).UTC(), Value: m.GetValue(), Author: m.GetAuthor(), Note: m.GetNote()}
	}
	return out
}

func checkInsFromProto(cs []*pb.CheckIn) []CheckIn {
	if len(cs) == 0 {
		return nil
	}
	out := make([]CheckIn, len(cs))
	for i, c := range cs {
		out[i] = CheckIn{At: time.Unix(c.GetAt(), 0).UTC(), Value: c.GetValue(), Confidence: c.Confidence, Note: c.GetNote(), Author: c.GetAuthor()}
	}
	return out
}
