package cli

import (
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress shows which phase of a long command is running, with the time
// so far, as a spinner on a terminal's standard error. It clears itself
// for good when the command writes anything, so output and messages never
// mix with it.
type progress struct {
	mu   sync.Mutex
	w    io.Writer
	bar  *progressbar.ProgressBar
	done bool
}

// newProgress returns a progress on stderr when it is a terminal, or nil.
func newProgress(stderr io.Writer) *progress {
	f, ok := stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return &progress{w: f}
}

// phase shows that phase of op is running; phase "" clears the spinner.
func (p *progress) phase(op, phase string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.done:
	case phase == "":
		p.clearLocked()
	case p.bar == nil:
		p.bar = progressbar.NewOptions(-1, progressbar.OptionSetWriter(p.w), progressbar.OptionSetDescription(op+": "+phase),
			progressbar.OptionSpinnerType(14), progressbar.OptionSetElapsedTime(true), progressbar.OptionClearOnFinish(),
			progressbar.OptionSetSpinnerChangeInterval(120*time.Millisecond), progressbar.OptionSetRenderBlankState(true))
	default:
		p.bar.Describe(op + ": " + phase)
	}
}

// stop clears the spinner and shows no more.
func (p *progress) stop() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done = true
	p.clearLocked()
}

func (p *progress) clearLocked() {
	if p.bar != nil {
		p.bar.Finish() // clears the line and stops the spinner
		p.bar = nil
	}
}
