// Package host runs okrmap's rule plugins: it starts each plugin binary
// through go-plugin with its pinned checksum, sends it the resolved graph in
// batches, and turns what comes back into findings. Whatever goes wrong
// with a plugin is returned as an error for that plugin; the caller reports
// it as a plugin-failure finding and carries on.
package host

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/okrmap/okrmap/engine"
	pb "github.com/okrmap/okrmap/plugins/proto/okrmap/plugin/v1"
	"github.com/okrmap/okrmap/plugins/protocol"
)

// Spec is a plugin to run.
type Spec struct {
	Name     string            // from the lock file
	Path     string            // the binary
	SHA256   string            // hex; the binary must match it
	Settings map[string]string // passed to Configure
	Timeout  time.Duration     // for the whole run; default 30s
	// MaxFindings bounds the findings of one check; protocol.MaxFindings
	// when zero. A check that returns more fails.
	MaxFindings int
	// Env names the environment variables passed to the plugin beside
	// BaseEnv; it sees no others (not the database's DSN, not a
	// connector's token).
	Env []string
	Log *slog.Logger // receives the plugin's log and stderr, named plugin.<name>; nil discards
}

// Result is what one plugin produced.
type Result struct {
	Description *pb.Description
	Findings    []engine.Finding
}

// Run starts the plugin, checks the graph and stops the plugin. The process
// is killed before Run returns, whatever happened.
func Run(ctx context.Context, s Spec, batches []*pb.GraphBatch, keys Keys) (*Result, error) {
	return RunWith(ctx, s, fixedGraph(batches, keys))
}

// GraphFor builds the graph a plugin is sent once it has described itself:
// what it declares (the history it needs) may change what it gets.
type GraphFor func(d *pb.Description) ([]*pb.GraphBatch, Keys, error)

func fixedGraph(batches []*pb.GraphBatch, keys Keys) GraphFor {
	return func(*pb.Description) ([]*pb.GraphBatch, Keys, error) { return batches, keys, nil }
}

// RunWith is Run with the graph built for the plugin's description.
func RunWith(ctx context.Context, s Spec, graph GraphFor) (*Result, error) {
	return session(ctx, s, func(ctx context.Context, c protocol.Impl) (*Result, error) {
		return ConverseWith(ctx, c, s.Settings, graph)
	})
}

// Converse is what okrmap asks a connected plugin in an audit: who it is,
// then to take its settings and check the graph; its findings are checked
// against its description and the graph (see Validate).
func Converse(ctx context.Context, c protocol.Impl, settings map[string]string, batches []*pb.GraphBatch, keys Keys) (*Result, error) {
	return ConverseWith(ctx, c, settings, fixedGraph(batches, keys))
}

// ConverseWith is Converse with the graph built for the plugin's
// description.
func ConverseWith(ctx context.Context, c protocol.Impl, settings map[string]string, graph GraphFor) (*Result, error) {
	desc, err := c.Describe(ctx)
	if err != nil {
		return nil, fmt.Errorf("describe: %w", err)
	}
	if err := c.Configure(ctx, settings); err != nil {
		return nil, &ConfigureError{err}
	}
	batches, keys, err := graph(desc)
	if err != nil {
		return nil, err
	}
	found, err := c.Check(ctx, batches)
	if err != nil {
		return nil, fmt.Errorf("check: %w", err)
	}
	fs, err := Validate(desc, found, keys)
	if err != nil {
		return nil, err
	}
	return &Result{Description: desc, Findings: fs}, nil
}

// Describe starts the plugin and asks only who it is.
func Describe(ctx context.Context, s Spec) (*pb.Description, error) {
	res, err := session(ctx, s, func(ctx context.Context, c protocol.Impl) (*Result, error) {
		desc, err := c.Describe(ctx)
		if err == nil {
			err = ValidateDescription(desc)
		}
		return &Result{Description: desc}, err
	})
	if err != nil {
		return nil, err
	}
	return res.Description, nil
}

// session starts the plugin binary from a private copy of the bytes it
// verified against the pinned checksum, runs fn against it within the
// timeout, and kills the process and its group.
func session(ctx context.Context, s Spec, fn func(context.Context, protocol.Impl) (*Result, error)) (*Result, error) {
	if !validSHA256(s.SHA256) {
		return nil, fmt.Errorf("plugin %s: the lock file holds no valid SHA-256; re-pin it with okrmap plugins lock %s", s.Name, s.Name)
	}
	sum, _ := hex.DecodeString(s.SHA256)
	if s.Timeout <= 0 {
		s.Timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	exe, cleanup, err := verifiedCopy(s)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	name := "plugin." + s.Name
	stdout, stderr := &lineLogger{log: s.Log, name: name}, &lineLogger{log: s.Log, name: name}
	defer stdout.flush()
	defer stderr.flush()
	crash := &crashSink{}
	cmd := command(exe)
	cmd.Env = Environ(s.Env)
	defer killGroup(cmd) // after the client is killed: whatever the plugin started
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  protocol.Handshake,
		VersionedPlugins: protocol.Sets(nil),
		Cmd:              cmd,
		SkipHostEnv:      true,
		SecureConfig:     &plugin.SecureConfig{Checksum: sum, Hash: sha256.New()},
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		StartTimeout:     s.Timeout,
		Logger:           pluginLogger(name, s.Log, crash),
		SyncStdout:       stdout,
		SyncStderr:       stderr,
	})
	defer client.Kill()

	type outcome struct {
		res *Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := func() (*Result, error) {
			rpc, err := client.Client()
			if err != nil {
				return nil, startError(s, err)
			}
			raw, err := rpc.Dispense(protocol.PluginName)
			if err != nil {
				return nil, err
			}
			if c, ok := raw.(*protocol.Client); ok {
				c.MaxFindings = s.MaxFindings
			}
			return fn(ctx, raw.(protocol.Impl))
		}()
		done <- outcome{res, err}
	}()
	timedOut := func() error {
		client.Kill()
		return fmt.Errorf("plugin %s: no answer within %s; it was stopped", s.Name, s.Timeout)
	}
	select {
	case o := <-done:
		// The call failed because the deadline passed, noticed here or, with
		// the deadline propagated, by the plugin's side first.
		if o.err != nil && (ctx.Err() != nil || status.Code(o.err) == codes.DeadlineExceeded) {
			return nil, timedOut()
		}
		if o.err != nil && status.Code(o.err) == codes.Unavailable {
			// The connection broke: say how the process ended, if it did.
			for wait := time.Now().Add(2 * time.Second); !client.Exited() && time.Now().Before(wait) && ctx.Err() == nil; {
				time.Sleep(20 * time.Millisecond)
			}
			if why := crash.explain(); why != "" {
				return nil, fmt.Errorf("plugin %s stopped (%s); okrmap's log has the rest of its output", s.Name, why)
			}
		}
		if o.err != nil {
			return nil, fmt.Errorf("plugin %s: %w", s.Name, o.err)
		}
		return o.res, nil
	case <-ctx.Done():
		return nil, timedOut()
	}
}

// BaseEnv are the environment variables every plugin gets, when set:
// what a program needs to find its tools, home, temporary files and
// locale. go-plugin adds its own (the handshake cookie, PLUGIN_*).
var BaseEnv = []string{"PATH", "HOME", "TMPDIR", "TMP", "TEMP", "LANG", "LANGUAGE", "TZ", "SYSTEMROOT"}

// Environ is the environment a plugin starts with: BaseEnv, the LC_*
// locale variables and extra, each as this process has it.
func Environ(extra []string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if slices.Contains(BaseEnv, name) || strings.HasPrefix(name, "LC_") || slices.Contains(extra, name) {
			env = append(env, kv)
		}
	}
	return env
}

// startError explains a failed start; a changed binary or a protocol
// mismatch says what to do.
func startError(s Spec, err error) error {
	if errors.Is(err, plugin.ErrChecksumsDoNotMatch) {
		return changedError(Locked{Name: s.Name, Path: s.Path, SHA256: s.SHA256}, "")
	}
	var theirs int
	if _, scanErr := fmt.Sscanf(err.Error(), "incompatible API version with plugin. Plugin version: %d", &theirs); scanErr != nil {
		return fmt.Errorf("cannot start: %w", err)
	}
	var ours []string
	for _, v := range protocol.Versions() {
		ours = append(ours, strconv.Itoa(v))
	}
	return fmt.Errorf("it speaks plugin protocol %d and this okrmap speaks %s: rebuild the plugin with an SDK for protocol %s, or run an okrmap that speaks %d",
		theirs, strings.Join(ours, " or "), ours[len(ours)-1], theirs)
}

// Scopes are the scopes a plugin rule may have: the kinds of entity a
// plugin receives, and plan.
var Scopes = []string{"kpi", "key_result", "objective", "business_objective", "investment", "team", "plan"}

var validID = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// ConfigureError is a plugin refusing its settings (plugins.settings).
type ConfigureError struct{ Err error }

func (e *ConfigureError) Error() string { return "configure: " + e.Err.Error() }
func (e *ConfigureError) Unwrap() error { return e.Err }

// DescriptionError is a plugin describing itself wrongly (a bad name,
// rule id, severity, scope or setting key): its author's to fix.
type DescriptionError struct{ Err error }

func (e *DescriptionError) Error() string { return e.Err.Error() }
func (e *DescriptionError) Unwrap() error { return e.Err }

// ValidateDescription checks what a plugin says about itself: a name in
// lowercase letters, digits, '-' and '_', and rules with unique ids that
// start with that name and '-' (so they cannot clash with okrmap's rules
// or another plugin's), a known severity and a known scope; and setting
// keys in lower case. Its errors are DescriptionErrors.
func ValidateDescription(d *pb.Description) error {
	if err := validateDescription(d); err != nil {
		return &DescriptionError{err}
	}
	return nil
}

func validateDescription(d *pb.Description) error {
	name := d.GetName()
	if !validID.MatchString(name) {
		return fmt.Errorf("describes itself as %q; a plugin's name is lowercase letters, digits, '-' and '_'", name)
	}
	seen := map[string]bool{}
	for _, r := range d.GetRules() {
		id := r.GetId()
		switch {
		case !strings.HasPrefix(id, name+"-") || !validID.MatchString(id):
			return fmt.Errorf("describes rule %q; a plugin's rule ids start with its name and '-' (%s-...) and use lowercase letters, digits, '-' and '_'", id, name)
		case seen[id]:
			return fmt.Errorf("describes rule %s twice", id)
		case !slices.Contains(engine.Severities, r.GetSeverity()):
			return fmt.Errorf("describes rule %s with severity %q; use error, warning or info", id, r.GetSeverity())
		case !slices.Contains(Scopes, r.GetScope()):
			return fmt.Errorf("describes rule %s with scope %q; use one of %s", id, r.GetScope(), strings.Join(Scopes, ", "))
		}
		seen[id] = true
	}
	for _, c := range d.GetConfig() {
		if k := c.GetKey(); k != strings.ToLower(k) {
			return fmt.Errorf("declares setting %q with capitals; okrmap reads configuration keys in lower case, so it could never be set: name it %q", k, strings.ToLower(k))
		}
	}
	return nil
}

// Validate checks the plugin's description and what it returned against
// that description and the graph (known rules and severities, entities in
// the graph and of the finding's scope), and fills in defaults from the
// rule.
func Validate(desc *pb.Description, found []*pb.Finding, keys Keys) ([]engine.Finding, error) {
	if err := ValidateDescription(desc); err != nil {
		return nil, err
	}
	rules := map[string]*pb.RuleInfo{}
	for _, r := range desc.GetRules() {
		rules[r.GetId()] = r
	}
	out := make([]engine.Finding, 0, len(found))
	for _, f := range found {
		r, ok := rules[f.GetRule()]
		if !ok {
			return nil, fmt.Errorf("returned a finding for rule %q, which it does not describe", f.GetRule())
		}
		sev, scope, fix := f.GetSeverity(), f.GetScope(), f.GetFix()
		if sev == "" {
			sev = r.GetSeverity()
		}
		if scope == "" {
			scope = r.GetScope()
		}
		if fix == "" {
			fix = r.GetFix()
		}
		if !slices.Contains(engine.Severities, sev) {
			return nil, fmt.Errorf("returned severity %q for rule %s; use error, warning or info", sev, r.GetId())
		}
		if e := f.GetEntity(); e != "" {
			kind, ok := keys[e]
			switch {
			case !ok:
				return nil, fmt.Errorf("returned a finding for %q, which is not in the graph", e)
			case scope != "plan" && kind != scope:
				return nil, fmt.Errorf("returned a finding for %s %q under rule %s, whose scope is %s; a finding names an entity of its scope", kind, e, r.GetId(), scope)
			}
		}
		out = append(out, engine.Finding{Rule: r.GetId(), Severity: sev, Scope: scope, Entity: f.GetEntity(),
			Message: f.GetMessage(), Fix: fix, Fingerprint: engine.Fingerprint(r.GetId(), scope, f.GetEntity())})
	}
	return out, nil
}

// FileSHA256 returns the hex SHA-256 of a file.
func FileSHA256(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:]), nil
}
