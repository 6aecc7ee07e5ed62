package cli

import (
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"testing"

	"github.com/okrmap/okrmap/engine/testenv"
)

// parts reads a received message's headers and its text and HTML parts.
func parts(t *testing.T, raw string) (mail.Header, string, string) {
	t.Helper()
	m, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	var text, html string
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			break
		}
		b, _ := io.ReadAll(p)
		body := string(b)
		if p.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
			body = decodeQP(t, b)
		}
		switch ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type")); ct {
		case "text/plain":
			text = body
		case "text/html":
			html = body
		}
	}
	return m.Header, text, html
}

// TestRemindSendsOncePerWindow: remind e-mails each owner once with their
// items due, text and HTML, linked to the dashboard; a second run in the
// same window sends nothing; opted-out owners and a dry run get nothing.
func TestRemindSendsOncePerWindow(t *testing.T) {
	box := testenv.StartMailbox(t)
	host, port := box.Host, box.Port
	e := newEnv(t)
	e.ok(append([]string{"apply"}, exampleFiles(t)...)...)
	e.ok("import", "measurements", "../../../../examples/saas-b2b/measurements.csv")
	t.Setenv("OKRMAP_MAIL_HOST", host)
	t.Setenv("OKRMAP_MAIL_PORT", port)
	t.Setenv("OKRMAP_MAIL_TLS", "none")
	t.Setenv("OKRMAP_MAIL_FROM", "okrmap@northwind.example")
	t.Setenv("OKRMAP_SERVER_PUBLIC_URL", "https://okrmap.example.com")
	t.Setenv("OKRMAP_REMIND_OPT_OUT", "growth@northwind.example")

	dry := e.ok("remind", "--dry-run", "--today", "2026-11-20")
	mustContain(t, "dry run", dry, "Dry run: nothing was sent.", "would remind brand@northwind.example of 4 items: share-of-voice-kr, case-studies-kr, brand-recall, case-studies-published")
	if len(box.All()) != 0 {
		t.Fatal("a dry run sent mail")
	}
	if strings.Contains(dry, "growth@") {
		t.Errorf("an opted-out owner would be reminded:\n%s", dry)
	}
	out := e.ok("remind", "--today", "2026-11-20")
	msgs := box.All()
	if n := strings.Count(out, "reminded "); n == 0 || n != len(msgs) {
		t.Fatalf("%d messages for:\n%s", len(msgs), out)
	}
	var brand *testenv.Mail
	for i, m := range msgs {
		if len(m.To) != 1 || m.From != "okrmap@northwind.example" {
			t.Errorf("message %d: from %s to %v", i, m.From, m.To)
		}
		if m.To[0] == "brand@northwind.example" {
			brand = &msgs[i]
		}
	}
	if brand == nil {
		t.Fatal("no message to brand@northwind.example")
	}
	h, text, html := parts(t, brand.Data)
	if h.Get("Subject") != "okrmap: 4 check-ins or measurements due" || h.Get("To") != "<brand@northwind.example>" {
		t.Errorf("headers %v", h)
	}
	for _, want := range []string{"Share of voice against the most published competitor (share-of-voice-kr): last checked in 20 days ago; the team checks in every 7 days",
		"https://okrmap.example.com/key-results/share-of-voice-kr", "https://okrmap.example.com/kpis/brand-recall"} {
		if !strings.Contains(text, want) {
			t.Errorf("the text part lacks %q:\n%s", want, text)
		}
	}
	if !strings.Contains(html, `<a href="https://okrmap.example.com/key-results/case-studies-kr">`) {
		t.Errorf("the HTML part lacks its links:\n%s", html)
	}
	mustContain(t, "again", e.ok("remind", "--today", "2026-11-20"), "Nothing is due that was not reminded already in its window.")
	if len(box.All()) != len(msgs) {
		t.Error("a second run in the same window sent mail again")
	}
	// A week on, the weekly items are due again.
	e.ok("remind", "--today", "2026-11-27")
	if len(box.All()) == len(msgs) {
		t.Error("nothing was sent in the next window")
	}
}

// TestRemindNeedsMail: without a mail server remind says what to set.
func TestRemindNeedsMail(t *testing.T) {
	e := newEnv(t)
	e.ok(append([]string{"apply"}, exampleFiles(t)...)...)
	mustContain(t, "no host", e.fails(ExitInput, "remind"), "mail.host is not set", "--dry-run")
}

func decodeQP(t *testing.T, b []byte) string {
	t.Helper()
	out, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(string(b))))
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// TestRemindServerDown: when the mail server cannot be reached, remind
// fails, records nothing, and the next run tries the same reminders.
func TestRemindServerDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	l.Close() // nothing listens there now
	e := newEnv(t)
	e.ok(append([]string{"apply"}, exampleFiles(t)...)...)
	t.Setenv("OKRMAP_MAIL_HOST", "127.0.0.1")
	t.Setenv("OKRMAP_MAIL_PORT", port)
	t.Setenv("OKRMAP_MAIL_TLS", "none")
	t.Setenv("OKRMAP_MAIL_FROM", "okrmap@northwind.example")
	mustContain(t, "down", e.fails(ExitInternal, "remind", "--today", "2026-11-20"), "reminders were not sent, and will be tried again on the next run")
	mustContain(t, "still due", e.ok("remind", "--dry-run", "--today", "2026-11-20"), "would remind brand@northwind.example")
}
