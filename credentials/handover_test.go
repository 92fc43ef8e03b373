package credentials

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentsync/agent/internal/wine"
)

// unserved holds the connections it is told to (all, or only the first)
// open without ever answering them, like the pipe instance Wine hands a
// listener's first client to (see Listen in channel_windows.go). Under
// Wine that instance takes the first connection already: unserved then
// holds it no second one.
type unserved struct {
	net.Listener
	all  bool
	mu   sync.Mutex
	held []net.Conn
}

func (l *unserved) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		l.mu.Lock()
		hold := l.all || len(l.held) == 0 && !wine.Running()
		if hold {
			l.held = append(l.held, c)
		}
		l.mu.Unlock()
		if !hold {
			return c, nil
		}
	}
}

func (l *unserved) Close() error {
	l.mu.Lock()
	for _, c := range l.held {
		c.Close()
	}
	l.mu.Unlock()
	return l.Listener.Close()
}

func shortHandshake(t *testing.T) {
	old := handshakeTimeout
	handshakeTimeout = 300 * time.Millisecond
	t.Cleanup(func() { handshakeTimeout = old })
}

// TestHandoverOutlivesAnUnservedConnection: the first connection after a
// start gets no answer; the set still goes through, in about the
// handshake's timeout, once.
func TestHandoverOutlivesAnUnservedConnection(t *testing.T) {
	shortHandshake(t)
	t.Setenv("AGENT_KEYRING_PASSPHRASE", "handover-test-passphrase")
	dir := t.TempDir()
	st := Open(Options{Backend: "file", DataDir: dir})
	addr := testAddr(t)
	l, err := Listen(addr)
	if err != nil {
		t.Fatal(err)
	}
	// Well under connTimeout: a request sent on the unserved connection
	// would wait for it and fail at this deadline.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, st, &unserved{Listener: l}) }()

	sec := Secret{Kind: APIKey, Token: "tok-handover-Rk4"}
	start := time.Now()
	m, err := SendToService(ctx, addr, "after-start", sec, time.Time{})
	if err != nil {
		t.Fatalf("set through a service whose first connection is not served: %v", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("the set took %v", took)
	}
	if m.Name != "after-start" || m.Kind != APIKey {
		t.Fatalf("meta %+v", m)
	}
	if got, err := st.Get(ctx, "after-start"); err != nil || got != sec {
		t.Fatalf("get what the service stored: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
}

// TestHandoverNoAnswer: a service that accepts and never answers is an
// error saying so within two handshakes, and never "not running" (the CLI
// would then store the secret in its own keyring).
func TestHandoverNoAnswer(t *testing.T) {
	shortHandshake(t)
	addr := testAddr(t)
	l, err := Listen(addr)
	if err != nil {
		t.Fatal(err)
	}
	u := &unserved{Listener: l, all: true}
	defer u.Close()
	go func() {
		for {
			if _, err := u.Accept(); err != nil {
				return
			}
		}
	}()
	start := time.Now()
	_, err = SendToService(context.Background(), addr, "x", Secret{Kind: APIKey, Token: "tok-unanswered-Pw2"}, time.Time{})
	took := time.Since(start)
	if err == nil || errors.Is(err, ErrServiceNotRunning) || !strings.Contains(err.Error(), "no answer within 300ms") {
		t.Fatalf("set to a service that never answers: %v", err)
	}
	if strings.Contains(err.Error(), "tok-unanswered") {
		t.Fatal("the error carries the secret")
	}
	if took < 600*time.Millisecond || took > 5*time.Second {
		t.Fatalf("gave up after %v; want two handshakes of 300ms", took)
	}
	u.mu.Lock()
	n := len(u.held)
	u.mu.Unlock()
	want := 2
	if wine.Running() {
		want = 1 // Wine's unserved pipe instance took the first
	}
	if n != want {
		t.Fatalf("%d connections; want the ping and its one retry, and no request", n)
	}
}
