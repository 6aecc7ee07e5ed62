package service

import (
	"log/slog"
	"time"
)

// phases tells Options.Progress which phase of a long operation is running,
// and logs at debug level how long each took, so that slow runs show where
// their time went.
type phases struct {
	log         *slog.Logger
	progress    func(op, phase string)
	op, current string
	start, last time.Time
}

// phases starts op with its first phase.
func (s *Service) phases(op, first string) *phases {
	now := time.Now()
	p := &phases{log: s.opt.Log, progress: s.opt.Progress, op: op, current: first, start: now, last: now}
	if p.progress != nil {
		p.progress(op, first)
	}
	return p
}

// next ends the running phase and starts phase.
func (p *phases) next(phase string) {
	now := time.Now()
	p.log.Debug(p.op+" phase", "phase", p.current, "took", now.Sub(p.last).Round(time.Microsecond))
	p.current, p.last = phase, now
	if p.progress != nil {
		p.progress(p.op, phase)
	}
}

// end ends the running phase and logs the whole operation's time with
// attrs.
func (p *phases) end(attrs ...any) {
	p.next("")
	p.log.Debug(p.op+" done", append([]any{"took", time.Since(p.start).Round(time.Microsecond)}, attrs...)...)
}
