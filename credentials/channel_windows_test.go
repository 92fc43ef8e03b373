package credentials

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentsync/agent/internal/wine"
)

var pipes atomic.Int32

// testAddr is a fresh channel address: a pipe of this test process.
func testAddr(t *testing.T) string {
	return fmt.Sprintf(`\\.\pipe\agentsync-test-%d-%d`, os.Getpid(), pipes.Add(1))
}

// TestPipeEndToEnd: the named pipe with its ACL, from the first
// connection after a start (which Wine leaves unanswered: the handshake
// retries) to the service's end.
func TestPipeEndToEnd(t *testing.T) {
	t.Setenv("AGENT_KEYRING_PASSPHRASE", "pipe-test-passphrase")
	dir := t.TempDir()
	st := Open(Options{Backend: "file", DataDir: dir})
	addr := testAddr(t)
	if err := PingService(context.Background(), addr); !errors.Is(err, ErrServiceNotRunning) {
		t.Fatalf("ping before the service: %v; want ErrServiceNotRunning", err)
	}
	l, err := Listen(addr)
	if err != nil {
		t.Fatal(err)
	}
	if l2, err := Listen(addr); err == nil {
		l2.Close()
		if !wine.Running() {
			t.Fatal("a second Listen on the same pipe succeeded")
		}
		t.Log("a second Listen on the same pipe succeeded: Wine does not refuse a second first instance " + wine.SkipReason)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, st, l) }()

	sec := Secret{Kind: OAuth2Client, ClientID: "cid-pipe", ClientSecret: "cs-pipe-Hn5"}
	exp := time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC)
	start := time.Now()
	m, err := SendToService(ctx, addr, "via-pipe", sec, exp)
	t.Logf("the first set after the start took %v", time.Since(start))
	if err != nil {
		t.Fatalf("the first set after the start: %v", err)
	}
	if took := time.Since(start); took > 2*handshakeTimeout+5*time.Second {
		t.Fatalf("the first set after the start took %v", took)
	}
	if m.Name != "via-pipe" || m.Backend != "file" || !m.ExpiresAt.Equal(exp) {
		t.Fatalf("meta %+v", m)
	}
	if got, err := Open(Options{Backend: "file", DataDir: dir}).Get(ctx, "via-pipe"); err != nil || got != sec {
		t.Fatalf("get what the service stored: %v", err)
	}
	if err := DeleteViaService(ctx, addr, "via-pipe"); err != nil {
		t.Fatal(err)
	}
	if err := DeleteViaService(ctx, addr, "via-pipe"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v; want ErrNotFound", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if _, err := SendToService(context.Background(), addr, "x", sec, time.Time{}); !errors.Is(err, ErrServiceNotRunning) {
		t.Fatalf("set with no service: %v; want ErrServiceNotRunning", err)
	}
}
