// Package vendorsim is a loopback SaaS vendor for tests and benchmarks: it
// serves N generated users behind an OAuth2 client-credentials token
// endpoint, in any of the REST pagination styles the agent speaks, with
// latency, an announced and enforced rate limit, churn between runs and
// injectable faults. Users are computed from their index, so a million of
// them cost no memory.
package vendorsim

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Pagination styles.
const (
	Cursor      = "cursor"
	OffsetLimit = "offset_limit"
	PageNumber  = "page_number"
	LinkHeader  = "link_header"
	None        = "none"
)

// Faults the simulator can inject.
const (
	FaultNone            = ""
	Fault500Once         = "500_once"         // one 500 at FaultPage, then normal
	Fault429Once         = "429_once"         // one 429 with Retry-After at FaultPage
	Fault500Always       = "500_always"       // FaultPage always answers 500
	FaultRepeatCursor    = "repeat_cursor"    // FaultPage hands out the cursor it was given
	FaultEnvelopeChanged = "envelope_changed" // FaultPage's users are under another key
	FaultTruncatedJSON   = "truncated_json"   // FaultPage's body is cut in the middle
	FaultHTMLPage        = "html_page"        // FaultPage is a 200 HTML error page
	FaultTokenDown       = "token_down"       // the token endpoint answers 503
	FaultUnauthorized    = "unauthorized"     // FaultPage answers 401 whatever the token
)

// Churn is how the user set differs from generation 0, in percent of N.
type Churn struct {
	Changed, Removed, Added, Inactive float64
}

// Config is the simulator's knobs. Zero values are sensible defaults.
type Config struct {
	Users       int
	MaxPageSize int    // the largest page the API serves (default 1000)
	Pagination  string // default Cursor
	Latency     time.Duration
	RatePerSec  int // 0 = unlimited; else announced in headers and enforced with 429
	Churn       Churn
	Generation  int // 0 = the original set; >0 applies Churn
	Fault       string
	FaultPage   int // 1-based; default 2
	ClientID    string
	Secret      string
	TokenTTL    time.Duration // default 1h
}

// Sim is a running simulator's handler; mount it on an httptest.Server.
type Sim struct {
	mu     sync.Mutex
	cfg    Config
	tokens map[string]time.Time
	window struct {
		start time.Time
		used  int
	}
	faulted map[string]bool // one-shot faults already served

	Requests    atomic.Int64 // user-page requests
	Throttled   atomic.Int64 // 429s served
	TokenCalls  atomic.Int64
	PagesServed atomic.Int64
}

// New returns a simulator with cfg.
func New(cfg Config) *Sim {
	if cfg.MaxPageSize == 0 {
		cfg.MaxPageSize = 1000
	}
	if cfg.Pagination == "" {
		cfg.Pagination = Cursor
	}
	if cfg.FaultPage == 0 {
		cfg.FaultPage = 2
	}
	if cfg.TokenTTL == 0 {
		cfg.TokenTTL = time.Hour
	}
	if cfg.ClientID == "" {
		cfg.ClientID, cfg.Secret = "sim-client", "sim-secret"
	}
	return &Sim{cfg: cfg, tokens: map[string]time.Time{}, faulted: map[string]bool{}}
}

// Set changes the knobs between runs (generation, churn, faults...).
func (s *Sim) Set(f func(*Config)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.cfg)
	s.faulted = map[string]bool{}
}

func (s *Sim) config() Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg
}

// ServeHTTP routes POST /oauth/token and GET /v1/users.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/oauth/token" && r.Method == http.MethodPost:
		s.token(w, r)
	case r.URL.Path == "/v1/users" && r.Method == http.MethodGet:
		s.users(w, r)
	default:
		http.NotFound(w, r)
	}
}

// token implements RFC 6749 §4.4 with client authentication in the Basic
// header or in the form body.
func (s *Sim) token(w http.ResponseWriter, r *http.Request) {
	s.TokenCalls.Add(1)
	cfg := s.config()
	if cfg.Fault == FaultTokenDown {
		http.Error(w, `{"error":"temporarily_unavailable"}`, http.StatusServiceUnavailable)
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, `{"error":"unsupported_grant_type"}`)
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != cfg.ClientID || secret != cfg.Secret {
		writeJSON(w, http.StatusUnauthorized, `{"error":"invalid_client"}`)
		return
	}
	var b [16]byte
	rand.Read(b[:])
	tok := hex.EncodeToString(b[:])
	s.mu.Lock()
	s.tokens[tok] = time.Now().Add(cfg.TokenTTL)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, fmt.Sprintf(`{"access_token":%q,"token_type":"Bearer","expires_in":%d}`, tok, int(cfg.TokenTTL.Seconds())))
}

func (s *Sim) authorized(r *http.Request) bool {
	const prefix = "Bearer "
	h := r.Header.Get("Authorization")
	if len(h) <= len(prefix) || h[:len(prefix)] != prefix {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.tokens[h[len(prefix):]]
	return ok && time.Now().Before(exp)
}

// admit applies the rate limit: a fixed one-second window, announced in
// both header families, enforced with 429 and Retry-After.
func (s *Sim) admit(w http.ResponseWriter, rate int) bool {
	if rate <= 0 {
		return true
	}
	s.mu.Lock()
	now := time.Now()
	if now.Sub(s.window.start) >= time.Second {
		s.window.start, s.window.used = now, 0
	}
	reset := s.window.start.Add(time.Second)
	ok := s.window.used < rate
	if ok {
		s.window.used++
	}
	remaining := rate - s.window.used
	s.mu.Unlock()
	resetSecs := max(1, int(time.Until(reset).Seconds()+0.999))
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(rate))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix()+1, 10))
	h.Set("RateLimit-Limit", strconv.Itoa(rate))
	h.Set("RateLimit-Remaining", strconv.Itoa(remaining))
	h.Set("RateLimit-Reset", strconv.Itoa(resetSecs))
	if !ok {
		s.Throttled.Add(1)
		h.Set("Retry-After", strconv.Itoa(resetSecs))
		writeJSON(w, http.StatusTooManyRequests, `{"error":"rate_limited"}`)
	}
	return ok
}

// oneShot reports whether a one-time fault is still to be served.
func (s *Sim) oneShot(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.faulted[name] {
		return false
	}
	s.faulted[name] = true
	return true
}

func writeJSON(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write([]byte(body))
}
