package testenv

import (
	"io"
	"net"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"
)

// Mail is a message a Mailbox received.
type Mail struct {
	From string
	To   []string
	Data string // the message as sent: headers and body
}

// Mailbox is an SMTP server on a local port that keeps what it receives.
type Mailbox struct {
	Host, Port string
	mu         sync.Mutex
	msgs       []Mail
}

// StartMailbox serves a Mailbox on a local port for the test's life.
func StartMailbox(t testing.TB) *Mailbox {
	t.Helper()
	box := &Mailbox{}
	srv := smtp.NewServer(box)
	srv.Domain = "localhost"
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	box.Host, box.Port, _ = net.SplitHostPort(l.Addr().String())
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return box
}

// All returns what the mailbox received, in order.
func (b *Mailbox) All() []Mail {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Mail(nil), b.msgs...)
}

// NewSession is smtp.Backend's.
func (b *Mailbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &mailSession{box: b}, nil }

type mailSession struct {
	box *Mailbox
	cur Mail
}

func (s *mailSession) Reset()        { s.cur = Mail{} }
func (s *mailSession) Logout() error { return nil }

func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error {
	s.cur.From = from
	return nil
}

func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.To = append(s.cur.To, to)
	return nil
}

func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.Data = string(b)
	s.box.mu.Lock()
	s.box.msgs = append(s.box.msgs, s.cur)
	s.box.mu.Unlock()
	return nil
}
