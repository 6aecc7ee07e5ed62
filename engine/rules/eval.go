package rules

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/expr-lang/expr/vm"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/resolve"
)

// MemoryBudget bounds what one expression may allocate in the VM.
const MemoryBudget = 1 << 20

// chunk is how many entities a worker takes at a time.
const chunk = 256

// Evaluate runs every rule over g on all cores and returns the findings in
// a fixed order: by scope, then entity (plan order), then rule (pack
// order). A rule that fails at run time on an entity yields an error
// finding for that rule and entity; evaluation goes on. A rule stopped by
// a limit (s.Limits) does too, and Evaluate then also returns a
// *BudgetError naming the rules stopped, with the findings. Cancelling ctx
// stops the evaluation within moments, even inside a rule, and returns its
// error with no findings.
func (s *Set) Evaluate(ctx context.Context, g *resolve.Graph) ([]engine.Finding, error) {
	limits := s.Limits.withDefaults()
	deadline := time.Now().Add(limits.Timeout)
	var out []engine.Finding
	stopped := map[string]bool{}
	var mu sync.Mutex
	for _, name := range Scopes {
		rules := s.byScope[name]
		if len(rules) == 0 {
			continue
		}
		sc := scopes[name]
		n := sc.count(g)
		results := make([][]engine.Finding, n)
		jobs := make(chan int)
		var wg sync.WaitGroup
		workers := min(runtime.GOMAXPROCS(0), (n+chunk-1)/chunk)
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				machine := &vm.VM{MemoryBudget: MemoryBudget}
				b := &budget{limits: limits, deadline: deadline, stop: ctx.Done()}
				for start := range jobs {
					for i := start; i < min(start+chunk, n) && ctx.Err() == nil; i++ {
						var over []string
						results[i], over = evalEntity(machine, b, rules, sc, g, i)
						if len(over) > 0 {
							mu.Lock()
							for _, id := range over {
								stopped[id] = true
							}
							mu.Unlock()
						}
					}
				}
			}()
		}
	feed:
		for start := 0; start < n; start += chunk {
			select {
			case jobs <- start:
			case <-ctx.Done():
				break feed
			}
		}
		close(jobs)
		wg.Wait()
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("evaluate rules: %w", err)
		}
		total := len(out)
		for _, fs := range results {
			total += len(fs)
		}
		out = slices.Grow(out, total-len(out))
		for _, fs := range results {
			out = append(out, fs...)
		}
	}
	if len(stopped) > 0 {
		ids := make([]string, 0, len(stopped))
		for id := range stopped {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		return out, &BudgetError{Rules: ids}
	}
	return out, nil
}

// evalEntity runs rules on entity i, and returns its findings and the
// rules a limit stopped.
func evalEntity(machine *vm.VM, b *budget, rules []*Rule, sc scope, g *resolve.Graph, i int) ([]engine.Finding, []string) {
	env, e := sc.bind(g, i, b)
	var out []engine.Finding
	var over []string
	var key string
	var trace []string
	for _, r := range rules {
		b.reset()
		f, fired := r.eval(machine, env, b.limits.Text)
		if b.err != nil && b.err != errCancelled {
			over = append(over, r.ID)
		}
		if !fired {
			continue
		}
		if out == nil {
			key, trace = e.judged()
		}
		f.Entity, f.Trace, f.Team, f.Fingerprint = key, trace, e.team, engine.Fingerprint(r.ID, r.Scope, key)
		out = append(out, f)
	}
	return out, over
}

// eval runs one rule on one environment. It reports a finding when the
// filter passes and the assertion fails, or when either cannot run. The
// message is cut at maxText bytes.
func (r *Rule) eval(machine *vm.VM, env any, maxText int) (engine.Finding, bool) {
	f := engine.Finding{Rule: r.ID, Severity: r.Severity, Scope: r.Scope, Fix: r.Fix}
	failed := func(stage string, err error) (engine.Finding, bool) {
		f.Severity = "error"
		f.Message = fmt.Sprintf("rule %s could not be evaluated (%s): %v", r.ID, stage, firstLine(err.Error()))
		return f, true
	}
	if r.when != nil {
		ok, err := machine.Run(r.when, env)
		if err != nil {
			return failed("when", err)
		}
		if !ok.(bool) {
			return f, false
		}
	}
	ok, err := machine.Run(r.assert, env)
	if err != nil {
		return failed("assert", err)
	}
	if ok.(bool) {
		return f, false
	}
	var b strings.Builder
	for _, p := range r.message {
		if b.Len() > maxText {
			break
		}
		if p.prog == nil {
			b.WriteString(p.text)
			continue
		}
		v, err := machine.Run(p.prog, env)
		if err != nil {
			b.WriteString("<" + firstLine(err.Error()) + ">")
			continue
		}
		b.WriteString(format(v))
	}
	f.Message = b.String()
	if len(f.Message) > maxText {
		f.Message = f.Message[:maxText] + " ... (cut: rules.max_text)"
	}
	return f, true
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// format renders a value in a finding message.
func format(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatFloat(x, 'f', 0, 64)
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case time.Time:
		return x.Format("2006-01-02")
	case []string:
		return strings.Join(x, ", ")
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = format(e)
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprint(v)
}
