package credentials

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"sync"
	"syscall"
	"time"
)

// The local channel: `agent credentials set|delete` hands the secret to the
// running service, which stores it in its own keyring. One request and one
// answer per connection, each a JSON line.

// ErrServiceNotRunning means nothing listens on the service's channel.
var ErrServiceNotRunning = errors.New("the agent service is not running")

// maxRequest bounds a request line, newline included: 64 KiB, room for
// any secret a keyring backend holds (a credential is usually a few
// hundred bytes).
const maxRequest = 64 << 10

// errTooLarge is a request line longer than maxRequest.
var errTooLarge = fmt.Errorf("credentials channel: request too large (the channel takes at most %d KiB)", maxRequest>>10)

// connTimeout bounds one exchange on the channel.
const connTimeout = 30 * time.Second

// handshakeTimeout bounds the ping that opens every handover: a service
// answers it at once. A first connection that gets no answer is tried
// once more (Wine hands a listener's first client to go-winio's
// name-reserving pipe instance, which nobody serves; see Listen).
var handshakeTimeout = 3 * time.Second

// errNoAnswer is a connection the service accepted but did not answer.
var errNoAnswer = errors.New("no answer")

type request struct {
	Op        string        `json:"op"` // set | delete | ping
	Name      string        `json:"name,omitempty"`
	Secret    *secretFields `json:"secret,omitempty"`
	ExpiresAt time.Time     `json:"expires_at,omitzero"`
}

type response struct {
	OK       bool   `json:"ok"`
	Error    string `json:"error,omitempty"`
	NotFound bool   `json:"not_found,omitempty"`
	Meta     *Meta  `json:"meta,omitempty"`
}

// ListenAndServe listens on addr (SocketPath) and serves the channel until
// ctx ends.
func ListenAndServe(ctx context.Context, st *Store, addr string) error {
	l, err := Listen(addr)
	if err != nil {
		return err
	}
	return Serve(ctx, st, l)
}

// Serve answers the channel's requests on l with st until ctx ends, then
// closes l and returns nil. Each request is handled in its own goroutine;
// st is safe for that.
func Serve(ctx context.Context, st *Store, l net.Listener) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	stop := context.AfterFunc(ctx, func() { l.Close() })
	defer stop()
	defer l.Close()
	for {
		c, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("credentials channel: %w", err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			handle(ctx, st, c)
		}()
	}
}

func handle(ctx context.Context, st *Store, c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(connTimeout))
	answer := func(r response) { json.NewEncoder(c).Encode(r) }
	if err := authorize(c); err != nil {
		answer(response{Error: err.Error()})
		return
	}
	buf := make([]byte, maxRequest)
	defer clear(buf)
	line, err := readLine(c, buf)
	if errors.Is(err, errTooLarge) {
		answer(response{Error: err.Error()})
		return
	}
	if err != nil {
		answer(response{Error: "credentials channel: bad request"})
		return
	}
	var req request
	if json.Unmarshal(line, &req) != nil {
		answer(response{Error: "credentials channel: bad request"})
		return
	}
	switch req.Op {
	case "ping":
		answer(response{OK: true})
	case "set":
		if req.Secret == nil {
			answer(response{Error: "credentials channel: set without a secret"})
			return
		}
		m, err := st.Set(ctx, req.Name, Secret(*req.Secret), req.ExpiresAt)
		if err != nil {
			answer(response{Error: err.Error()})
			return
		}
		answer(response{OK: true, Meta: &m})
	case "delete":
		if err := st.Delete(ctx, req.Name); err != nil {
			answer(response{Error: err.Error(), NotFound: errors.Is(err, ErrNotFound)})
			return
		}
		answer(response{OK: true})
	default:
		answer(response{Error: fmt.Sprintf("credentials channel: unknown op %q", req.Op)})
	}
}

// readLine reads one newline-terminated line from r into buf and returns
// it; a line that does not fit in buf is errTooLarge. The caller clears
// buf: it may hold a secret.
func readLine(r io.Reader, buf []byte) ([]byte, error) {
	n := 0
	for {
		m, err := r.Read(buf[n:])
		if i := bytes.IndexByte(buf[n:n+m], '\n'); i >= 0 {
			return buf[:n+i+1], nil
		}
		n += m
		if err != nil {
			return nil, err
		}
		if n == len(buf) {
			return nil, errTooLarge
		}
	}
}

// SendToService hands credential name to the service listening on addr,
// which stores it in its own keyring and returns its metadata. The error
// wraps ErrServiceNotRunning when nothing listens there.
func SendToService(ctx context.Context, addr, name string, sec Secret, expiresAt time.Time) (Meta, error) {
	fields := secretFields(sec)
	req := request{Op: "set", Name: name, ExpiresAt: expiresAt, Secret: &fields}
	resp, err := exchange(ctx, addr, req)
	if err != nil {
		return Meta{}, err
	}
	if resp.Meta == nil {
		return Meta{}, fmt.Errorf("the agent service at %s: no metadata in the answer", addr)
	}
	return *resp.Meta, nil
}

// DeleteViaService asks the service listening on addr to delete credential
// name. The error wraps ErrServiceNotRunning when nothing listens there,
// ErrNotFound when the service has no such credential.
func DeleteViaService(ctx context.Context, addr, name string) error {
	_, err := exchange(ctx, addr, request{Op: "delete", Name: name})
	return err
}

// PingService reports whether the service answers on addr (nil), is not
// running (ErrServiceNotRunning) or cannot be reached (another error). It
// waits handshakeTimeout for the answer and tries a second connection
// once when the first got none.
func PingService(ctx context.Context, addr string) error {
	ping := []byte(`{"op":"ping"}` + "\n")
	_, err := roundTrip(ctx, addr, ping, handshakeTimeout)
	if errors.Is(err, errNoAnswer) {
		_, err = roundTrip(ctx, addr, ping, handshakeTimeout)
	}
	return err
}

// exchange hands req to the service on addr and returns its answer. A
// ping comes first, with a short timeout and one retry (PingService), so
// that a connection nobody serves costs seconds, not connTimeout, and the
// request itself (a set or delete, not safe to send twice) goes once, on
// a channel known to answer.
func exchange(ctx context.Context, addr string, req request) (response, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return response{}, err
	}
	defer clear(b)
	if len(b)+1 > maxRequest {
		return response{}, fmt.Errorf("credential %q: too large to hand to the agent service (%d bytes; the channel takes at most %d KiB)", req.Name, len(b)+1, maxRequest>>10)
	}
	if err := PingService(ctx, addr); err != nil {
		return response{}, err
	}
	line := append(b, '\n')
	defer clear(line)
	return roundTrip(ctx, addr, line, connTimeout)
}

// roundTrip sends the request line (JSON and a newline) on a new
// connection to addr and reads the answer, waiting at most timeout.
func roundTrip(ctx context.Context, addr string, line []byte, timeout time.Duration) (response, error) {
	c, err := dial(ctx, addr)
	if err != nil {
		if notListening(err) {
			return response{}, fmt.Errorf("%w (nothing listens on %s)", ErrServiceNotRunning, addr)
		}
		if errors.Is(err, fs.ErrPermission) {
			return response{}, fmt.Errorf("the agent service at %s: permission denied: run this command as %s", addr, adminName)
		}
		return response{}, fmt.Errorf("the agent service at %s: %w", addr, err)
	}
	defer c.Close()
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	c.SetDeadline(deadline)
	_, werr := c.Write(line)
	// A service that refuses the peer answers before reading: its answer
	// is worth more than the broken pipe.
	var resp response
	if err := json.NewDecoder(io.LimitReader(c, maxRequest)).Decode(&resp); err != nil {
		if werr != nil {
			err = werr
		}
		return response{}, fmt.Errorf("the agent service at %s: %w within %s: %w", addr, errNoAnswer, timeout, err)
	}
	if !resp.OK {
		if resp.NotFound {
			return resp, fmt.Errorf("the agent service: %s (%w)", resp.Error, ErrNotFound)
		}
		return resp, fmt.Errorf("the agent service: %s", resp.Error)
	}
	return resp, nil
}

// notListening reports a dial error that means no service is there.
func notListening(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT)
}
