package rules

import (
	"context"
	"strings"
	"testing"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/resolve"
)

// TestRuntimeFaultsBecomeFindings: a rule that fails at run time on one
// entity, or exceeds the VM memory budget, yields an error finding for that
// rule and entity; other rules and entities are judged as usual.
func TestRuntimeFaultsBecomeFindings(t *testing.T) {
	p, err := ParsePack("faults.yaml", []byte(`pack: faults
rules:
  - {id: index, name: Index, severity: info, scope: kpi, assert: 'kpi.links[0].to != ""', message: m}
  - {id: hog, name: Hog, severity: info, scope: kpi, when: 'kpi.key == "b"', assert: 'len(map(1..1000000, # * 2)) > 0', message: m}
  - {id: fine, name: Fine, severity: warning, scope: kpi, assert: 'kpi.owner != ""', message: "{{ kpi.key }} unowned"}
`))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	plan := &engine.Plan{KPIs: []engine.KPI{
		{Key: "a", Name: "A"},
		{Key: "b", Name: "B", Links: []engine.Link{{To: "a"}}},
	}}
	g := resolve.Resolve(resolve.Input{Plan: plan, Today: DefaultCaseDay})
	fs, err := s.Evaluate(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fs {
		got = append(got, f.Rule+" "+f.Entity+" "+f.Severity)
		if f.Rule != "fine" && !strings.Contains(f.Message, "could not be evaluated") {
			t.Errorf("fault finding message %q", f.Message)
		}
	}
	want := "index a error|fine a warning|hog b error|fine b warning"
	if strings.Join(got, "|") != want {
		t.Errorf("findings %q, want %q", strings.Join(got, "|"), want)
	}
}

func TestMentions(t *testing.T) {
	tests := []struct {
		text    string
		phrases []string
		want    bool
	}{
		{"Social media followers", []string{"followers"}, true},
		{"Email open rates", []string{"open rate"}, true},
		{"Reopened tickets", []string{"open"}, false},
		{"Rate of open issues", []string{"open rate"}, false},
		{"CLICKS", []string{"click"}, true},
		{"", []string{"x"}, false},
	}
	for _, tt := range tests {
		if got := Mentions(tt.text, tt.phrases); got != tt.want {
			t.Errorf("Mentions(%q, %q) = %v", tt.text, tt.phrases, got)
		}
	}
	for _, tt := range tests { // the same through the general path
		if got := mentionsWords(words(tt.text), tt.phrases, func(p string) (string, bool) { return p, true }); got != tt.want {
			t.Errorf("mentionsWords(%q, %q) = %v", tt.text, tt.phrases, got)
		}
	}
	if Ratio(1, 0) != 0 || Ratio(3, 2) != 1.5 {
		t.Error("Ratio")
	}
}

// FuzzMentions: an ASCII text read in place mentions what its split words
// mention.
func FuzzMentions(f *testing.F) {
	f.Add("Email open rates", "open rate")
	f.Add("NPS (net promoter) score", "net-promoter")
	f.Add("a1 b2", "A1")
	f.Fuzz(func(t *testing.T, text, phrase string) {
		if !isASCII(text) {
			return
		}
		self := func(p string) (string, bool) { return p, true }
		fast := mentionsASCII(text, []string{phrase}, self)
		if slow := mentionsWords(words(text), []string{phrase}, self); fast != slow {
			t.Errorf("mentions(%q, %q): in place %v, split %v", text, phrase, fast, slow)
		}
	})
}
