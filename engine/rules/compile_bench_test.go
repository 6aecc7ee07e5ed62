package rules

import (
	"context"
	"runtime"
	"testing"

	"github.com/expr-lang/expr/vm"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/gen"
	"github.com/okrmap/okrmap/engine/resolve"
)

// BenchmarkCompileBuiltin loads and compiles the built-in pack.
func BenchmarkCompileBuiltin(b *testing.B) {
	for range b.N {
		p, _ := LoadBuiltin()
		if _, err := Compile(p); err != nil {
			b.Fatal(err)
		}
	}
}

// evaluations counts rule evaluations (rule x entity pairs) for s over g.
func evaluations(s *Set, g *resolve.Graph) int {
	n := 0
	for name, rules := range s.byScope {
		n += len(rules) * scopes[name].count(g)
	}
	return n
}

// BenchmarkEvaluate runs the built-in pack over a generated 100,000-KPI
// graph: the engine (all cores, then one), and a bare loop that runs the
// same compiled programs (filter, assertion, and the message's for a
// failing entity) over the same structs on one core, with no findings
// kept: the floor to compare against.
func BenchmarkEvaluate(b *testing.B) {
	p, err := gen.Plan(gen.Options{KPIs: 100000, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	// A live plan: every KPI measured and every key result checked in on
	// this week, so findings are the exception, as in a real audit.
	at := DefaultCaseDay.Time().AddDate(0, 0, -1)
	latest := map[string]engine.Measurement{}
	for _, k := range p.KPIs {
		latest[k.Key] = engine.Measurement{KPI: k.Key, At: at, Value: 1}
	}
	var checkins []engine.CheckIn
	for _, o := range p.Objectives {
		for _, kr := range o.KeyResults {
			checkins = append(checkins, engine.CheckIn{KeyResult: kr.Key, At: at, Value: *kr.Baseline})
		}
	}
	g := resolve.Resolve(resolve.Input{Plan: p, Latest: latest, CheckIns: checkins, Today: DefaultCaseDay})
	s := builtinSet(b)
	n := evaluations(s, g)
	report := func(b *testing.B) {
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "evals/s")
	}
	fs, _ := s.Evaluate(context.Background(), g)
	b.Logf("%d rule evaluations, %d findings", n, len(fs))
	b.Run("engine", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, err := s.Evaluate(context.Background(), g); err != nil {
				b.Fatal(err)
			}
		}
		report(b)
	})
	b.Run("engine-1core", func(b *testing.B) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
		b.ReportAllocs()
		for range b.N {
			if _, err := s.Evaluate(context.Background(), g); err != nil {
				b.Fatal(err)
			}
		}
		report(b)
	})
	b.Run("bare-loop-1core", func(b *testing.B) {
		b.ReportAllocs()
		machine := &vm.VM{MemoryBudget: MemoryBudget}
		for range b.N {
			for _, name := range Scopes {
				sc := scopes[name]
				for i := range sc.count(g) {
					env, _ := sc.bind(g, i, &budget{limits: Limits{}.withDefaults()})
					for _, r := range s.byScope[name] {
						if r.when != nil {
							if ok, _ := machine.Run(r.when, env); !ok.(bool) {
								continue
							}
						}
						if ok, _ := machine.Run(r.assert, env); ok.(bool) {
							continue
						}
						for _, p := range r.message {
							if p.prog != nil {
								machine.Run(p.prog, env)
							}
						}
					}
				}
			}
		}
		report(b)
	})
}
