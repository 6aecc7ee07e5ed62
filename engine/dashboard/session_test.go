package dashboard

import "testing"

// TestLocalPath: a sign-in link's next leads nowhere off this site, as a
// browser reads it: tabs and newlines dropped, a backslash a slash.
func TestLocalPath(t *testing.T) {
	for _, p := range []string{
		"/\t/evil.example/phish", "/\r\n/evil.example", "/\\evil.example", "\\\\evil.example", "\\/evil.example",
		"//evil.example", "https://evil.example/", "javascript:alert(1)", " //evil.example", "/\x00/evil.example",
		"/\t\\evil.example", "", "map", "/%0a/x\x7f",
	} {
		if got := localPath(p); got != "/" {
			t.Errorf("localPath(%q) = %q, want /", p, got)
		}
	}
	for _, p := range []string{"/map?q=pipeline", "/key-results/a-b", "/audits/1#top", "/%2F%2Fevil.example"} {
		if got := localPath(p); got != p {
			t.Errorf("localPath(%q) = %q, want it kept", p, got)
		}
	}
}
