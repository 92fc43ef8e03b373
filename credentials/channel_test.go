//go:build unix

package credentials

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// shortDir is a temporary folder short enough for a Unix socket path.
func shortDir(t *testing.T) string {
	d, err := os.MkdirTemp("", "ag")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// channelStore opens a file store in a fresh shortDir and returns it, the
// folder and the address of the channel's socket there.
func channelStore(t *testing.T) (st *Store, dir, addr string) {
	dir = shortDir(t)
	t.Setenv("AGENT_KEYRING_PASSPHRASE", "channel-test-passphrase")
	return Open(Options{Backend: "file", DataDir: dir}), dir, SocketPath(dir)
}

func TestChannelEndToEnd(t *testing.T) {
	st, dir, addr := channelStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	l, err := Listen(addr)
	if err != nil {
		t.Fatal(err)
	}
	go func() { done <- Serve(ctx, st, l) }()

	fi, err := os.Lstat(addr)
	if err != nil || fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket %s: %v, mode %v; want a socket with mode 0600", addr, err, fi.Mode())
	}
	if _, err := Listen(addr); err == nil || !strings.Contains(err.Error(), "already listens") {
		t.Fatalf("a second Listen: %v", err)
	}
	if err := PingService(ctx, addr); err != nil {
		t.Fatal(err)
	}

	sec := Secret{Kind: OAuth2Client, ClientID: "cid-chan", ClientSecret: "cs-chan-Yt6"}
	exp := time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC)
	m, err := SendToService(ctx, addr, "via-service", sec, exp)
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "via-service" || m.Kind != OAuth2Client || m.Backend != "file" || !m.ExpiresAt.Equal(exp) {
		t.Fatalf("meta %+v", m)
	}
	// The service's store holds it.
	if got, err := Open(Options{Backend: "file", DataDir: dir}).Get(ctx, "via-service"); err != nil || got != sec {
		t.Fatalf("get what the service stored: %v", err)
	}
	// The service's errors come back; a bad secret is refused by name.
	if _, err := SendToService(ctx, addr, "bad name!", sec, time.Time{}); err == nil || !strings.Contains(err.Error(), "credential name") {
		t.Fatalf("set with a bad name: %v", err)
	}
	if _, err := SendToService(ctx, addr, "no-secret", Secret{Kind: APIKey}, time.Time{}); err == nil || !strings.Contains(err.Error(), "needs a token") {
		t.Fatalf("set without a token: %v", err)
	}
	if err := DeleteViaService(ctx, addr, "via-service"); err != nil {
		t.Fatal(err)
	}
	if err := DeleteViaService(ctx, addr, "via-service"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v; want ErrNotFound", err)
	}
	// Garbage on the channel gets an error, not a crash.
	c, err := net.Dial("unix", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("{not json\n"))
	b := make([]byte, 200)
	n, _ := c.Read(b)
	c.Close()
	if !strings.Contains(string(b[:n]), "bad request") {
		t.Fatalf("garbage got %q", b[:n])
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if _, err := os.Lstat(addr); !os.IsNotExist(err) {
		t.Fatalf("the socket outlived the service: %v", err)
	}
	if _, err := SendToService(context.Background(), addr, "x", sec, time.Time{}); !errors.Is(err, ErrServiceNotRunning) {
		t.Fatalf("set with no service: %v; want ErrServiceNotRunning", err)
	}

	// A socket a crashed service left behind: not running, and the next
	// service replaces it.
	stale, err := net.ListenUnix("unix", &net.UnixAddr{Name: addr, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	stale.SetUnlinkOnClose(false)
	stale.Close()
	if err := PingService(context.Background(), addr); !errors.Is(err, ErrServiceNotRunning) {
		t.Fatalf("ping a stale socket: %v", err)
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	go ListenAndServe(ctx2, st, addr)
	waitFor(t, func() bool { return PingService(ctx2, addr) == nil })
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for i := 0; i < 200; i++ {
		if ok() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("timed out")
}

// TestChannelRefusesOtherUsers opens the socket to everyone and checks that
// the service still refuses a peer that is neither root nor its own user.
func TestChannelRefusesOtherUsers(t *testing.T) {
	if addr := os.Getenv("AGENT_TEST_DIAL"); addr != "" {
		err := PingService(context.Background(), addr)
		os.Stdout.WriteString("dial result: " + errString(err) + "\n")
		return
	}
	if os.Getuid() != 0 {
		t.Skip("needs root to run a client as another user")
	}
	dir := shortDir(t)
	os.Chmod(dir, 0o755)
	addr := SocketPath(dir)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go ListenAndServe(ctx, Open(Options{Backend: "file", DataDir: dir}), addr)
	waitFor(t, func() bool { return PingService(ctx, addr) == nil })
	exe := filepath.Join(dir, "client.test")
	if b, err := os.ReadFile(os.Args[0]); err != nil || os.WriteFile(exe, b, 0o755) != nil {
		t.Fatal("copying the test binary", err)
	}
	run := func() string {
		cmd := exec.Command(exe, "-test.run=^TestChannelRefusesOtherUsers$")
		cmd.Env = append(os.Environ(), "AGENT_TEST_DIAL="+addr)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		out, _ := cmd.CombinedOutput()
		return string(out)
	}
	if out := run(); !regexp.MustCompile(`dial result: .*permission denied`).MatchString(out) {
		t.Fatalf("uid 65534 on the 0600 socket: %s", out)
	}
	os.Chmod(addr, 0o666) // as if the mode were lost: the peer check still holds
	if out := run(); !strings.Contains(out, "uid 65534 may not use the channel") {
		t.Fatalf("uid 65534 on an open socket: %s", out)
	}
}

func errString(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}

// TestChannelLargeSecret: a 10 KiB API key goes through the channel; a
// request past the documented 64 KiB gets a clear "too large", from the
// client before it sends and from the service if it is sent anyway.
func TestChannelLargeSecret(t *testing.T) {
	st, _, addr := channelStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go ListenAndServe(ctx, st, addr)
	waitFor(t, func() bool { return PingService(ctx, addr) == nil })

	sec := Secret{Kind: APIKey, Token: strings.Repeat("0123456789abcdef", 640)} // 10 KiB
	if _, err := SendToService(ctx, addr, "long-key", sec, time.Time{}); err != nil {
		t.Fatalf("set a 10 KiB key through the service: %v", err)
	}
	if got, err := st.Get(ctx, "long-key"); err != nil || got != sec {
		t.Fatalf("get the 10 KiB key: %v", err)
	}

	huge := Secret{Kind: APIKey, Token: strings.Repeat("x", 70<<10)}
	if _, err := SendToService(ctx, addr, "huge", huge, time.Time{}); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("set a 70 KiB key: %v; want too large", err)
	}
	c, err := net.Dial("unix", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	go c.Write([]byte(`{"op":"set","name":"huge","secret":{"kind":"api_key","token":"` + huge.Token + "\"}}\n"))
	b := make([]byte, 400)
	n, _ := c.Read(b)
	if !strings.Contains(string(b[:n]), "request too large") || !strings.Contains(string(b[:n]), "64 KiB") {
		t.Fatalf("a 70 KiB request got %q", b[:n])
	}
}

// testAddr is a fresh channel address: a socket in a short folder.
func testAddr(t *testing.T) string { return SocketPath(shortDir(t)) }
