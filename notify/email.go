package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"net/url"
	"strings"
	"time"

	"github.com/keygate/keygate"
)

// Mailer sends e-mail through an SMTP server.
type Mailer struct {
	// URL is the server: smtp://[user:password@]host:port (STARTTLS when the
	// server offers it) or smtps://… (TLS from the start).
	URL *url.URL
	// From is the sender's address.
	From string
	// TLSConfig, if set, is used for TLS (tests trust their own server).
	TLSConfig *tls.Config
}

// ParseMailer reads KEYGATE_SMTP_URL's form.
func ParseMailer(rawURL, from string) (*Mailer, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" || u.Port() == "" {
		return nil, fmt.Errorf("%q is not an smtp:// or smtps:// URL with a host and a port", rawURL)
	}
	if from == "" {
		return nil, errors.New("a sender address is required")
	}
	return &Mailer{URL: u, From: from}, nil
}

// Send sends one plain-text message; the error of a refusal is a
// *textproto.Error with the server's reply code.
func (m *Mailer) Send(ctx context.Context, to, subject, body string) error {
	dialer := &net.Dialer{}
	conn, err := dialer.DialContext(ctx, "tcp", m.URL.Host)
	if err != nil {
		return err
	}
	if deadline, ok := ctx.Deadline(); ok {
		conn.SetDeadline(deadline)
	}
	tlsConfig := m.TLSConfig
	if tlsConfig == nil {
		tlsConfig = &tls.Config{ServerName: m.URL.Hostname()}
	}
	if m.URL.Scheme == "smtps" {
		conn = tls.Client(conn, tlsConfig)
	}
	c, err := smtp.NewClient(conn, m.URL.Hostname())
	if err != nil {
		conn.Close()
		return err
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok && m.URL.Scheme == "smtp" {
		if err := c.StartTLS(tlsConfig); err != nil {
			return err
		}
	}
	if u := m.URL.User; u != nil {
		password, _ := u.Password()
		if err := c.Auth(smtp.PlainAuth("", u.Username(), password, m.URL.Hostname())); err != nil {
			return err
		}
	}
	if err := c.Mail(m.From); err != nil {
		return err
	}
	if err := c.Rcpt(to); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(message(m.From, to, subject, body)); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// message renders a plain-text e-mail with CRLF line endings.
func message(from, to, subject, body string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\n", from, to, subject, time.Now().UTC().Format(time.RFC1123Z))
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	b.WriteString(strings.ReplaceAll(body, "\n", "\r\n"))
	return []byte(b.String())
}

// sendEmail delivers a notification to an e-mail destination.
func (d *Dispatcher) sendEmail(ctx context.Context, s *keygate.NotificationSetting, n *keygate.Notification) result {
	if d.cfg.Mailer == nil {
		return result{body: "no SMTP server is configured (KEYGATE_SMTP_URL)"}
	}
	subject, body, err := Render(n.Environment, n.Payload)
	if err != nil {
		return result{body: "can't render the message: " + err.Error(), final: true}
	}
	if err := d.cfg.Mailer.Send(ctx, s.Destination, subject, body); err != nil {
		var te *textproto.Error
		if errors.As(err, &te) {
			return result{code: te.Code, body: te.Msg, final: te.Code >= 500 && te.Code < 600 && te.Code != 554}
		}
		return result{body: "SMTP: " + err.Error()}
	}
	return result{delivered: true, code: 250, body: "accepted for delivery"}
}
