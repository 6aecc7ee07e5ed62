package sdk

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	pb "github.com/okrmap/okrmap/plugins/proto/okrmap/plugin/v1"
)

// Settings are a plugin's settings converted to their declared types, with
// defaults for keys the configuration leaves out.
type Settings map[string]any

// ParseSettings checks settings against the keys d declares (each must be
// declared and of its key's type) and returns them converted, with the
// defaults of keys without angle brackets that settings leave out. Serve
// runs this check before Configure, so Configure may call it and ignore
// the error.
func ParseSettings(d Description, settings map[string]string) (Settings, error) {
	out := Settings{}
	for _, c := range d.Config {
		if _, _, pattern := c.pattern(); c.Default != "" && !pattern {
			v, err := c.Parse(c.Default)
			if err != nil {
				return nil, fmt.Errorf("plugin %s declares %s with default %q: %w", d.Name, c.Key, c.Default, err)
			}
			out[c.Key] = v
		}
	}
	for _, k := range slices.Sorted(maps.Keys(settings)) {
		i := slices.IndexFunc(d.Config, func(c ConfigKey) bool { return c.Matches(k) })
		if i < 0 {
			return nil, &UnknownSettingError{Key: k, Plugin: d.Name, Known: d.Config}
		}
		v, err := d.Config[i].Parse(settings[k])
		if err != nil {
			return nil, fmt.Errorf("setting %s of plugin %s: %w", k, d.Name, err)
		}
		out[k] = v
	}
	return out, nil
}

// UnknownSettingError is a setting key the plugin does not declare.
type UnknownSettingError struct {
	Key, Plugin string
	Known       []ConfigKey // what the plugin declares
}

func (e *UnknownSettingError) Error() string {
	if len(e.Known) == 0 {
		return fmt.Sprintf("unknown setting %q for plugin %s, which has no settings; remove plugins.settings.%s", e.Key, e.Plugin, e.Plugin)
	}
	known := make([]string, len(e.Known))
	for i, c := range e.Known {
		known[i] = c.Key
	}
	return fmt.Sprintf("unknown setting %q for plugin %s; it accepts: %s", e.Key, e.Plugin, strings.Join(known, ", "))
}

// Candidates are the keys e.Key may have meant to spell: each declared
// key, with a pattern's <name> filled in from e.Key ("min_roas.google"
// for "min_roas.<channel>" and "min_roa.google").
func (e *UnknownSettingError) Candidates() []string {
	var out []string
	for _, c := range e.Known {
		prefix, suffix, ok := c.pattern()
		if !ok {
			out = append(out, c.Key)
			continue
		}
		if dot := strings.LastIndexByte(e.Key, '.'); dot >= 0 && suffix == "" && strings.Contains(prefix, ".") {
			out = append(out, prefix+e.Key[dot+1:])
		}
	}
	return out
}

// DescriptionFromProto is the description a plugin sent, as the SDK's
// type, for checking settings against it on okrmap's side.
func DescriptionFromProto(d *pb.Description) Description {
	out := Description{Name: d.GetName(), Version: d.GetVersion()}
	for _, c := range d.GetConfig() {
		out.Config = append(out.Config, ConfigKey{Key: c.GetKey(), Doc: c.GetDoc(), Default: c.GetDefault(), Type: c.GetType()})
	}
	return out
}

// Parse converts a value of the key's type.
func (c ConfigKey) Parse(v string) (any, error) {
	switch c.Type {
	case "", String:
		return v, nil
	case Int:
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return nil, fmt.Errorf("%q is not a whole number", v)
		}
		return n, nil
	case Float:
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("%q is not a finite number", v)
		}
		return f, nil
	case Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return nil, fmt.Errorf("%q is not true or false", v)
		}
		return b, nil
	case Duration:
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil {
			return nil, fmt.Errorf("%q is not a duration such as 90s or 2h", v)
		}
		return d, nil
	case List:
		var out []string
		for _, item := range strings.Split(v, ",") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("type %q is not string, int, float, bool, duration or list", c.Type)
}

// Text returns the setting key of type String, or "".
func (s Settings) Text(key string) string { v, _ := s[key].(string); return v }

// Int returns the setting key of type Int, or 0.
func (s Settings) Int(key string) int { v, _ := s[key].(int); return v }

// Float returns the setting key of type Float, or 0.
func (s Settings) Float(key string) float64 { v, _ := s[key].(float64); return v }

// Bool returns the setting key of type Bool, or false.
func (s Settings) Bool(key string) bool { v, _ := s[key].(bool); return v }

// Duration returns the setting key of type Duration, or 0.
func (s Settings) Duration(key string) time.Duration { v, _ := s[key].(time.Duration); return v }

// List returns the setting key of type List, or nil.
func (s Settings) List(key string) []string { v, _ := s[key].([]string); return v }
