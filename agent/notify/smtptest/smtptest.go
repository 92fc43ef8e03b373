// Package smtptest is a real SMTP server (github.com/emersion/go-smtp) on
// loopback for tests: the client under test speaks the protocol to an
// implementation other than its own. The notify tests and the CLI's use
// this one.
package smtptest

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/agentsync/agent/internal/loopback"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Server is the SMTP server; it keeps what it receives. A recipient
// "nobody@example.com" is refused (550).
type Server struct {
	Addr  string
	Port  int
	Roots *x509.CertPool // trusts the server's certificate (127.0.0.1, localhost)

	server   *smtp.Server
	mu       sync.Mutex
	received []Message
	authed   []string // usernames that logged in
}

// Message is one message received.
type Message struct {
	From string
	To   []string
	Data []byte
}

// The login the server accepts.
const (
	User = "agent@example.com"
	Pass = "s3cret-pass"
)

// Start serves SMTP on addr ("127.0.0.1:0" for any port) until the test
// ends. With implicitTLS the listener is TLS from the first byte
// (smtp.security = "tls"); otherwise the server offers STARTTLS and
// refuses AUTH before it.
func Start(t testing.TB, addr string, implicitTLS bool) *Server {
	t.Helper()
	cert, roots := loopback.SelfSigned(t)
	mb := &Server{Roots: roots}
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{mb: mb}, nil }))
	s.Domain = "localhost"
	s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	var l net.Listener
	var err error
	// The port may have just been freed by a test that stopped a server.
	for i := 0; i < 50; i++ {
		if l, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	if implicitTLS {
		l = tls.NewListener(l, s.TLSConfig)
	}
	go s.Serve(l)
	mb.server = s
	mb.Addr = l.Addr().String()
	mb.Port = l.Addr().(*net.TCPAddr).Port
	t.Cleanup(func() { s.Close() })
	return mb
}

// Close stops the server.
func (mb *Server) Close() { mb.server.Close() }

// Messages returns what the server received so far.
func (mb *Server) Messages() []Message {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return append([]Message(nil), mb.received...)
}

// Logins returns the usernames that logged in so far.
func (mb *Server) Logins() []string {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return append([]string(nil), mb.authed...)
}

type session struct {
	mb   *Server
	from string
	to   []string
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != User || password != Pass {
			return errors.New("invalid credentials")
		}
		s.mb.mu.Lock()
		s.mb.authed = append(s.mb.authed, username)
		s.mb.mu.Unlock()
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error { s.from = from; return nil }
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if to == "nobody@example.com" {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	}
	s.to = append(s.to, to)
	return nil
}
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.mb.mu.Lock()
	s.mb.received = append(s.mb.received, Message{From: s.from, To: s.to, Data: b})
	s.mb.mu.Unlock()
	return nil
}
func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }
