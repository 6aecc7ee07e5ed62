package service

import (
	"cmp"
	"context"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/csvimport"
	"github.com/okrmap/okrmap/engine/plan"
)

// ApplyRequest asks to upsert plan documents, with the options of a plan
// set (Set, Prune).
type ApplyRequest struct {
	Files     []string        // plan files to read
	Documents []plan.Document // plan documents already read (uploads)
	engine.ApplyOptions
}

// Apply upserts the plan in one transaction and returns what changed. An
// invalid plan returns engine.Problems located in their documents and
// changes nothing.
func (s *Service) Apply(ctx context.Context, req ApplyRequest) (engine.Changes, error) {
	if len(req.Files) == 0 && len(req.Documents) == 0 {
		return nil, engine.Errorf(engine.EINVALID, "no plan documents to apply")
	}
	// The store reads the stored model while the plan loads.
	ph := s.phases("apply", "load")
	load := func() (*plan.Set, error) {
		if len(req.Files) > 0 {
			return plan.Load(req.Files...)
		}
		return plan.Read(req.Documents...)
	}
	var loaded *plan.Set // once the plan loaded
	cs, err := s.db.ApplyFrom(ctx, func() (*engine.Plan, error) {
		set, err := load()
		if err != nil {
			return nil, err
		}
		if err := s.checkSources(set); err != nil {
			return nil, err
		}
		loaded = set
		ph.next("validate and store")
		return set.Plan, nil
	}, req.ApplyOptions)
	var probs engine.Problems
	if loaded != nil && errors.As(err, &probs) { // the merged model's problems, placed in the files
		return nil, loaded.Locate(probs)
	}
	if err != nil {
		return nil, err
	}
	if m := s.opt.FiscalYearStart; m != 0 && !req.DryRun {
		if err := s.db.SetFiscalYearStart(ctx, m); err != nil {
			return nil, err
		}
	}
	ph.end("entities", len(cs), "dry_run", req.DryRun)
	return cs, nil
}

// Validate reads plan files and checks them as a whole, as apply would,
// without a database; it returns how many entities they declare.
func (s *Service) Validate(files ...string) (int, error) {
	ph := s.phases("validate", "load")
	set, err := s.loadValid(ph, files, nil)
	if err != nil {
		return 0, err
	}
	n := 0
	set.Plan.EachEntity(func(engine.Kind, string, engine.Source) { n++ })
	ph.end("entities", n)
	return n, nil
}

// loadValid reads plan files and validates them as a whole, and their
// measures against the configured connectors, in ph's load and validate
// phases. meanwhile, when set, is called with the files'
// entities before they are validated, to start work beside validation.
func (s *Service) loadValid(ph *phases, files []string, meanwhile func(*plan.Set)) (*plan.Set, error) {
	set, err := plan.Load(files...)
	var probs engine.Problems
	if errors.As(err, &probs) {
		// The schema's problems with those of references, in one pass.
		_, err = plan.LoadChecked(files...)
	}
	if err != nil {
		return nil, err
	}
	if meanwhile != nil {
		meanwhile(set)
	}
	ph.next("validate")
	if err := set.Validate(); err != nil {
		return nil, err
	}
	if err := s.checkSources(set); err != nil {
		return nil, err
	}
	return set, nil
}

// Export returns the stored model as a plan; with a period in scope, that
// period's objectives with the objectives above them.
func (s *Service) Export(ctx context.Context, period string) (*engine.Plan, error) {
	var per engine.Period
	if period != "" {
		var err error
		if per, err = engine.ParsePeriod(period); err != nil {
			return nil, engine.Errorf(engine.EINVALID, "period: %v", err)
		}
	}
	ph := s.phases("export", "read")
	p, err := s.db.Plan(ctx)
	if err != nil {
		return nil, err
	}
	if period != "" {
		p = p.ForPeriod(per)
	}
	ph.end("period", period)
	return p, nil
}

// Record stores check-ins and measurements in one transaction, all or
// nothing; see engine.Store.Record for duplicates and idempotency keys. A
// time further ahead than Options.FutureTolerance is refused.
func (s *Service) Record(ctx context.Context, b engine.Batch) (engine.Recorded, error) {
	latest := s.opt.Now().Add(s.opt.FutureTolerance)
	for _, c := range b.CheckIns {
		if c.At.After(latest) {
			return engine.Recorded{}, s.futureError(c.KeyResult, c.At)
		}
		if c.Comment && (strings.TrimSpace(c.Note) == "" || c.Value != 0) {
			return engine.Recorded{}, engine.Errorf(engine.EINVALID, "%s: a comment check-in is a note without a value; write the note, or give a value", c.KeyResult)
		}
	}
	for _, m := range b.Measurements {
		if m.At.After(latest) {
			return engine.Recorded{}, s.futureError(m.KPI, m.At)
		}
	}
	return s.db.Record(ctx, b)
}

func (s *Service) futureError(key string, at time.Time) error {
	return engine.Errorf(engine.EINVALID, "%s: %s is in the future (more than %s ahead); record values when they are observed",
		key, at.UTC().Format(time.RFC3339), s.opt.FutureTolerance)
}

// ImportMeasurements reads a CSV of measurements (see csvimport) and
// stores every row in one transaction, or none when any row is wrong. Rows
// already stored (same KPI, time and value) are counted, not stored again,
// so importing a file twice changes nothing.
func (s *Service) ImportMeasurements(ctx context.Context, name string, r io.Reader, author string) (engine.Recorded, error) {
	ph := s.phases("import", "read")
	known, err := s.db.KPIKeys(ctx)
	if err != nil {
		return engine.Recorded{}, err
	}
	ms, err := csvimport.Read(name, r, csvimport.Options{Known: func(k string) bool { return known[k] },
		NotAfter: s.opt.Now().Add(s.opt.FutureTolerance)})
	if err != nil {
		return engine.Recorded{}, err
	}
	return s.recordImport(ctx, ph, engine.Batch{Measurements: ms}, author)
}

// ImportCheckIns reads a CSV of key result check-ins (see
// csvimport.CheckIns) and records them all in one transaction, or none.
// Rows without an author get author.
func (s *Service) ImportCheckIns(ctx context.Context, name string, r io.Reader, author string) (engine.Recorded, error) {
	ph := s.phases("import", "read")
	idx, err := s.currentIndex(ctx)
	if err != nil {
		return engine.Recorded{}, err
	}
	cs, err := csvimport.CheckIns(name, r, csvimport.Options{Known: func(k string) bool { return idx.kinds[k] == engine.KindKeyResult },
		NotAfter: s.opt.Now().Add(s.opt.FutureTolerance)})
	if err != nil {
		return engine.Recorded{}, err
	}
	return s.recordImport(ctx, ph, engine.Batch{CheckIns: cs}, author)
}

// recordImport stores an imported batch in ph's store phase, its rows
// without an author getting author.
func (s *Service) recordImport(ctx context.Context, ph *phases, b engine.Batch, author string) (engine.Recorded, error) {
	for i := range b.Measurements {
		b.Measurements[i].Author = cmp.Or(b.Measurements[i].Author, author)
	}
	for i := range b.CheckIns {
		b.CheckIns[i].Author = cmp.Or(b.CheckIns[i].Author, author)
	}
	ph.next("store")
	rec, err := s.Record(ctx, b)
	if err != nil {
		return rec, err
	}
	ph.end("rows", len(b.Measurements)+len(b.CheckIns))
	return rec, nil
}

// CloseQuarter scores and closes a period, rolling unfinished work into
// req.Next when it is set. A period that has not ended is refused unless
// req.Force; req.DryRun writes nothing. Today is the service's.
func (s *Service) CloseQuarter(ctx context.Context, req engine.CloseRequest) (*engine.CloseResult, error) {
	req.Today = s.Today(engine.Date{})
	return s.db.ClosePeriod(ctx, req)
}

// ReopenQuarter undoes the latest close of period (see engine.Store.Reopen).
func (s *Service) ReopenQuarter(ctx context.Context, period string) (*engine.ReopenResult, error) {
	return s.db.Reopen(ctx, period)
}

// RecomputeDerived computes derived KPIs from their formulas.
func (s *Service) RecomputeDerived(ctx context.Context) ([]string, error) {
	return s.db.Recompute(ctx)
}

// CheckIns returns a key result's check-ins, oldest first; ENOTFOUND when
// key is no key result.
func (s *Service) CheckIns(ctx context.Context, key string) ([]engine.CheckIn, error) {
	if err := s.mustBe(ctx, key, engine.KindKeyResult, "key result"); err != nil {
		return nil, err
	}
	return s.db.CheckIns(ctx, key)
}

// Measurements returns a KPI's measurements, oldest first; ENOTFOUND when
// key is no KPI.
func (s *Service) Measurements(ctx context.Context, key string) ([]engine.Measurement, error) {
	if err := s.mustBe(ctx, key, engine.KindKPI, "KPI"); err != nil {
		return nil, err
	}
	return s.db.Measurements(ctx, key)
}

// mustBe fails with ENOTFOUND unless key is an entity of kind.
func (s *Service) mustBe(ctx context.Context, key string, kind engine.Kind, name string) error {
	idx, err := s.currentIndex(ctx)
	if err != nil {
		return err
	}
	if idx.kinds[key] != kind {
		return engine.NotFound(string(kind), "no %s %q", name, key)
	}
	return nil
}

// Remove deletes the entity of kind named key (see engine.Store.Remove).
func (s *Service) Remove(ctx context.Context, kind engine.Kind, key string, opts engine.RemoveOptions) (engine.Removal, error) {
	idx, err := s.currentIndex(ctx)
	if err != nil {
		return engine.Removal{}, err
	}
	switch got, ok := idx.kinds[key]; {
	case !ok:
		return engine.Removal{}, engine.NotFound(string(kind), "no %s has the key %q", kind, key)
	case got != kind:
		return engine.Removal{}, engine.Errorf(engine.EINVALID, "%q is a %s, not a %s", key, got, kind)
	}
	return s.db.Remove(ctx, []string{key}, opts)
}
