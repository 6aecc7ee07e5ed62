package storetest

import (
	"context"
	"errors"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/plan"
)

// root is the module's directory.
func root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "../../..")
}

func testMigrateFresh(t *testing.T, b Backend) {
	db := b.open(t)
	v, err := db.SchemaVersion(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if v != db.KnownVersion() || v < 6 {
		t.Errorf("schema version %d, want %d", v, db.KnownVersion())
	}
	if n := count(t, db, "revision"); n != 1 {
		t.Errorf("%d revision rows, want 1", n)
	}
}

func testMigrateUpgradeAndRefuseNewer(t *testing.T, b Backend) {
	ctx := context.Background()
	where := b.New(t)
	v1 := fstest.MapFS{"0001_a.sql": {Data: []byte("CREATE TABLE a (x INTEGER); INSERT INTO a VALUES (7);")}}
	v2 := fstest.MapFS{
		"0001_a.sql": v1["0001_a.sql"],
		"0002_b.sql": {Data: []byte("ALTER TABLE a ADD COLUMN y TEXT; INSERT INTO a VALUES (1, 'two');")},
	}
	db, err := b.Open(ctx, where, v1)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	db, err = b.Open(ctx, where, v2)
	if err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	if n := count(t, db, "a"); n != 2 {
		t.Errorf("%d rows after the upgrade, want the one written before and the one it added", n)
	}
	if v, _ := db.SchemaVersion(ctx); v != 2 {
		t.Errorf("version after upgrade %d, want 2", v)
	}
	db.Close()

	_, err = b.Open(ctx, where, v1)
	if engine.ErrorCode(err) != engine.ECONFLICT || !strings.Contains(err.Error(), "newer okrmap") {
		t.Fatalf("opening a newer database: %v", err)
	}
	db, err = b.Open(ctx, where, v2)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, _ := db.SchemaVersion(ctx); v != 2 || count(t, db, "a") != 2 {
		t.Errorf("refusing a newer database changed it: version %d", v)
	}
}

func testMigrationFailureRollsBack(t *testing.T, b Backend) {
	ctx := context.Background()
	where := b.New(t)
	bad := fstest.MapFS{
		"0001_a.sql": {Data: []byte("CREATE TABLE a (x INTEGER);")},
		"0002_b.sql": {Data: []byte("CREATE TABLE b (x INTEGER); CREATE TABLE a (x INTEGER);")},
	}
	if _, err := b.Open(ctx, where, bad); err == nil {
		t.Fatal("a failing migration succeeded")
	}
	good := fstest.MapFS{"0001_a.sql": bad["0001_a.sql"]}
	db, err := b.Open(ctx, where, good)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, _ := db.SchemaVersion(ctx); v != 1 {
		t.Errorf("after a failed migration: version %d, want 1", v)
	}
	if _, err := db.Count(ctx, "b"); err == nil {
		t.Error("a failed migration left its table b")
	}
}

func testApplyIsIdempotent(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.open(t)
	p := examples(t)
	cs, err := db.Apply(ctx, p, false)
	if err != nil {
		t.Fatal(err)
	}
	if cs.Count(engine.KindKPI, engine.Created) != len(p.KPIs) {
		t.Errorf("created %d KPIs, want %d", cs.Count(engine.KindKPI, engine.Created), len(p.KPIs))
	}
	cs, err = db.Apply(ctx, p, false)
	if err != nil {
		t.Fatal(err)
	}
	if cs.Changed() {
		for _, c := range cs {
			if c.Action != engine.Unchanged {
				t.Errorf("second apply: %s %s %s", c.Action, c.Kind, c.Key)
			}
		}
	}
}

func testApplyUpdatesAndDryRun(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.open(t)
	p := examples(t)
	if _, err := db.Apply(ctx, p, false); err != nil {
		t.Fatal(err)
	}
	change := &engine.Plan{KPIs: []engine.KPI{p.KPIs[0]}}
	change.KPIs[0].Name = "Renamed"
	change.KPIs[0].Links = change.KPIs[0].Links[:1]

	cs, err := db.Apply(ctx, change, true)
	if err != nil || cs.Count(engine.KindKPI, engine.Updated) != 1 {
		t.Fatalf("dry run: %v %v", cs, err)
	}
	stored, _ := db.Plan(ctx)
	if stored.KPIs[0].Name == "Renamed" {
		t.Fatal("dry run wrote")
	}
	if _, err := db.Apply(ctx, change, false); err != nil {
		t.Fatal(err)
	}
	stored, _ = db.Plan(ctx)
	if k := stored.KPIs[0]; k.Name != "Renamed" || len(k.Links) != 1 {
		t.Errorf("after update: name %q, %d links; want Renamed with 1 link", k.Name, len(k.Links))
	}
}

func testFailedApplyChangesNothing(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.open(t)
	p := examples(t)
	if _, err := db.Apply(ctx, p, false); err != nil {
		t.Fatal(err)
	}
	before, _ := db.Plan(ctx)
	bad := &engine.Plan{
		Teams: []engine.Team{{Key: "new-team", Name: "New"}},
		KPIs:  []engine.KPI{{Key: "x", Name: "X", Links: []engine.Link{{To: "no-such-thing", Src: engine.Source{File: "bad.yaml", Path: "/kpis/0/links/0"}}}}},
	}
	_, err := db.Apply(ctx, bad, false)
	var probs engine.Problems
	if !errors.As(err, &probs) || len(probs) != 1 || probs[0].Path != "/kpis/0/links/0/to" {
		t.Fatalf("want one problem at the link, got %v", err)
	}
	after, _ := db.Plan(ctx)
	if _, cs, _ := engine.Merge(before, after); cs.Changed() || len(after.Teams) != len(before.Teams) {
		t.Error("a failed apply changed the database")
	}
}

func testApplyReferencesStoredEntities(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.open(t)
	company := &engine.Plan{BusinessObjectives: []engine.BusinessObjective{{Key: "grow", Title: "Grow", PnLLine: "revenue"}}}
	if _, err := db.Apply(ctx, company, false); err != nil {
		t.Fatal(err)
	}
	team := &engine.Plan{Objectives: []engine.Objective{{Key: "o", Title: "O", Period: "2026-Q4", Parent: "grow"}}}
	if _, err := db.Apply(ctx, team, false); err != nil {
		t.Fatalf("a team plan naming a stored business objective: %v", err)
	}
	clash := &engine.Plan{KPIs: []engine.KPI{{Key: "grow", Name: "Grow"}}}
	if _, err := db.Apply(ctx, clash, false); err == nil || !strings.Contains(err.Error(), "already a business_objective") {
		t.Errorf("kind clash: %v", err)
	}
}

// testExportApplyRoundTrip: exporting and applying to an empty database
// reproduces the same model.
func testExportApplyRoundTrip(t *testing.T, b Backend) {
	ctx := context.Background()
	src := b.open(t)
	if _, err := src.Apply(ctx, examples(t), false); err != nil {
		t.Fatal(err)
	}
	if err := src.CheckIn(ctx, engine.CheckIn{KeyResult: "sme-sqls", Value: 3400, Confidence: ptr(0.7)}); err != nil {
		t.Fatal(err)
	}
	if _, err := src.CloseQuarter(ctx, "2026-Q4", "2027-Q1"); err != nil {
		t.Fatal(err)
	}
	exported, _ := src.Plan(ctx)
	for _, format := range []string{"yaml", "json"} {
		var buf strings.Builder
		if err := plan.Write(&buf, exported, format); err != nil {
			t.Fatal(err)
		}
		set, err := plan.Parse("export."+format, []byte(buf.String()))
		if err != nil {
			t.Fatalf("%s: exported plan does not load: %v", format, err)
		}
		dst := b.open(t)
		if _, err := dst.Apply(ctx, set.Plan, false); err != nil {
			t.Fatalf("%s: applying the export: %v", format, err)
		}
		again, _ := dst.Plan(ctx)
		if _, cs, _ := engine.Merge(exported, again); cs.Changed() || len(cs) != countEntities(exported) {
			t.Errorf("%s: the re-applied export differs from the source", format)
		}
	}
}

func countEntities(p *engine.Plan) int {
	n := 0
	p.EachEntity(func(engine.Kind, string, engine.Source) { n++ })
	return n
}

func ptr(x float64) *float64 { return &x }

// testApplyFromSeesWritesDuringLoad: a write that lands while ApplyFrom's
// plan loads is seen by the apply, and a failing load writes nothing.
func testApplyFromSeesWritesDuringLoad(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.open(t)
	if _, err := db.Apply(ctx, &engine.Plan{Teams: []engine.Team{{Key: "sales", Name: "Sales"}}}, false); err != nil {
		t.Fatal(err)
	}
	cs, err := db.ApplyFrom(ctx, func() (*engine.Plan, error) {
		// Another writer adds a team while this plan loads.
		if _, err := db.Apply(ctx, &engine.Plan{Teams: []engine.Team{{Key: "finance", Name: "Finance"}}}, false); err != nil {
			return nil, err
		}
		return &engine.Plan{Teams: []engine.Team{{Key: "finance", Name: "Finance & Ops"}, {Key: "people", Name: "People"}}}, nil
	}, engine.ApplyOptions{Author: "ana"})
	if err != nil {
		t.Fatalf("apply beside a write: %v", err)
	}
	if cs.Count(engine.KindTeam, engine.Updated) != 1 || cs.Count(engine.KindTeam, engine.Created) != 1 {
		t.Errorf("changes %v, want finance updated and people created", cs)
	}
	p, _ := db.Plan(ctx)
	if len(p.Teams) != 3 {
		t.Errorf("%d teams, want sales, finance and people", len(p.Teams))
	}
	bad := errors.New("the plan does not parse")
	if _, err := db.ApplyFrom(ctx, func() (*engine.Plan, error) { return nil, bad }, engine.ApplyOptions{Author: "ana"}); !errors.Is(err, bad) {
		t.Errorf("a failing load: %v", err)
	}
	if again, _ := db.Plan(ctx); len(again.Teams) != 3 {
		t.Error("a failing load changed the model")
	}
}

// testAlignsToIsStored: the key results an objective aligns to are stored
// in order, replaced by an update, and follow a roll-forward.
func testAlignsToIsStored(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.open(t)
	p := &engine.Plan{
		BusinessObjectives: []engine.BusinessObjective{{Key: "grow", Title: "Grow", PnLLine: "revenue", Period: "2026"}},
		Objectives: []engine.Objective{
			{Key: "ceo", Title: "C", Period: "2026-Q4", Parent: "grow", KeyResults: []engine.KeyResult{
				{Key: "kr1", Title: "1"}, {Key: "kr2", Title: "2"}, {Key: "kr3", Title: "3"}}},
			{Key: "ops", Title: "O", Period: "2026-Q4", Parent: "kr1", AlignsTo: []string{"kr3", "kr2"},
				KeyResults: []engine.KeyResult{{Key: "ops-kr", Title: "x", Baseline: ptr(0), Target: ptr(10)}}},
		},
	}
	if _, err := db.Apply(ctx, p, false); err != nil {
		t.Fatal(err)
	}
	aligns := func() []string {
		t.Helper()
		got, err := db.Plan(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range got.Objectives {
			if o.Key == "ops" {
				return o.AlignsTo
			}
		}
		return nil
	}
	if got := aligns(); !slices.Equal(got, []string{"kr3", "kr2"}) {
		t.Fatalf("stored aligns_to %v, want [kr3 kr2] in plan order", got)
	}
	if cs, err := db.Apply(ctx, p, false); err != nil || cs.Changed() {
		t.Fatalf("applying the same plan again changed %v (%v)", cs, err)
	}
	p.Objectives[1].AlignsTo = []string{"kr2"}
	if _, err := db.Apply(ctx, p, false); err != nil {
		t.Fatal(err)
	}
	if got := aligns(); !slices.Equal(got, []string{"kr2"}) {
		t.Fatalf("after an update aligns_to is %v, want [kr2]", got)
	}
	res, err := db.CloseQuarter(ctx, "2026-Q4", "2027-Q1")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rolled) == 0 {
		t.Fatal("nothing rolled forward")
	}
	got, _ := db.Plan(ctx)
	i := slices.IndexFunc(got.Objectives, func(o engine.Objective) bool { return o.Key == "ops-2027-q1" })
	if i < 0 {
		t.Fatalf("no rolled objective ops-2027-q1: %v", res.Rolled)
	}
	if o := got.Objectives[i]; o.Parent != "kr1-2027-q1" || !slices.Equal(o.AlignsTo, []string{"kr2-2027-q1"}) {
		t.Errorf("the rolled objective hangs under %s aligned to %v, want kr1-2027-q1 and [kr2-2027-q1]", o.Parent, o.AlignsTo)
	}
}

// testRemove: deleting refuses while others depend on what goes, unless
// cascading; a removal archives what goes with its history, leaves a valid
// model, and frees the key.
func testRemove(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.open(t)
	if _, err := db.Apply(ctx, examples(t), false); err != nil {
		t.Fatal(err)
	}
	if err := db.CheckIn(ctx, engine.CheckIn{KeyResult: "sme-sqls", Value: 3400, Note: "first week"}); err != nil {
		t.Fatal(err)
	}
	before, _ := db.Plan(ctx)

	if _, err := db.Remove(ctx, []string{"nope"}, engine.RemoveOptions{}); engine.ErrorCode(err) != engine.ENOTFOUND {
		t.Errorf("removing a key nothing has: %v", err)
	}
	_, err := db.Remove(ctx, []string{"mkt-pipeline"}, engine.RemoveOptions{})
	if engine.ErrorCode(err) != engine.ECONFLICT || !strings.Contains(err.Error(), "kpi sqls (links to sme-sqls)") {
		t.Errorf("removing an objective others link to, without cascade: %v", err)
	}
	_, err = db.Remove(ctx, []string{"marketing-spend"}, engine.RemoveOptions{Cascade: true})
	var probs engine.Problems
	if !errors.As(err, &probs) || !strings.Contains(probs.Error(), "marketing_spend") {
		t.Errorf("removing a formula's input: %v", err)
	}
	rm, err := db.Remove(ctx, []string{"mkt-pipeline"}, engine.RemoveOptions{Cascade: true, DryRun: true})
	if err != nil || len(rm.Deleted) != 4 || !slices.Contains(rm.Cut, engine.Cut{Ref: engine.Ref{Kind: engine.KindInvestment, Key: "paid-search"},
		Field: "objective", To: "mkt-pipeline"}) {
		t.Fatalf("dry run: %+v, %v", rm, err)
	}
	if after, _ := db.Plan(ctx); countEntities(after) != countEntities(before) {
		t.Fatal("a dry run deleted something")
	}

	rm, err = db.Remove(ctx, []string{"mkt-pipeline"}, engine.RemoveOptions{Cascade: true, Author: "ana"})
	if err != nil {
		t.Fatal(err)
	}
	after, _ := db.Plan(ctx)
	if n := countEntities(before) - countEntities(after); n != len(rm.Deleted) {
		t.Errorf("%d entities went, the removal lists %d", n, len(rm.Deleted))
	}
	if probs := after.Validate(); len(probs) > 0 {
		t.Errorf("the model left is not valid: %v", probs)
	}
	for _, k := range after.KPIs {
		for _, l := range k.Links {
			if l.To == "sme-sqls" || l.To == "mkt-pipeline" {
				t.Errorf("KPI %s still links to %s", k.Key, l.To)
			}
		}
	}
	arch, err := db.Archived(ctx, "sme-sqls")
	if err != nil || len(arch) != 1 || arch[0].Kind != engine.KindKeyResult || arch[0].Author != "ana" ||
		!strings.Contains(arch[0].History, "first week") || !strings.Contains(arch[0].Entity, `"target":5000`) {
		t.Errorf("archived sme-sqls: %+v, %v", arch, err)
	}
	// The key is free again.
	again := &engine.Plan{Objectives: []engine.Objective{{Key: "mkt-pipeline", Title: "Again", Period: "2026-Q4", Parent: "grow-arr",
		KeyResults: []engine.KeyResult{{Key: "sme-sqls", Title: "Again"}}}}}
	if _, err := db.Apply(ctx, again, false); err != nil {
		t.Fatalf("re-creating a deleted key: %v", err)
	}
	if cs, _ := db.CheckIns(ctx, "sme-sqls"); len(cs) != 0 {
		t.Errorf("the new sme-sqls inherited %d check-ins of the deleted one", len(cs))
	}
}

// testPrune: apply --prune deletes the set's entities its files no longer
// name, leaves other sets' alone, and is refused while others depend on
// what it would delete.
func testPrune(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.open(t)
	bo := engine.BusinessObjective{Key: "grow", Title: "Grow", PnLLine: "revenue", Period: "2026"}
	o := func(key, parent string, krs ...string) engine.Objective {
		obj := engine.Objective{Key: key, Title: key, Period: "2026-Q4", Parent: parent}
		for _, kr := range krs {
			obj.KeyResults = append(obj.KeyResults, engine.KeyResult{Key: kr, Title: kr})
		}
		return obj
	}
	apply := func(set string, prune bool, p *engine.Plan) (engine.Changes, error) {
		return db.ApplyFrom(ctx, func() (*engine.Plan, error) { return p, nil }, engine.ApplyOptions{Set: set, Prune: prune, Author: "ana"})
	}
	full := &engine.Plan{BusinessObjectives: []engine.BusinessObjective{bo},
		Objectives: []engine.Objective{o("o1", "grow", "k1", "k1b"), o("o2", "grow", "k2")},
		KPIs:       []engine.KPI{{Key: "x", Name: "X", Links: []engine.Link{{To: "k1"}}}}}
	if _, err := apply("a", true, full); err != nil {
		t.Fatal(err)
	}
	if _, err := apply("b", false, &engine.Plan{Objectives: []engine.Objective{o("o3", "k2", "k3")}}); err != nil {
		t.Fatal(err)
	}
	if err := db.CheckIn(ctx, engine.CheckIn{KeyResult: "k1b", Value: 2}); err != nil {
		t.Fatal(err)
	}

	// o2 goes from set a's files, but set b's o3 hangs under its key result.
	without := &engine.Plan{BusinessObjectives: full.BusinessObjectives, Objectives: full.Objectives[:1], KPIs: full.KPIs}
	if _, err := apply("a", true, without); engine.ErrorCode(err) != engine.ECONFLICT || !strings.Contains(err.Error(), "objective o3 (goes with it)") {
		t.Fatalf("pruning what another set depends on: %v", err)
	}
	// Set a drops its KPI and a key result; set b's objective stays.
	o1 := o("o1", "grow", "k1")
	cs, err := apply("a", true, &engine.Plan{BusinessObjectives: full.BusinessObjectives, Objectives: []engine.Objective{o1, full.Objectives[1]}})
	if err != nil {
		t.Fatal(err)
	}
	if cs.Count(engine.KindKPI, engine.Deleted) != 1 || cs.Count(engine.KindKeyResult, engine.Deleted) != 1 || cs.Total(engine.Deleted) != 2 {
		t.Errorf("changes %v, want x and k1b deleted", cs)
	}
	p, _ := db.Plan(ctx)
	if countEntities(p) != 7 || p.Objectives[0].KeyResults[0].Key != "k1" || len(p.KPIs) != 0 {
		t.Errorf("after the prune: %+v", p)
	}
	if arch, _ := db.Archived(ctx, "k1b"); len(arch) != 1 || !strings.Contains(arch[0].History, `"value":2`) {
		t.Errorf("k1b archived as %+v", arch)
	}
	// Without a set a prune has nothing it may delete.
	if _, err := apply("", true, full); engine.ErrorCode(err) != engine.EINVALID {
		t.Errorf("prune without a set: %v", err)
	}
}

// testReminders: sent reminders are found again, by owner, item and
// window, and recording one twice keeps one.
func testReminders(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.open(t)
	w := engine.NewDate(2026, 11, 19)
	sent := []engine.Reminded{{Owner: "ana@example.com", Item: "kr", Window: w}, {Owner: "bo@example.com", Item: "kpi", Window: w}}
	if err := db.RecordReminders(ctx, sent); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordReminders(ctx, sent[:1]); err != nil {
		t.Fatalf("recording a reminder again: %v", err)
	}
	ask := append(slices.Clone(sent), engine.Reminded{Owner: "ana@example.com", Item: "kr", Window: engine.NewDate(2026, 11, 26)})
	got, err := db.Reminded(ctx, ask)
	if err != nil || len(got) != 2 || !got[sent[0]] || !got[sent[1]] || got[ask[2]] {
		t.Errorf("reminded %v, %v", got, err)
	}
}
