// Package config loads okrmap's configuration: defaults, then a config file,
// then OKRMAP_* environment variables, then command-line flags, each
// overriding the one before.
package config

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"os/user"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/connect"
	"github.com/okrmap/okrmap/engine/notify"
	"github.com/okrmap/okrmap/engine/rules"
	"github.com/okrmap/okrmap/engine/server"
	"github.com/okrmap/okrmap/engine/service"
	"github.com/okrmap/okrmap/plugins/protocol"
)

// EnvPrefix starts every environment variable okrmap reads. A key's
// variable is the prefix, '_', and the key upper-cased with '.' as '_':
// log.level is OKRMAP_LOG_LEVEL.
const EnvPrefix = "OKRMAP"

// Config is okrmap's configuration. config.example.yaml documents each key.
type Config struct {
	// DB is the database: a SQLite file, or a postgres:// URL.
	DB string `mapstructure:"db"`
	// Store names the database by URL; it overrides DB unless --db is set.
	Store Store `mapstructure:"store"`
	// Author is recorded on check-ins and measurements.
	Author string `mapstructure:"author"`
	// MemoryLimit stops okrmap (exit 3) past this many bytes; 0 is 80% of
	// the machine's (or cgroup's) memory, less than 0 no limit.
	MemoryLimit int64   `mapstructure:"memory_limit"`
	Plan        Plan    `mapstructure:"plan"`
	Rules       Rules   `mapstructure:"rules"`
	Audit       Audit   `mapstructure:"audit"`
	Plugins     Plugins `mapstructure:"plugins"`
	Log         Log     `mapstructure:"log"`
	Server      Server  `mapstructure:"server"`
	History     History `mapstructure:"history"`
	// Mail is the SMTP server reminders are sent through.
	Mail notify.Mail `mapstructure:"mail"`
	// Remind configures okrmap remind.
	Remind Remind `mapstructure:"remind"`
	// Connectors are the named sources okrmap sync reads KPI values from.
	Connectors map[string]connect.Config `mapstructure:"connectors"`
	// Schedule lists the audits okrmap serve runs on a schedule.
	Schedule []server.Schedule `mapstructure:"schedule"`
}

// Remind configures reminders.
type Remind struct {
	// OptOut are owners who get no reminders.
	OptOut []string `mapstructure:"opt_out"`
}

// Store names the database by URL.
type Store struct {
	// URL is postgres://user@host/db?sslmode=..., or sqlite:PATH.
	URL string `mapstructure:"url"`
}

// Plan bounds the shape and size of plans (see engine.MaxDepth and
// engine.MaxText).
type Plan struct {
	MaxDepth int `mapstructure:"max_depth"`
	MaxText  int `mapstructure:"max_text"`
	// FiscalYearStart is the month (1-12) fiscal years start in (see
	// engine.FiscalYearStart); 0 leaves it to the database, January for a
	// database without one.
	FiscalYearStart int `mapstructure:"fiscal_year_start"`
	// A company's own team functions and categories, beside the built-in
	// ones (see engine.CompanyFunctions).
	Functions          []string `mapstructure:"functions"`
	BusinessCategories []string `mapstructure:"business_categories"`
	KPICategories      []string `mapstructure:"kpi_categories"`
	// CriticalPnLLines are P&L lines the company marked critical (see
	// engine.CriticalPnLLines).
	CriticalPnLLines []string `mapstructure:"critical_pnl_lines"`
}

// Server configures okrmap serve.
type Server = server.Config

// Plugins configures rule plugins.
type Plugins = service.Plugins

// Audit configures audits.
type Audit struct {
	// Waivers is the waiver file; "" means waivers.yaml beside the database.
	// It is imported into the database once; waivers live there since.
	Waivers string `mapstructure:"waivers"`
}

// Rules says which rule packs lint and audits evaluate.
type Rules = service.Rules

// History configures check-ins and measurements.
type History struct {
	// FutureTolerance is how far ahead of now a value may be dated.
	FutureTolerance time.Duration `mapstructure:"future_tolerance"`
}

// Log configures diagnostic logging on standard error.
type Log struct {
	Level  string `mapstructure:"level"`  // debug, info, warn or error
	Format string `mapstructure:"format"` // text or json
}

// Defaults returns the configuration used when nothing else is set.
func Defaults() Config {
	return Config{
		DB:     filepath.Join(DataDir(), "okrmap.db"),
		Author: osUser(),
		Plan: Plan{MaxDepth: engine.MaxDepth, MaxText: engine.MaxText, FiscalYearStart: 0,
			Functions: []string{}, BusinessCategories: []string{}, KPICategories: []string{}, CriticalPnLLines: []string{}},
		Rules:      Rules{Builtin: true, Packs: []string{}, MaxSteps: rules.DefaultSteps, MaxText: rules.DefaultText, Timeout: rules.DefaultTimeout},
		Plugins:    Plugins{Dirs: []string{}, Timeout: 30 * time.Second, Timeouts: map[string]time.Duration{}, Settings: map[string]map[string]string{}, Env: map[string][]string{}, MaxFindings: protocol.MaxFindings, Dev: []string{}, HistoryDays: 90, MaxHistoryDays: 730},
		Log:        Log{Level: "warn", Format: "text"},
		History:    History{FutureTolerance: 24 * time.Hour},
		Mail:       notify.Mail{Port: 587, TLS: "starttls", Timeout: 30 * time.Second},
		Remind:     Remind{OptOut: []string{}},
		Server:     server.Defaults(),
		Schedule:   []server.Schedule{},
		Connectors: map[string]connect.Config{},
	}
}

// Validate reports the first invalid value, naming its key.
func (c Config) Validate() error {
	if c.DB == "" {
		return errors.New("db: set a database file path or a postgres:// URL")
	}
	if c.Plugins.Timeout <= 0 {
		return fmt.Errorf("plugins.timeout: %s is not a positive duration, e.g. 30s", c.Plugins.Timeout)
	}
	if c.Plugins.HistoryDays < 0 || c.Plugins.HistoryDays > 3660 {
		return fmt.Errorf("plugins.history_days: %d is not between 0 (no history) and 3660", c.Plugins.HistoryDays)
	}
	if c.Plugins.MaxHistoryDays < 0 || c.Plugins.MaxHistoryDays > 3660 {
		return fmt.Errorf("plugins.max_history_days: %d is not between 0 (only plugins.history_days) and 3660", c.Plugins.MaxHistoryDays)
	}
	for _, name := range slices.Sorted(maps.Keys(c.Plugins.Timeouts)) {
		if d := c.Plugins.Timeouts[name]; d <= 0 {
			return fmt.Errorf("plugins.timeouts.%s: %s is not a positive duration, e.g. 2m", name, d)
		}
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.Log.Level) {
		return fmt.Errorf("log.level: %q is not one of debug, info, warn, error", c.Log.Level)
	}
	if !slices.Contains([]string{"text", "json"}, c.Log.Format) {
		return fmt.Errorf("log.format: %q is not one of text, json", c.Log.Format)
	}
	if c.Plugins.MaxFindings < 1 {
		return fmt.Errorf("plugins.max_findings: %d is not a positive number of findings", c.Plugins.MaxFindings)
	}
	if c.History.FutureTolerance < 0 {
		return fmt.Errorf("history.future_tolerance: %s is negative", c.History.FutureTolerance)
	}
	if err := c.Server.Validate(); err != nil {
		return err
	}
	if c.Plan.MaxDepth < 1 || c.Plan.MaxText < 1 {
		return fmt.Errorf("plan.max_depth and plan.max_text must be positive")
	}
	for key, values := range map[string][]string{"plan.functions": c.Plan.Functions, "plan.business_categories": c.Plan.BusinessCategories, "plan.kpi_categories": c.Plan.KPICategories} {
		for _, v := range values {
			if !engine.ValidKey(v) || strings.ContainsAny(v, "-") {
				return fmt.Errorf("%s: %q is not a name of lower-case letters, digits and _, e.g. patient_safety", key, v)
			}
		}
	}
	if c.Plan.FiscalYearStart < 0 || c.Plan.FiscalYearStart > 12 {
		return fmt.Errorf("plan.fiscal_year_start: %d is not a month; write 1 (January) to 12", c.Plan.FiscalYearStart)
	}
	names := make([]string, 0, len(c.Connectors))
	for n := range c.Connectors {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if err := connect.Check(n, c.Connectors[n]); err != nil {
			return err
		}
	}
	return server.CheckSchedules(c.Schedule)
}

// Load builds the configuration. file is an explicit config file ("" to
// look for config.yaml in the user's config directory, which may be
// absent). flagKeys binds flags of flags by name to keys; a flag overrides
// only when the user set it.
func Load(file string, flags *pflag.FlagSet, flagKeys map[string]string) (Config, error) {
	v := viper.New()
	v.SetEnvPrefix(EnvPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	def := Defaults()
	for _, key := range Keys() {
		v.SetDefault(key, lookup(def, key))
		// Unmarshal sees only bound variables, so bind every key.
		if err := v.BindEnv(key); err != nil {
			return Config{}, err
		}
	}
	for name, key := range flagKeys {
		if f := flags.Lookup(name); f != nil {
			if err := v.BindPFlag(key, f); err != nil {
				return Config{}, err
			}
		}
	}
	if err := readFile(v, file); err != nil {
		return Config{}, err
	}
	var c Config
	hooks := viper.DecodeHook(mapstructure.ComposeDecodeHookFunc(
		mapstructure.StringToTimeDurationHookFunc(), mapstructure.StringToSliceHookFunc(","), asText))
	if err := v.UnmarshalExact(&c, hooks); err != nil {
		where := "configuration"
		if f := v.ConfigFileUsed(); f != "" {
			where = "config file " + f
		}
		return Config{}, fmt.Errorf("%s: %w", where, err)
	}
	if f := flags.Lookup("db"); c.Store.URL != "" && (f == nil || !f.Changed) {
		c.DB = c.Store.URL
	}
	// Paths may start with ~/, as shells write them.
	c.DB, c.Plugins.Lock = home(c.DB), home(c.Plugins.Lock)
	for i, d := range c.Plugins.Dirs {
		c.Plugins.Dirs[i] = home(d)
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("configuration: %w", err)
	}
	return c, nil
}

// asText writes a YAML scalar read into a string (a plugin setting, most
// often) as it was written: true stays "true" (not "1", which a number
// setting would take) and a float keeps its form (.nan is "NaN", which
// number settings refuse). A list or map is refused: a list setting is
// one comma-separated string.
func asText(_, to reflect.Type, data any) (any, error) {
	if to.Kind() != reflect.String {
		return data, nil
	}
	switch x := data.(type) {
	case bool:
		return strconv.FormatBool(x), nil
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case []any:
		return nil, errors.New("a list is not a text value; write a list setting as one comma-separated string, e.g. \"search, social\"")
	case map[string]any:
		return nil, errors.New("a map is not a text value")
	}
	return data, nil
}

// osUser is who runs okrmap: $USER, else the account's name (cron jobs
// often run without $USER).
func osUser() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return ""
}

// home expands a leading ~/ to the user's home directory.
func home(path string) string {
	if rest, ok := strings.CutPrefix(path, "~/"); ok {
		if h, err := os.UserHomeDir(); err == nil {
			return filepath.Join(h, rest)
		}
	}
	return path
}

func readFile(v *viper.Viper, file string) error {
	if file == "" {
		file = filepath.Join(ConfigDir(), "config.yaml")
		if _, err := os.Stat(file); err != nil {
			return nil
		}
	}
	v.SetConfigFile(file)
	if err := v.ReadInConfig(); err != nil {
		return fmt.Errorf("config file %s: %w", file, err)
	}
	return nil
}

// Keys lists every configuration key, dotted, in struct order.
func Keys() []string { return keys(reflect.TypeFor[Config](), "") }

func keys(t reflect.Type, prefix string) []string {
	var out []string
	for f := range t.Fields() {
		name := prefix + f.Tag.Get("mapstructure")
		if f.Type.Kind() == reflect.Struct {
			out = append(out, keys(f.Type, name+".")...)
			continue
		}
		out = append(out, name)
	}
	return out
}

// lookup returns the value of a dotted key in c.
func lookup(c Config, key string) any {
	v := reflect.ValueOf(c)
	for _, part := range strings.Split(key, ".") {
		for i := range v.NumField() {
			if v.Type().Field(i).Tag.Get("mapstructure") == part {
				v = v.Field(i)
				break
			}
		}
	}
	return v.Interface()
}

// DataDir is where okrmap keeps its database by default: $XDG_DATA_HOME/okrmap
// or ~/.local/share/okrmap on Unix, the platform's equivalent elsewhere.
func DataDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "okrmap")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "okrmap-data"
	}
	switch runtime.GOOS {
	case "darwin":
		return filepath.Join(home, "Library", "Application Support", "okrmap")
	case "windows":
		if d := os.Getenv("LocalAppData"); d != "" {
			return filepath.Join(d, "okrmap")
		}
	}
	return filepath.Join(home, ".local", "share", "okrmap")
}

// ConfigDir is where okrmap looks for config.yaml when --config is not set.
func ConfigDir() string {
	d, err := os.UserConfigDir()
	if err != nil {
		return "."
	}
	return filepath.Join(d, "okrmap")
}
