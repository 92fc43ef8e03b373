//go:build unix

package credentials

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/agentsync/agent/internal/osdir"
)

// SocketName is the channel's Unix socket inside data_dir.
const SocketName = "agent.sock"

// adminName is who may use the channel.
const adminName = "root (or the service's user)"

// SocketPath is the service's channel address for data_dir: the Unix
// socket data_dir/agent.sock.
func SocketPath(dataDir string) string { return filepath.Join(dataDir, SocketName) }

// Listen opens the channel's Unix socket at path with mode 0600, replacing
// a stale socket a crashed service left behind. It fails when another
// service answers there.
func Listen(path string) (net.Listener, error) {
	if len(path) > 100 {
		return nil, fmt.Errorf("credentials channel: socket path %s is too long for a Unix socket (max ~100 bytes): use a shorter data_dir", path)
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("credentials channel: %s exists and is not a socket", path)
		}
		if c, err := net.Dial("unix", path); err == nil {
			c.Close()
			return nil, fmt.Errorf("credentials channel: another agent service already listens on %s", path)
		}
		os.Remove(path)
	}
	if err := osdir.MkdirPrivate(filepath.Dir(path)); err != nil {
		return nil, fmt.Errorf("credentials channel: %w", err)
	}
	// Bind under a temporary name, restrict it, then move it in place: the
	// socket is never reachable at path with a wider mode.
	tmp := filepath.Join(filepath.Dir(path), ".sock."+strconv.Itoa(os.Getpid()))
	os.Remove(tmp)
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("credentials channel: %w", err)
	}
	l.SetUnlinkOnClose(false)
	if err := os.Chmod(tmp, 0o600); err != nil {
		l.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("credentials channel: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		l.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("credentials channel: %w", err)
	}
	return &unixListener{UnixListener: l, path: path}, nil
}

// unixListener removes its socket file when closed; a Close returns once
// the file is gone, whichever goroutine closed first.
type unixListener struct {
	*net.UnixListener
	path string
	once sync.Once
	err  error
}

func (l *unixListener) Close() error {
	l.once.Do(func() {
		l.err = l.UnixListener.Close()
		os.Remove(l.path)
	})
	return l.err
}

func dial(ctx context.Context, addr string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "unix", addr)
}
