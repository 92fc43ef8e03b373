// Package web is the HTTP layer every HTTP vendor shares, written once:
// timeouts, the User-Agent, gzip, a cap on a response's size, TLS that is
// always verified (with an optional CA bundle for a TLS-inspecting proxy),
// HTTPS_PROXY, bounded retries with backoff and jitter, Retry-After with a
// ceiling, and pacing from the rate-limit headers an API announces. It
// also holds the parsers of those headers and the strict JSON decoding
// that tells a vendor's answer from an HTML error page.
//
// A Transport is an http.RoundTripper: the vendor's requests and the OAuth2
// token requests (golang.org/x/oauth2 takes an *http.Client) go through the
// same retries and pacing. RoundTrip reads the whole body (up to the cap)
// before it returns, so a connection that breaks mid-body is retried like
// one that never answered; callers then read a body that is in memory.
//
// What RoundTrip retries: 429, 500, 502, 503, 504 and connection errors
// (including a request that outlived its timeout), up to Attempts tries in
// all. It waits the Retry-After the server asked for (seconds or an HTTP
// date) or else Backoff doubled on every try, with jitter; no single wait
// is longer than MaxWait, and a Retry-After beyond MaxWait fails at once.
// Everything else, 401 and 403 included, is returned to the caller, which
// knows what a refused credential means.
//
// Credentials stay on their origin: the client follows a redirect only
// within the request's scheme, host and port (SameOrigin), and text a
// vendor sent passes the run's Redactor before it is shortened (Clip).
package web

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a Transport. Zero values take the defaults of
// package vendors (DefaultRequestTimeout and friends) via the caller; a
// zero here means "none" only where documented.
type Options struct {
	UserAgent        string        // sent when a request sets none
	CAFile           string        // PEM roots added to the system's; "" = system roots only
	ConnectTimeout   time.Duration // dial and TLS handshake
	RequestTimeout   time.Duration // one attempt, body included; 0 = none
	MaxResponseBytes int64         // a larger body fails with ErrTooLarge; 0 = no cap
	Attempts         int           // tries per request; < 1 means 1
	Backoff          time.Duration // the first retry's wait, doubled on each one
	MaxWait          time.Duration // ceiling of any one wait; 0 = no ceiling
	Logger           *slog.Logger  // retries and pacing, at warn and debug; nil discards
	Redactor         Redactor      // the run's secrets, kept out of what the transport logs; nil: none

	// Sleep waits d unless ctx ends first; nil uses a timer. Tests
	// replace it to keep retries instant.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock for Retry-After dates and rate-limit resets; nil
	// uses time.Now.
	Now func() time.Time
	// Base carries the requests; nil builds an http.Transport from the
	// options above (proxy from the environment, verified TLS).
	Base http.RoundTripper
	// Observe, when set, is told of each attempt (EventRequest), each 429
	// answer (EventRateLimited) and each retry decided (EventRetry), with
	// the request's host[:port] (never a path or query): what the run's
	// metrics count. It must not block.
	Observe func(event, host string)
}

// The events of Options.Observe.
const (
	EventRequest     = "request"
	EventRetry       = "retry"
	EventRateLimited = "429"
)

// Errors callers branch on; they arrive wrapped.
var (
	ErrTooLarge   = errors.New("response too large")
	ErrHTML       = errors.New("an HTML page, not JSON")
	ErrNotJSON    = errors.New("not JSON")
	ErrGaveUp     = errors.New("gave up after retries")
	ErrRetryAfter = errors.New("asked to wait longer than max_wait")
)

// Transport is the retrying, pacing RoundTripper. It is safe for
// concurrent use; pacing state is shared by every request through it, so
// make one per integration run.
type Transport struct {
	o    Options
	base http.RoundTripper
	log  *slog.Logger

	mu     sync.Mutex
	nextAt time.Time // pacing: no request before this
	// lastBody is the size of the last body read: the room a body of
	// unknown length (chunked, or decompressed) gets up front, since a
	// source's pages are much alike.
	lastBody atomic.Int64
}

// NewClient returns an http.Client over a new Transport. The client has
// no overall timeout (each attempt has RequestTimeout; the caller's
// context bounds the run) and follows redirects only within the
// request's origin (CheckRedirect).
func NewClient(o Options) (*http.Client, error) {
	t, err := NewTransport(o)
	if err != nil {
		return nil, err
	}
	return &http.Client{Transport: t, CheckRedirect: CheckRedirect}, nil
}

// NewTransport builds the Transport; it fails only on a CA file that
// cannot be read or holds no certificate.
func NewTransport(o Options) (*Transport, error) {
	if o.Attempts < 1 {
		o.Attempts = 1
	}
	if o.Sleep == nil {
		o.Sleep = Sleep
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	t := &Transport{o: o, base: o.Base, log: o.Logger}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	if t.base == nil {
		tlsConf, err := tlsConfig(o.CAFile)
		if err != nil {
			return nil, err
		}
		dialer := &net.Dialer{Timeout: o.ConnectTimeout, KeepAlive: 30 * time.Second}
		t.base = &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           dialer.DialContext,
			TLSClientConfig:       tlsConf,
			TLSHandshakeTimeout:   o.ConnectTimeout,
			ForceAttemptHTTP2:     true,
			MaxIdleConnsPerHost:   4,
			IdleConnTimeout:       90 * time.Second,
			ExpectContinueTimeout: time.Second,
		}
	}
	return t, nil
}

// tlsConfig verifies certificates always: there is no switch to turn that
// off. caFile adds roots to the system's.
func tlsConfig(caFile string) (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile == "" {
		return c, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("http.ca_file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("http.ca_file %s holds no PEM certificate", caFile)
	}
	c.RootCAs = pool
	return c, nil
}

// Sleep waits d unless ctx ends first (the default Options.Sleep).
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Retryable reports whether an HTTP status is worth another try.
func Retryable(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// RoundTrip sends req, retrying and pacing as the package comment says.
// The returned response's body is in memory.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	for attempt := 1; ; attempt++ {
		// A retry paces too: a 500 or 429 that says the window is spent
		// must not be answered by a request inside that window.
		if err := t.pace(ctx); err != nil {
			if attempt == 1 && req.Body != nil {
				req.Body.Close() // a RoundTripper closes the body, even on errors
			}
			return nil, err
		}
		t.event(EventRequest, req)
		resp, body, err := t.once(req, attempt)
		if err != nil && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if errors.Is(err, ErrTooLarge) {
			return nil, err
		}
		var wait time.Duration
		what := ""
		if err == nil {
			t.observe(resp.Header)
			if !Retryable(resp.StatusCode) {
				resp.Body = &Body{Reader: bytes.NewReader(body), b: body}
				resp.ContentLength = int64(len(body))
				return resp, nil
			}
			if resp.StatusCode == http.StatusTooManyRequests {
				t.event(EventRateLimited, req)
			}
			what = "HTTP " + redact(t.o.Redactor, resp.Status) // the reason phrase is the server's to fill
			if d, ok := RetryAfter(resp.Header.Get("Retry-After"), t.serverNow(resp.Header)); ok {
				if t.o.MaxWait > 0 && d > t.o.MaxWait {
					return nil, fmt.Errorf("%w: %s: the server asked to retry after %s (Retry-After), more than max_wait %s", ErrRetryAfter, what, d.Round(time.Second), t.o.MaxWait)
				}
				wait = d
			}
		} else {
			what = redact(t.o.Redactor, err.Error())
		}
		if attempt >= t.o.Attempts {
			return nil, fmt.Errorf("%w: %s (%d attempts)", ErrGaveUp, what, attempt)
		}
		if wait == 0 {
			wait = t.backoff(attempt)
		}
		t.event(EventRetry, req)
		t.log.Warn("retrying a request", "host", req.URL.Host, "path", req.URL.Path, "attempt", attempt, "cause", what, "wait", wait)
		if err := t.o.Sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// event tells Options.Observe, when set.
func (t *Transport) event(name string, req *http.Request) {
	if t.o.Observe != nil {
		t.o.Observe(name, req.URL.Host)
	}
}

// once makes one attempt and reads its body.
func (t *Transport) once(req *http.Request, attempt int) (*http.Response, []byte, error) {
	ctx := req.Context()
	cancel := context.CancelFunc(func() {})
	if t.o.RequestTimeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, t.o.RequestTimeout)
	}
	defer cancel()
	r := req.Clone(ctx)
	if attempt > 1 && req.Body != nil && req.Body != http.NoBody {
		if req.GetBody == nil {
			return nil, nil, errors.New("cannot retry a request whose body cannot be read again")
		}
		b, err := req.GetBody()
		if err != nil {
			return nil, nil, err
		}
		r.Body = b
	}
	if r.Header.Get("User-Agent") == "" && t.o.UserAgent != "" {
		r.Header.Set("User-Agent", t.o.UserAgent)
	}
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	length := resp.ContentLength
	if length < 0 {
		length = t.lastBody.Load()
	}
	body, err := readCapped(resp.Body, length, t.o.MaxResponseBytes)
	if err != nil {
		return nil, nil, err
	}
	t.lastBody.Store(int64(len(body)))
	return resp, body, nil
}

// Body is the body of a response the Transport returns: read already,
// whole, and readable again. Bytes gives it without a copy.
type Body struct {
	*bytes.Reader
	b []byte
}

// Bytes is the whole body; the caller must not change it.
func (b *Body) Bytes() []byte { return b.b }

// Close does nothing: the body is in memory.
func (b *Body) Close() error { return nil }

// ReadAll reads a response's body: without a copy when the Transport read
// it already (Body).
func ReadAll(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	if b, ok := resp.Body.(*Body); ok {
		return b.Bytes(), nil
	}
	return io.ReadAll(resp.Body)
}

// readCapped reads all of r, failing with ErrTooLarge past max bytes. A
// body whose length is known or guessed (the response's Content-Length,
// else the last body's) is read into a buffer of that size at once
// (io.ReadAll grows its buffer by copying: twice a page's size in all).
func readCapped(r io.Reader, length, max int64) ([]byte, error) {
	if max <= 0 {
		max = 1<<63 - 2
	}
	var buf bytes.Buffer
	if length > 0 && length <= max {
		// At most 8 MiB up front: a server that announces more than it
		// sends does not get to size our memory.
		buf.Grow(int(min(length, 8<<20)) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	b := buf.Bytes()
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%w: more than %d MiB (http.max_response_mb)", ErrTooLarge, max>>20)
	}
	return b, nil
}

// backoff is Backoff·2^(attempt-1), between half and all of it at random
// (jitter keeps many agents from retrying in step), at most MaxWait.
func (t *Transport) backoff(attempt int) time.Duration {
	if t.o.Backoff <= 0 {
		return 0
	}
	d := t.o.Backoff << min(attempt-1, 20)
	if t.o.MaxWait > 0 && (d > t.o.MaxWait || d <= 0) {
		d = t.o.MaxWait
	}
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}

// serverNow is the server's clock when it answered (its Date header), so
// that an HTTP-date Retry-After or an epoch reset does not depend on ours.
// A Date counts whole seconds, though: when our clock agrees with it (reads
// a time in that second, give or take one), ours is the same clock read
// finer, and a rate-limit window of a second is timed to the millisecond.
func (t *Transport) serverNow(h http.Header) time.Time {
	now := t.o.Now()
	d, err := http.ParseTime(h.Get("Date"))
	if err != nil {
		return now
	}
	if skew := now.Sub(d); skew >= -time.Second && skew < 2*time.Second {
		return now
	}
	return d
}

// observe reads the rate-limit headers of a response and sets when the
// next request may go: with a budget nearly spent, the rest of the window
// is shared evenly by the requests left; with none left, wait for the
// reset.
func (t *Transport) observe(h http.Header) {
	q, ok := ParseRateLimit(h, t.serverNow(h))
	if !ok {
		return
	}
	wait := q.Pause()
	if wait <= 0 {
		return
	}
	if t.o.MaxWait > 0 && wait > t.o.MaxWait {
		wait = t.o.MaxWait
	}
	t.mu.Lock()
	t.nextAt = t.o.Now().Add(wait)
	t.mu.Unlock()
	t.log.Debug("pacing to the announced rate limit", "remaining", q.Remaining, "limit", q.Limit, "reset", q.Reset, "wait", wait)
}

// pace waits until the next request may go.
func (t *Transport) pace(ctx context.Context) error {
	t.mu.Lock()
	d := t.nextAt.Sub(t.o.Now())
	t.mu.Unlock()
	if d <= 0 {
		return nil
	}
	return t.o.Sleep(ctx, d)
}

// Describe is a short account of a response that is not what the caller
// wanted: the status, and the vendor's own error text when the body is a
// small JSON object or an HTML page's title. It is meant for errors, so it
// is bounded in length, and red (may be nil) takes the secrets out of the
// vendor's text before it is shortened.
func Describe(resp *http.Response, body []byte, red Redactor) string {
	s := "HTTP " + redact(red, resp.Status)
	if resp.Status == "" {
		s = "HTTP " + strconv.Itoa(resp.StatusCode)
	}
	if t := htmlTitle(body, red); t != "" {
		return s + ": an HTML page titled " + strconv.Quote(t)
	}
	if msg := errorText(body, red); msg != "" {
		return s + ": " + msg
	}
	return s
}
