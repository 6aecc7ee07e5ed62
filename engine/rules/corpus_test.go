package rules

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/plan"
	"github.com/okrmap/okrmap/engine/resolve"
)

// corpusCase is one plan of the corpus with a reviewer's verdict on every
// finding the built-in pack reports on it (testdata/corpus/*/corpus.yaml).
type corpusCase struct {
	About string   `yaml:"about"`
	Plans []string `yaml:"plans"` // globs, relative to the case's folder
	Today string   `yaml:"today"`
	// Findings are every finding of the plan: act (its owners would act
	// on it) or noise, and planted for the mistakes put there on purpose.
	Findings []struct {
		Rule    string `yaml:"rule"`
		Entity  string `yaml:"entity"`
		Verdict string `yaml:"verdict"`
		Planted bool   `yaml:"planted"`
		Why     string `yaml:"why"`
	} `yaml:"findings"`
}

// minPrecision is the share of a rule's findings on the corpus its owners
// must act on.
const minPrecision = 0.9

// TestCorpus holds the built-in rules to plans of real shapes: every
// finding on each is labelled act or noise; a rule whose findings are
// less than 90% act, a planted mistake not found, a finding nobody
// labelled or a labelled one that no longer fires fails. -v prints the
// precision of each rule. Rules that judge history are left out, as lint
// leaves them out: the corpus holds plans, not quarters.
func TestCorpus(t *testing.T) {
	dirs, _ := filepath.Glob("testdata/corpus/*")
	if len(dirs) < 4 {
		t.Fatalf("the corpus holds %d plans; it needs four shapes at least", len(dirs))
	}
	rs, _ := builtinSet(t).WithoutTag("history")
	type tally struct{ act, noise int }
	per := map[string]*tally{}
	planted, found := 0, 0
	for _, dir := range dirs {
		name := filepath.Base(dir)
		var c corpusCase
		data, err := os.ReadFile(filepath.Join(dir, "corpus.yaml"))
		if err == nil {
			err = yaml.Unmarshal(data, &c)
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var files []string
		for _, g := range c.Plans {
			m, _ := filepath.Glob(filepath.Join(dir, g))
			files = append(files, m...)
		}
		set, err := plan.Load(files...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		today, err := engine.ParseDate(c.Today)
		if err != nil {
			t.Fatalf("%s: today: %v", name, err)
		}
		fs, err := rs.Evaluate(context.Background(), resolve.Resolve(resolve.Input{Plan: set.Plan, Today: today}))
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, f := range fs {
			got[f.Rule+" "+f.Entity] = true
		}
		labelled := map[string]bool{}
		for _, l := range c.Findings {
			id := l.Rule + " " + l.Entity
			labelled[id] = true
			if l.Verdict != "act" && l.Verdict != "noise" {
				t.Errorf("%s: %s: verdict %q is neither act nor noise", name, id, l.Verdict)
			}
			if l.Planted {
				planted++
			}
			if !got[id] {
				if l.Planted {
					t.Errorf("%s: planted mistake %s was not found", name, id)
				} else {
					t.Errorf("%s: %s no longer fires; update corpus.yaml", name, id)
				}
				continue
			}
			if l.Planted {
				found++
			}
			if per[l.Rule] == nil {
				per[l.Rule] = &tally{}
			}
			if l.Verdict == "act" {
				per[l.Rule].act++
			} else {
				per[l.Rule].noise++
			}
		}
		for _, f := range fs {
			if id := f.Rule + " " + f.Entity; !labelled[id] {
				t.Errorf("%s: finding %s is not labelled: %s", name, id, f.Message)
			}
		}
	}
	rules := make([]string, 0, len(per))
	for r := range per {
		rules = append(rules, r)
	}
	sort.Strings(rules)
	var b strings.Builder
	fmt.Fprintf(&b, "%-46s %5s %5s %9s\n", "rule", "act", "noise", "precision")
	act, noise := 0, 0
	for _, r := range rules {
		p := per[r]
		act, noise = act+p.act, noise+p.noise
		prec := float64(p.act) / float64(p.act+p.noise)
		fmt.Fprintf(&b, "%-46s %5d %5d %8.0f%%\n", r, p.act, p.noise, prec*100)
		if prec < minPrecision {
			t.Errorf("rule %s: precision %.0f%% on the corpus, below %.0f%%", r, prec*100, minPrecision*100)
		}
	}
	fmt.Fprintf(&b, "%-46s %5d %5d %8.0f%%\n", "all rules", act, noise, float64(act)/float64(max(1, act+noise))*100)
	fmt.Fprintf(&b, "planted mistakes found: %d of %d\n", found, planted)
	t.Logf("corpus of %d plans:\n%s", len(dirs), b.String())
	if planted == 0 {
		t.Error("the corpus plants no mistakes")
	}
}
