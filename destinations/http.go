package destinations

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"

	"github.com/agentsync/agent/vendors/web"
)

// Defaults of a destination's HTTP client. The retries follow Oomnitza's
// own connector: 429 and 5xx, exponential backoff from half a second.
const (
	DefaultAttempts       = 6
	DefaultBackoff        = 500 * time.Millisecond
	DefaultMaxWait        = 2 * time.Minute
	DefaultRequestTimeout = 60 * time.Second
	DefaultConnectTimeout = 10 * time.Second
	maxAnswerBytes        = 4 << 20
)

// ErrCredential marks a destination that refused the credential (HTTP 401
// or 403): an admin must fix it; a retry will not.
var ErrCredential = errors.New("credential refused")

// ErrRedirect marks an answer that moves the endpoint elsewhere: the
// credential is never sent after it (see README, Security).
var ErrRedirect = errors.New("redirected")

// Client is the HTTP side every destination shares: verified TLS, bounded
// retries with backoff and Retry-After (package web), cookies kept for the
// one endpoint (a CSRF token's session), no redirects, and every answer's
// text redacted before it is shortened into an error.
type Client struct {
	http *http.Client
	red  Redactor
	name string
	base string // the configured url's path
}

// NewClient builds the client of destination cfg.
func NewClient(cfg Config) (*Client, error) {
	attempts := cfg.HTTP.Attempts
	if attempts == 0 {
		attempts = DefaultAttempts
	}
	t, err := web.NewTransport(web.Options{
		UserAgent:        cfg.UserAgent,
		ConnectTimeout:   DefaultConnectTimeout,
		RequestTimeout:   DefaultRequestTimeout,
		MaxResponseBytes: maxAnswerBytes,
		Attempts:         attempts,
		Backoff:          DefaultBackoff,
		MaxWait:          DefaultMaxWait,
		Logger:           cfg.Logger,
		Sleep:            cfg.HTTP.Sleep,
		Redactor:         cfg.Redactor,
	})
	if err != nil {
		return nil, fmt.Errorf("destination %s: %w", cfg.Name, err)
	}
	jar, _ := cookiejar.New(nil) // never fails without options
	c := &http.Client{
		Transport: t,
		Jar:       jar,
		// A POST is not followed anywhere: the admin sets the final URL.
		CheckRedirect: func(req *http.Request, via []*http.Request) error { return http.ErrUseLastResponse },
	}
	base := ""
	if u, err := url.Parse(cfg.URL); err == nil {
		base = strings.TrimRight(u.Path, "/")
	}
	return &Client{http: c, red: cfg.Redactor, name: cfg.Name, base: base}, nil
}

// Do sends one request (body may be nil) and returns the answer's status,
// headers and body when it is a 2xx; anything else is an error naming the
// destination, the request and the answer, with no secret in it.
func (c *Client) Do(ctx context.Context, method, target string, header http.Header, body []byte) (http.Header, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		return nil, nil, fmt.Errorf("destination %s: %s: the url does not parse", c.name, method)
	}
	if body == nil {
		req.Body, req.GetBody, req.ContentLength = http.NoBody, nil, 0
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text repeats the whole URL
		}
		return nil, nil, fmt.Errorf("destination %s: %s: %s", c.name, c.where(method, req.URL), c.redact(err.Error()))
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body) // in memory already (web.Transport)
	answer := buf.Bytes()
	if resp.StatusCode/100 == 2 {
		return resp.Header, answer, nil
	}
	// Describe redacts the whole answer before it shortens it: a secret cut
	// in half would no longer match.
	what := web.Describe(resp, answer, c.red)
	var err2 error
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		err2 = fmt.Errorf("destination %s: %s: %s: %w: check the credential", c.name, c.where(method, req.URL), what, ErrCredential)
	case resp.StatusCode/100 == 3:
		to := "elsewhere"
		if loc, err := req.URL.Parse(resp.Header.Get("Location")); err == nil {
			to = "to " + web.Origin(loc) // its origin only: a path or query may hold a token
		}
		err2 = fmt.Errorf("destination %s: %s: %s %s: %w: set url to the final address", c.name, c.where(method, req.URL), what, to, ErrRedirect)
	default:
		err2 = fmt.Errorf("destination %s: %s: %s", c.name, c.where(method, req.URL), what)
	}
	return nil, nil, &StatusError{Code: resp.StatusCode, err: err2}
}

// StatusError is an answer that was not a 2xx (after retries).
type StatusError struct {
	Code int
	err  error
}

func (e *StatusError) Error() string { return e.err.Error() }
func (e *StatusError) Unwrap() error { return e.err }

// where names a request in an error: its method and path, except the
// configured url's own path (a webhook's), which may hold a token (hook
// URLs often do) and is shown as "url"; the status page hides it too.
func (c *Client) where(method string, u *url.URL) string {
	if p := strings.TrimRight(u.Path, "/"); p != "" && p == c.base {
		return method + " url"
	}
	return method + " " + u.Path
}

func (c *Client) redact(s string) string {
	if c.red == nil {
		return s
	}
	return c.red.String(s)
}
