package service

import (
	"context"
	"path"
	"strings"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/audit"
	"github.com/okrmap/okrmap/engine/waiver"
)

// Waive stores a waiver in one transaction; a waiver for the same rule and
// entity is replaced. It returns the stored waiver with its ID and how many
// entities its pattern matches now (0 is allowed: the entity may come).
// An unknown rule or an expiry date in the past is refused.
func (s *Service) Waive(ctx context.Context, w engine.Waiver, author string) (engine.Waiver, int, error) {
	if err := waiver.Check(w); err != nil {
		return w, 0, engine.Errorf(engine.EINVALID, "%v", err)
	}
	if today := s.Today(engine.Date{}); w.Until.Before(today) {
		return w, 0, engine.Errorf(engine.EINVALID, "until %s is in the past; a waiver must hold until today (%s) or later", w.Until, today)
	}
	if err := s.knownRule(w.Rule); err != nil {
		return w, 0, err
	}
	if w.Owner == "" {
		w.Owner = author
	}
	matches, err := s.matching(ctx, w.Entity)
	if err != nil {
		return w, 0, err
	}
	ws := []engine.Waiver{w}
	if err := s.db.AddWaivers(ctx, author, ws...); err != nil {
		return w, 0, err
	}
	return ws[0], matches, nil
}

// knownRule fails with ENOTFOUND unless rule is a rule of the configured
// packs, the plugin-failure rule, or a rule of a pinned plugin (named
// <plugin>-...).
func (s *Service) knownRule(rule string) error {
	if rule == audit.FailureRule {
		return nil
	}
	set, err := s.RuleSet(nil)
	if err != nil {
		return err
	}
	if set.Rule(rule) != nil {
		return nil
	}
	if l, err := s.readLock(); err == nil {
		for _, p := range l.Plugins {
			if strings.HasPrefix(rule, p.Name+"-") {
				return nil
			}
		}
	}
	return engine.NotFound("rule", "no rule %q in the rule packs or pinned plugins", rule)
}

// matching counts the entities (and links, as kpi->to) whose key matches
// the glob pattern.
func (s *Service) matching(ctx context.Context, pattern string) (int, error) {
	p, err := s.db.Plan(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	match := func(key string) {
		if ok, _ := path.Match(pattern, key); ok {
			n++
		}
	}
	p.EachEntity(func(_ engine.Kind, key string, _ engine.Source) { match(key) })
	for _, k := range p.KPIs {
		for _, l := range k.Links {
			match(k.Key + "->" + l.To)
		}
	}
	return n, nil
}

// Waivers lists the stored waivers, each marked expired when past its
// date as of today.
func (s *Service) Waivers(ctx context.Context) ([]engine.Waiver, error) {
	ws, err := s.db.Waivers(ctx)
	if err != nil {
		return nil, err
	}
	today := s.Today(engine.Date{})
	for i := range ws {
		ws[i].Expired = ws[i].Until.Before(today)
	}
	return ws, nil
}

// Unwaive removes the waiver with id and returns it.
func (s *Service) Unwaive(ctx context.Context, id int64) (engine.Waiver, error) {
	return s.db.RemoveWaiver(ctx, id)
}
