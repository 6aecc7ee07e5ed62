package cli

import (
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/postgres"
	"github.com/okrmap/okrmap/engine/service"
)

// completeKeys completes keys of kind from the configured database; a
// database that does not exist yet is not created for a tab.
func (a *app) completeKeys(kind engine.Kind) cobra.CompletionFunc {
	return func(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return a.fromPlan(cmd, toComplete, func(p *engine.Plan, add func(string)) {
			p.EachEntity(func(k engine.Kind, key string, _ engine.Source) {
				if k == kind {
					add(key)
				}
			})
		})
	}
}

// completePeriods completes the periods of the stored objectives.
func (a *app) completePeriods(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return a.fromPlan(cmd, toComplete, func(p *engine.Plan, add func(string)) {
		for _, o := range p.Objectives {
			add(o.Period)
		}
	})
}

func (a *app) fromPlan(cmd *cobra.Command, prefix string, each func(p *engine.Plan, add func(string))) ([]cobra.Completion, cobra.ShellCompDirective) {
	if a.configure(cmd) != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	if _, err := os.Stat(a.cfg.DB); err != nil && !postgres.IsURL(a.cfg.DB) {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	s, err := service.Open(cmd.Context(), a.cfg.DB, a.options())
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	defer s.Close()
	p, err := s.Export(cmd.Context(), "")
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []cobra.Completion
	each(p, func(v string) {
		if strings.HasPrefix(v, prefix) && !slices.Contains(out, v) {
			out = append(out, v)
		}
	})
	return out, cobra.ShellCompDirectiveNoFileComp
}
