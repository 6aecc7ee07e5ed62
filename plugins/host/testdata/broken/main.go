// Command broken is a deliberately faulty rule plugin for the host's tests.
// OKRMAP_TEST_FAULT picks the fault: crash-at-start, hang-at-start,
// wrong-protocol, hang, crash, unknown-entity, wrong-scope, bad-severity,
// bad-rule-id, refuse-settings or panic.
// More modes are healthy: newer also speaks a future protocol, noisy logs,
// child starts a process of its own, long-id has a long rule id, history
// reports how much history it was sent (history-need too, after declaring
// it needs 400 days of measurements and 30 of check-ins), env the names of the environment
// variables it sees, flood returns one finding per KPI 400 times over, and
// named-kpi calls itself kpi, with a rule kpi-stale.
package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-plugin"

	"github.com/okrmap/okrmap/plugins/protocol"
	"github.com/okrmap/okrmap/plugins/sdk"
)

type broken struct{ fault string }

func (b broken) Describe() sdk.Description {
	id := "broken-rule"
	if b.fault == "bad-rule-id" {
		id = "kpi-stale" // okrmap's own rule
	}
	rules := []sdk.Rule{{ID: id, Name: "Broken", Severity: "warning", Scope: "kpi"}}
	if b.fault == "long-id" {
		rules = append(rules, sdk.Rule{ID: "broken-rule-with-an-id-longer-than-forty-characters", Name: "Long", Severity: "info", Scope: "objective"})
	}
	name := "broken"
	if b.fault == "named-kpi" { // takes the name space of okrmap's kpi-* rules
		name, rules[0].ID = "kpi", "kpi-stale"
	}
	d := sdk.Description{Name: name, Version: "0.0.1", Rules: rules}
	if b.fault == "history-need" {
		d.History = sdk.History{MeasurementDays: 400, CheckInDays: 30}
	}
	return d
}

func (b broken) Configure(map[string]string) error {
	if b.fault == "refuse-settings" {
		return fmt.Errorf("setting floor must be below ceiling")
	}
	return nil
}

func (b broken) Check(ctx context.Context, g *sdk.Graph) ([]sdk.Finding, error) {
	switch b.fault {
	case "hang":
		time.Sleep(time.Hour) // ignores ctx on purpose
	case "crash":
		os.Exit(3)
	case "panic":
		var m map[string]int
		m[g.KPIs[0].Key]++ // assignment to entry in nil map
	case "unknown-entity":
		return []sdk.Finding{{Rule: "broken-rule", Entity: "no-such-kpi", Message: "m"}}, nil
	case "noisy":
		sdk.Log.Warn("min_win_rate is not set; using 20", "setting", "min_win_rate")
		sdk.Log.Info("checked", "kpis", len(g.KPIs))
	case "history", "history-need": // healthy: reports how much history it was sent
		ms, cs := 0, 0
		var words []string // authors and notes, once each
		for _, k := range g.KPIs {
			ms += len(k.History)
			for _, m := range k.History {
				words = append(words, m.Author)
			}
		}
		for _, kr := range g.KeyResults {
			cs += len(kr.History)
			for _, c := range kr.History {
				words = append(words, c.Author, c.Note)
			}
		}
		slices.Sort(words)
		return []sdk.Finding{{Rule: "broken-rule", Entity: g.KPIs[0].Key, Message: fmt.Sprintf("history: %d measurements over %d days, %d check-ins over %d days; by %s",
			ms, g.HistoryDays, cs, g.CheckInHistoryDays, strings.Join(slices.Compact(words), ", "))}}, nil
	case "env":
		var names []string
		for _, kv := range os.Environ() {
			name, _, _ := strings.Cut(kv, "=")
			names = append(names, name)
		}
		slices.Sort(names)
		return []sdk.Finding{{Rule: "broken-rule", Entity: g.KPIs[0].Key, Message: "env: " + strings.Join(names, " ")}}, nil
	case "flood":
		var fs []sdk.Finding
		for i := range 400 {
			for _, k := range g.KPIs {
				fs = append(fs, sdk.Finding{Rule: "broken-rule", Entity: k.Key, Message: "m " + strconv.Itoa(i)})
			}
		}
		return fs, nil
	case "wrong-scope": // a team, under a rule about KPIs
		return []sdk.Finding{{Rule: "broken-rule", Entity: g.Teams[0].Key, Message: "m"}}, nil
	case "bad-severity":
		return []sdk.Finding{{Rule: "broken-rule", Severity: "fatal", Entity: g.KPIs[0].Key, Message: "m"}}, nil
	}
	return nil, nil
}

func main() {
	fault := os.Getenv("OKRMAP_TEST_FAULT")
	switch fault {
	case "crash-at-start":
		os.Exit(1)
	case "hang-at-start":
		time.Sleep(time.Hour) // never completes the handshake
	case "wrong-protocol":
		// A plugin built for a protocol version this host does not speak.
		plugin.Serve(&plugin.ServeConfig{
			HandshakeConfig:  plugin.HandshakeConfig{ProtocolVersion: 99, MagicCookieKey: protocol.Handshake.MagicCookieKey, MagicCookieValue: protocol.Handshake.MagicCookieValue},
			VersionedPlugins: map[int]plugin.PluginSet{99: protocol.Sets(sdk.Adapt(broken{fault}))[protocol.Version]},
			GRPCServer:       plugin.DefaultGRPCServer,
		})
		return
	case "child":
		// Starts a process of its own that would outlive the plugin.
		child := exec.Command("sleep", "300")
		if err := child.Start(); err != nil {
			os.Exit(1)
		}
		os.WriteFile(os.Getenv("OKRMAP_TEST_CHILD_PIDFILE"), []byte(strconv.Itoa(child.Process.Pid)), 0o644)
	case "newer":
		// Built against a later SDK that still serves this protocol.
		set := protocol.Sets(sdk.Adapt(broken{fault}))[protocol.Version]
		plugin.Serve(&plugin.ServeConfig{
			HandshakeConfig:  protocol.Handshake,
			VersionedPlugins: map[int]plugin.PluginSet{protocol.Version: set, protocol.Version + 1: set},
			GRPCServer:       plugin.DefaultGRPCServer,
		})
		return
	}
	sdk.Serve(broken{fault})
}
