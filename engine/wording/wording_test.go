package wording

import "testing"

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
		if got := Mentions(tt.text, tt.phrases...); got != tt.want {
			t.Errorf("Mentions(%q, %q) = %v", tt.text, tt.phrases, got)
		}
	}
	for _, tt := range tests { // the same through the general path
		if _, got := findWords(Words(tt.text), tt.phrases, func(p string) (string, bool) { return p, true }); got != tt.want {
			t.Errorf("findWords(%q, %q) = %v", tt.text, tt.phrases, got)
		}
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
		_, fast := findASCII(text, []string{phrase}, self)
		if _, slow := findWords(Words(text), []string{phrase}, self); fast != slow {
			t.Errorf("mentions(%q, %q): in place %v, split %v", text, phrase, fast, slow)
		}
	})
}

func TestWhich(t *testing.T) {
	if p, ok := Which("Gross margin per order", "revenue", "margin"); !ok || p != "margin" {
		t.Errorf("Which: %q %v", p, ok)
	}
	if _, ok := Which("Marginal notes", "margin of error"); ok {
		t.Error("Which matched half a phrase")
	}
}

func TestWhichWord(t *testing.T) {
	for _, tc := range []struct {
		text, want string
	}{
		{"CAC payback", "cac"}, {"Blended CACs", "cac"}, {"Cache hit rate", ""}, {"Net promoter score", "net promoter"},
		{"Arrivals per day", ""}, {"New ARR", "arr"},
	} {
		got, _ := WhichWord(tc.text, "cac", "arr", "net promoter")
		if got != tc.want {
			t.Errorf("WhichWord(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}
