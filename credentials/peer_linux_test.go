package credentials

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

// TestAuthorizeRefusesUnidentifiedPeers: a connection that is not a Unix
// socket has no peer credentials to check, so it is refused, and the
// request it carries is never read.
func TestAuthorizeRefusesUnidentifiedPeers(t *testing.T) {
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	go func() {
		c, err := net.Dial("tcp", tcp.Addr().String())
		if err == nil {
			defer c.Close()
			time.Sleep(time.Second)
		}
	}()
	tc, err := tcp.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	p1, p2 := net.Pipe()
	defer p1.Close()
	defer p2.Close()
	for name, c := range map[string]net.Conn{"tcp": tc, "pipe": p1} {
		if err := authorize(c); err == nil || !strings.Contains(err.Error(), "cannot identify the peer") {
			t.Errorf("%s: authorize = %v; want a refusal", name, err)
		}
	}

	// Through the handler: the refusal is the answer, the set never runs.
	dir := t.TempDir()
	t.Setenv("AGENT_KEYRING_PASSPHRASE", "peer-test-passphrase")
	st := Open(Options{Backend: "file", DataDir: dir})
	srv, cli := net.Pipe()
	go handle(context.Background(), st, srv)
	cli.SetDeadline(time.Now().Add(10 * time.Second))
	go cli.Write([]byte(`{"op":"set","name":"sneaky","secret":{"kind":"api_key","token":"t0k"}}` + "\n"))
	line, err := bufio.NewReader(cli).ReadString('\n')
	if err != nil || !strings.Contains(line, "cannot identify the peer") {
		t.Fatalf("answer %q, %v; want the refusal", line, err)
	}
	if ms, err := st.List(); err != nil || len(ms) != 0 {
		t.Fatalf("the refused request stored %v (%v)", ms, err)
	}
}
