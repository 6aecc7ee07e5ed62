package notify

import (
	"context"
	"fmt"
	"time"

	mail "github.com/wneessen/go-mail"
)

// Mail is an SMTP server okrmap sends e-mail through.
type Mail struct {
	Host     string `mapstructure:"host"` // "" sends no e-mail
	Port     int    `mapstructure:"port"`
	Username string `mapstructure:"username"`
	// PasswordEnv names the environment variable that holds the password,
	// so it is never written in a config file.
	PasswordEnv string `mapstructure:"password_env"`
	From        string `mapstructure:"from"`
	// TLS is starttls (the default: the server must offer it), tls (a
	// TLS connection from the start) or none (a local relay only).
	TLS     string        `mapstructure:"tls"`
	Timeout time.Duration `mapstructure:"timeout"`
}

// Message is one e-mail, with a text part and an HTML alternative.
type Message struct {
	To         string
	Subject    string
	Text, HTML string
}

// Check says what is missing or wrong in m.
func (m Mail) Check() error {
	switch {
	case m.Host == "":
		return fmt.Errorf("mail.host is not set: set the SMTP server okrmap sends e-mail through")
	case m.From == "":
		return fmt.Errorf("mail.from is not set: set the sender address")
	case m.TLS != "" && m.TLS != "starttls" && m.TLS != "tls" && m.TLS != "none":
		return fmt.Errorf("mail.tls %q: use starttls, tls or none", m.TLS)
	}
	return nil
}

// Send sends msgs in one SMTP session; password is the server's, or "".
func (m Mail) Send(ctx context.Context, password string, msgs ...Message) error {
	if err := m.Check(); err != nil {
		return err
	}
	opts := []mail.Option{mail.WithTimeout(max(m.Timeout, 10*time.Second))}
	switch m.TLS {
	case "tls":
		opts = append(opts, mail.WithSSL())
	case "none":
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if m.Port != 0 {
		opts = append(opts, mail.WithPort(m.Port))
	}
	if m.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(m.Username), mail.WithPassword(password))
	}
	client, err := mail.NewClient(m.Host, opts...)
	if err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	var out []*mail.Msg
	for _, msg := range msgs {
		e := mail.NewMsg()
		if err := e.From(m.From); err != nil {
			return fmt.Errorf("mail.from %q: %w", m.From, err)
		}
		if err := e.To(msg.To); err != nil {
			return fmt.Errorf("recipient %q: %w", msg.To, err)
		}
		e.Subject(msg.Subject)
		e.SetBodyString(mail.TypeTextPlain, msg.Text)
		if msg.HTML != "" {
			e.AddAlternativeString(mail.TypeTextHTML, msg.HTML)
		}
		out = append(out, e)
	}
	if err := client.DialAndSendWithContext(ctx, out...); err != nil {
		return fmt.Errorf("send mail through %s: %w", m.Host, err)
	}
	return nil
}
