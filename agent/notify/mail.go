package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/vendors"
)

// Mailer sends inbox messages by SMTP as [smtp] says: STARTTLS on a plain
// connection, implicit TLS, or (loopback only, checked by config) none;
// with AUTH PLAIN when a credential is named, its password read from the
// credential store on each send, so a rotated password is used at once.
type Mailer struct {
	SMTP    config.SMTP
	Secrets vendors.SecretSource // nil: no credential store (sending with a credential fails)
	// TLS, when set, is used instead of the system's roots (tests); the
	// server name is always SMTP.Host.
	TLS     *tls.Config
	Timeout time.Duration // for one message; default 60s
}

// Send delivers one message to its recipients. A recipient the server
// refuses is skipped as long as another one is accepted.
func (m *Mailer) Send(ctx context.Context, n store.Notification) error {
	ctx, cancel := context.WithTimeout(ctx, m.timeout())
	defer cancel()

	from, err := mail.ParseAddress(m.SMTP.From)
	if err != nil {
		return fmt.Errorf("smtp.from %q: %w", m.SMTP.From, err)
	}
	var to []*mail.Address
	for _, r := range n.Recipients {
		a, err := mail.ParseAddress(r)
		if err != nil {
			return fmt.Errorf("recipient %q: %w", r, err)
		}
		to = append(to, a)
	}
	if len(to) == 0 {
		return errors.New("no recipients")
	}
	c, err := m.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := m.auth(ctx, c); err != nil {
		return err
	}
	if err := c.Mail(from.Address); err != nil {
		return fmt.Errorf("MAIL FROM %s: %w", from.Address, err)
	}
	var refused []string
	accepted := 0
	for _, a := range to {
		if err := c.Rcpt(a.Address); err != nil {
			refused = append(refused, fmt.Sprintf("%s (%v)", a.Address, err))
			continue
		}
		accepted++
	}
	if accepted == 0 {
		return fmt.Errorf("every recipient was refused: %s", strings.Join(refused, ", "))
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if _, err := w.Write(compose(from, to, n, time.Now())); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	c.Quit()
	return nil
}

func (m *Mailer) timeout() time.Duration {
	if m.Timeout <= 0 {
		return 60 * time.Second
	}
	return m.Timeout
}

// dial connects and says hello, with TLS as configured.
func (m *Mailer) dial(ctx context.Context) (*smtp.Client, error) {
	host := m.SMTP.Host
	addr := net.JoinHostPort(host, strconv.Itoa(m.SMTP.Port))
	tlsCfg := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if m.TLS != nil {
		tlsCfg = m.TLS.Clone()
		tlsCfg.ServerName = host
	}
	var conn net.Conn
	var err error
	if m.SMTP.Security == "tls" {
		conn, err = (&tls.Dialer{Config: tlsCfg}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return nil, fmt.Errorf("smtp %s: %w", addr, err)
	}
	// The SMTP client knows no context: the deadline bounds every step,
	// and cancelling ctx closes the connection.
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		stop()
		conn.Close()
		return nil, fmt.Errorf("smtp %s: %w", addr, err)
	}
	name, _ := os.Hostname()
	if name == "" || strings.ContainsAny(name, " \r\n") {
		name = "localhost"
	}
	if err := c.Hello(name); err != nil {
		c.Close()
		return nil, fmt.Errorf("smtp %s: EHLO: %w", addr, err)
	}
	if m.SMTP.Security == "starttls" {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			c.Close()
			return nil, fmt.Errorf("smtp %s: the server does not offer STARTTLS (smtp.security = \"starttls\")", addr)
		}
		if err := c.StartTLS(tlsCfg); err != nil {
			c.Close()
			return nil, fmt.Errorf("smtp %s: STARTTLS: %w", addr, err)
		}
	}
	return c, nil
}

// auth logs in with the [smtp] credential, when one is named.
func (m *Mailer) auth(ctx context.Context, c *smtp.Client) error {
	if m.SMTP.Credential == "" {
		return nil
	}
	if m.Secrets == nil {
		return fmt.Errorf("smtp credential %q: no credential store is open", m.SMTP.Credential)
	}
	sec, err := m.Secrets.Get(ctx, m.SMTP.Credential)
	if err != nil {
		return fmt.Errorf("smtp credential %q: %w", m.SMTP.Credential, err)
	}
	user := m.SMTP.Username
	if user == "" {
		user = sec.Username
	}
	if err := c.Auth(smtp.PlainAuth("", user, sec.Password, m.SMTP.Host)); err != nil {
		return fmt.Errorf("smtp AUTH as %s: %w", user, err)
	}
	return nil
}

// compose renders the message: plain UTF-8 text, quoted-printable.
func compose(from *mail.Address, to []*mail.Address, n store.Notification, now time.Time) []byte {
	var b bytes.Buffer
	header := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	header("From", from.String())
	list := make([]string, len(to))
	for i, a := range to {
		list[i] = a.String()
	}
	header("To", strings.Join(list, ", "))
	header("Subject", mime.QEncoding.Encode("utf-8", n.Subject))
	header("Date", now.Format(time.RFC1123Z))
	domain := "agent.invalid"
	if _, d, ok := strings.Cut(from.Address, "@"); ok {
		domain = d
	}
	header("Message-ID", fmt.Sprintf("<agent.%d.%d@%s>", n.ID, n.CreatedAt.UnixNano(), domain))
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	header("Auto-Submitted", "auto-generated")
	if n.Integration != "" {
		header("X-Agent-Integration", n.Integration)
	}
	header("X-Agent-Event", n.Event)
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	qp.Write([]byte(strings.ReplaceAll(n.Body, "\n", "\r\n")))
	qp.Close()
	return b.Bytes()
}
