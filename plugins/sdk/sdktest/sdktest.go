// Package sdktest is the test harness for okrmap rule plugins: build the
// graph from fixture plan files, then run a plugin against it in-process
// (through the same gRPC adapters okrmap uses) or as its built binary.
package sdktest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/csvimport"
	"github.com/okrmap/okrmap/engine/plan"
	"github.com/okrmap/okrmap/engine/resolve"
	"github.com/okrmap/okrmap/engine/rules"
	"github.com/okrmap/okrmap/plugins/host"
	"github.com/okrmap/okrmap/plugins/protocol"
	"github.com/okrmap/okrmap/plugins/sdk"
)

// Fixture is a graph built from plan files, as okrmap would send it.
type Fixture struct {
	graph   *resolve.Graph
	history *host.History
	in      resolve.Input // what graph was resolved from
}

// Load reads plan files and, optionally, a measurements CSV ("" for none),
// and resolves them as of today (YYYY-MM-DD). As in okrmap, a measurement
// of a KPI that a key result is measured_by checks that key result in.
func Load(t testing.TB, today, measurements string, planFiles ...string) *Fixture {
	t.Helper()
	set, err := plan.Load(planFiles...)
	if err == nil {
		err = set.Validate()
	}
	if err != nil {
		t.Fatalf("fixture plan: %v", err)
	}
	day, err := engine.ParseDate(today)
	if err != nil {
		t.Fatal(err)
	}
	var ms []engine.Measurement
	if measurements != "" {
		f, err := os.Open(measurements)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if ms, err = csvimport.Measurements(measurements, f, nil); err != nil {
			t.Fatalf("fixture measurements: %v", err)
		}
	}
	h := &host.History{Measurements: map[string][]engine.Measurement{}}
	for _, m := range ms {
		if !m.At.After(day.Time().AddDate(0, 0, 1)) { // as of today, as an audit then would
			h.Measurements[m.KPI] = append(h.Measurements[m.KPI], m)
		}
	}
	for _, list := range h.Measurements {
		slices.SortStableFunc(list, func(a, b engine.Measurement) int { return a.At.Compare(b.At) })
		// The history reaches back to the earliest measurement.
		h.Days = max(h.Days, int(day.Time().Sub(list[0].At).Hours()/24)+1)
	}
	in := resolve.Input{Plan: set.Plan, Latest: engine.Latest(ms), Today: day}
	fx := &Fixture{graph: resolve.Resolve(in), history: h, in: in}
	if cs := measuredCheckIns(set.Plan, h.Measurements); len(cs) > 0 {
		fx = fx.checkedIn(t, cs)
	}
	return fx
}

// measuredCheckIns are the check-ins okrmap makes of measurements: each
// measurement of a KPI a key result is measured_by, within its objective's
// period, checks that key result in.
func measuredCheckIns(p *engine.Plan, ms map[string][]engine.Measurement) []engine.CheckIn {
	var out []engine.CheckIn
	for _, o := range p.Objectives {
		per, err := engine.ParsePeriod(o.Period)
		for _, kr := range o.KeyResults {
			for _, m := range ms[kr.MeasuredBy] {
				if kr.MeasuredBy != "" && (err != nil || per.Contains(engine.DateOf(m.At.UTC()))) {
					out = append(out, engine.CheckIn{KeyResult: kr.Key, At: m.At, Value: m.Value, Author: m.Author, Note: "measured by " + kr.MeasuredBy})
				}
			}
		}
	}
	return out
}

// WithCheckIns returns the fixture with the key result check-ins of a CSV
// file (key_result, at, value, confidence, author, note; see okrmap import
// checkins) as of its day, beside those its measurements made: each key
// result's current value and confidence are its latest check-in's, as
// okrmap stores them, and the check-ins are its history. A comment (a
// note, no value) counts as checking in and carries no value.
func (fx *Fixture) WithCheckIns(t testing.TB, path string) *Fixture {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	all, err := csvimport.CheckIns(path, f, csvimport.Options{})
	if err != nil {
		t.Fatalf("fixture check-ins: %v", err)
	}
	return fx.checkedIn(t, append(slices.Clone(fx.in.CheckIns), all...))
}

// checkedIn returns the fixture with check-ins cs (those up to its day):
// each key result's current value and confidence its latest's, and its
// history.
func (fx *Fixture) checkedIn(t testing.TB, all []engine.CheckIn) *Fixture {
	t.Helper()
	day := fx.in.Today.Time()
	var cs []engine.CheckIn
	for _, c := range all {
		if c.At.Before(day.AddDate(0, 0, 1)) { // as of the fixture's day
			cs = append(cs, c)
		}
	}
	slices.SortStableFunc(cs, func(a, b engine.CheckIn) int { return a.At.Compare(b.At) })
	p := *fx.in.Plan
	p.Objectives = slices.Clone(p.Objectives)
	latest := map[string]engine.CheckIn{}
	for _, c := range cs {
		if !c.Comment {
			latest[c.KeyResult] = c
		}
	}
	known := map[string]bool{}
	for i := range p.Objectives {
		o := &p.Objectives[i]
		o.KeyResults = slices.Clone(o.KeyResults)
		for j := range o.KeyResults {
			kr := &o.KeyResults[j]
			known[kr.Key] = true
			if c, ok := latest[kr.Key]; ok {
				v := c.Value
				kr.Current, kr.Confidence = &v, c.Confidence
			}
		}
	}
	h := *fx.history
	h.CheckIns = map[string][]engine.CheckIn{}
	for _, c := range cs {
		if !known[c.KeyResult] {
			t.Fatalf("fixture check-ins: no key result %q in the plan", c.KeyResult)
		}
		if !c.Comment { // as okrmap sends them: values only
			h.CheckIns[c.KeyResult] = append(h.CheckIns[c.KeyResult], c)
		}
		h.CheckInDays = max(h.CheckInDays, int(day.Sub(c.At).Hours()/24)+1)
	}
	in := fx.in
	in.Plan, in.CheckIns = &p, cs
	return &Fixture{graph: resolve.Resolve(in), history: &h, in: in}
}

// Graph returns the fixture as a plugin receives it, for testing helpers
// of a plugin directly.
func (fx *Fixture) Graph() *sdk.Graph {
	batches, _ := host.Batches(fx.graph, fx.history)
	return sdk.FromProto(batches)
}

// logMu makes one in-process run at a time the one sdk.Log writes to.
var logMu sync.Mutex

// logTo sends sdk.Log to t's log, which go test shows with -v or when the
// test fails, until the function it returns is called.
func logTo(t testing.TB) func() {
	logMu.Lock()
	old := sdk.Log
	sdk.Log = slog.New(slog.NewTextHandler(testLog{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return func() {
		sdk.Log = old
		logMu.Unlock()
	}
}

// testLog writes lines to a test's log.
type testLog struct{ t testing.TB }

func (w testLog) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// Finding is a plugin's finding as an audit reports it.
type Finding struct {
	Rule     string
	Severity string // the rule's unless the finding set its own
	Scope    string // kpi, key_result, objective, business_objective, investment, team or plan
	Entity   string // the entity's key; "" for the plan
	Team     string // the entity's team, as okrmap fills it in
	Message  string
	Fix      string
	Trace    []string // the entity's path up to a business objective, as okrmap fills it in
}

// Check runs p in-process over a gRPC connection, exactly as okrmap talks
// to a plugin binary, and returns its findings as an audit reports them:
// okrmap's checks applied (described rules, known severities, entities in
// the graph and of the rule's scope) and team and trace filled in. Anything
// okrmap would refuse fails the test; Run returns it instead.
func (fx *Fixture) Check(t testing.TB, p sdk.Plugin, settings map[string]string) []Finding {
	t.Helper()
	fs, err := fx.Run(t, p, settings)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

// Run is Check that returns what okrmap would refuse, as the error an
// audit reports: a failed Configure or Check, or findings that break the
// plugin's description or name entities that are not in the graph or not
// of their rule's scope. Tests use it to expect a refusal.
func (fx *Fixture) Run(t testing.TB, p sdk.Plugin, settings map[string]string) ([]Finding, error) {
	t.Helper()
	quietPluginLog.Do(func() { hclog.DefaultOutput = dropDebug{os.Stderr} })
	defer logTo(t)()
	client, server := plugin.TestPluginGRPCConn(t, false, protocol.Sets(sdk.Adapt(recovering{p}))[protocol.Version])
	defer client.Close()
	defer server.Stop()
	raw, err := client.Dispense(protocol.PluginName)
	if err != nil {
		return nil, err
	}
	batches, keys := host.Batches(fx.graph, fx.history)
	res, err := host.Converse(context.Background(), raw.(protocol.Impl), settings, batches, keys)
	if err != nil {
		return nil, err
	}
	return fx.reported(res.Findings), nil
}

// recovering turns a panic in Configure or Check into an error naming it
// and where it happened, as a test failure rather than the end of go test.
type recovering struct{ sdk.Plugin }

func (r recovering) Configure(settings map[string]string) (err error) {
	defer recoverTo(&err)
	return r.Plugin.Configure(settings)
}

func (r recovering) Check(ctx context.Context, g *sdk.Graph) (fs []sdk.Finding, err error) {
	defer recoverTo(&err)
	return r.Plugin.Check(ctx, g)
}

func recoverTo(err *error) {
	if v := recover(); v != nil {
		*err = fmt.Errorf("the plugin panicked: %v\n%s", v, debug.Stack())
	}
}

// CheckBinary runs a built plugin binary against the fixture, as okrmap
// does in an audit, and returns its findings as Check does.
func (fx *Fixture) CheckBinary(t testing.TB, bin string, settings map[string]string) []Finding {
	t.Helper()
	sum, err := host.FileSHA256(bin)
	if err != nil {
		t.Fatal(err)
	}
	batches, keys := host.Batches(fx.graph, fx.history)
	res, err := host.Run(context.Background(), host.Spec{Name: filepath.Base(bin), Path: bin, SHA256: sum, Settings: settings}, batches, keys)
	if err != nil {
		t.Fatal(err)
	}
	return fx.reported(res.Findings)
}

// reported fills in team and trace as an audit does, and converts.
func (fx *Fixture) reported(fs []engine.Finding) []Finding {
	rules.AttachEntities(fx.graph, fs)
	out := make([]Finding, len(fs))
	for i, f := range fs {
		out[i] = Finding{Rule: f.Rule, Severity: f.Severity, Scope: f.Scope, Entity: f.Entity, Team: f.Team,
			Message: f.Message, Fix: f.Fix, Trace: f.Trace}
	}
	return out
}

// Build compiles the plugin's main package (an import path or a directory)
// into a temporary directory and returns the binary's path.
func Build(t testing.TB, pkg string) string {
	t.Helper()
	return BuildTo(t, pkg, filepath.Join(t.TempDir(), "okrmap-plugin-under-test"))
}

// BuildTo compiles a main package to the binary bin, for tests that need
// a plugin (or okrmap itself) under a given name or in a given directory.
func BuildTo(t testing.TB, pkg, bin string) string {
	t.Helper()
	if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin
}

// Processes counts live processes running the executable bin (Linux): the
// binary itself, or the private copy of its bytes okrmap starts. Tests use
// it to check that no plugin process is left.
func Processes(bin string) int {
	want, err := host.FileSHA256(bin)
	if err != nil {
		return 0
	}
	info, err := os.Stat(bin)
	if err != nil {
		return 0
	}
	n := 0
	procs, _ := filepath.Glob("/proc/[0-9]*/exe")
	for _, p := range procs {
		if st, err := os.Stat(p); err != nil || st.Size() != info.Size() {
			continue
		}
		if sum, err := host.FileSHA256(p); err == nil && sum == want {
			n++
		}
	}
	return n
}

// quietPluginLog keeps go-plugin's in-process connection, which logs at
// debug level to standard error, from flooding 'go test -v' of a plugin.
var quietPluginLog sync.Once

// dropDebug passes on the log lines of w above debug and trace level.
type dropDebug struct{ w io.Writer }

func (d dropDebug) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte("[DEBUG]")) || bytes.Contains(p, []byte("[TRACE]")) {
		return len(p), nil
	}
	return d.w.Write(p)
}
