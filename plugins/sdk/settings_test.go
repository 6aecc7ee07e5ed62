package sdk

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseSettings(t *testing.T) {
	d := Description{Name: "p", Config: []ConfigKey{
		{Key: "floor", Default: "3", Type: Float},
		{Key: "floor.<team>", Default: "floor", Type: Float},
		{Key: "max", Default: "10", Type: Int},
		{Key: "strict", Default: "false", Type: Bool},
		{Key: "window", Default: "24h", Type: Duration},
		{Key: "channels", Default: "search, social", Type: List},
		{Key: "label", Default: "x"},
	}}
	got, err := ParseSettings(d, map[string]string{"floor.sales": "2.5", "max": "7", "strict": "true"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Float("floor") != 3 || got.Float("floor.sales") != 2.5 || got.Int("max") != 7 || !got.Bool("strict") ||
		got.Duration("window") != 24*time.Hour || !reflect.DeepEqual(got.List("channels"), []string{"search", "social"}) ||
		got.Text("label") != "x" {
		t.Errorf("settings %+v", got)
	}
	if _, ok := got["floor.<team>"]; ok {
		t.Error("a pattern key got its default as a value")
	}
	for settings, want := range map[string]string{
		"floor=three":     `setting floor of plugin p: "three" is not a finite number`,
		"floor=NaN":       `setting floor of plugin p: "NaN" is not a finite number`,
		"floor=+Inf":      `"+Inf" is not a finite number`,
		"floor=true":      `"true" is not a finite number`,
		"max=1.5":         `setting max of plugin p: "1.5" is not a whole number`,
		"strict=yes":      `"yes" is not true or false`,
		"window=tomorrow": `"tomorrow" is not a duration`,
		"floor.a.b=1":     `unknown setting "floor.a.b" for plugin p; it accepts: floor, floor.<team>, max`,
	} {
		k, v, _ := strings.Cut(settings, "=")
		if _, err := ParseSettings(d, map[string]string{k: v}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", settings, err, want)
		}
	}
	if _, err := ParseSettings(Description{Name: "p", Config: []ConfigKey{{Key: "n", Default: "x", Type: Int}}}, nil); err == nil ||
		!strings.Contains(err.Error(), "declares n with default") {
		t.Errorf("a bad default: %v", err)
	}
}
