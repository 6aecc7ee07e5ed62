package service

import (
	"context"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/waiver"
)

// Waive stores a waiver in one transaction; a waiver for the same rule and
// entity is replaced. It returns the stored waiver with its ID.
func (s *Service) Waive(ctx context.Context, w engine.Waiver, author string) (engine.Waiver, error) {
	if err := waiver.Check(w); err != nil {
		return w, engine.Errorf(engine.EINVALID, "%v", err)
	}
	if w.Owner == "" {
		w.Owner = author
	}
	ws := []engine.Waiver{w}
	if err := s.db.AddWaivers(ctx, author, ws...); err != nil {
		return w, err
	}
	return ws[0], nil
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
