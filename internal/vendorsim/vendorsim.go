// Package vendorsim is a loopback SaaS vendor for tests and benchmarks: it
// serves N generated users behind an OAuth2 client-credentials token
// endpoint, in any of the REST pagination styles the agent speaks or in
// the shape of the Ironclad Clickwrap API (ironclad.go), with latency, an
// announced and enforced rate limit, churn between runs and injectable
// faults (faults.go). Users are computed from their index, so a million of
// them cost no memory. The unit tests, the benchmarks (bench/rig,
// bench/vendorsim) and the installer's walkthrough (installer/ironcladsim)
// all serve it. A Profile (profile.go) is a smaller vendor of its own
// shape, declared from its public docs: the tests of the REST connector's
// templates (vendors/<name>) each declare one.
package vendorsim

import (
	"cmp"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Pagination styles of the REST shape.
const (
	Cursor      = "cursor"
	OffsetLimit = "offset_limit"
	PageNumber  = "page_number"
	LinkHeader  = "link_header"
	None        = "none"
)

// Shapes: what the API looks like.
const (
	// ShapeREST (the default): GET /v1/users, the users under data.users,
	// the pagination of Config.Pagination with parameter "limit".
	ShapeREST = "rest"
	// ShapeIronclad: GET /v1.1/users of Ironclad Clickwrap, page and
	// per_page, the envelope IroncladPage of IroncladUserAt (ironclad.go;
	// Config.Pagination is ignored; an Ironclad user has no status, so
	// Churn.Inactive does nothing).
	ShapeIronclad = "ironclad"
)

// Auth styles: the credential the users endpoint requires.
const (
	AuthOAuth2 = "oauth2_client_credentials" // the default: "Authorization: Bearer <token>" with a token from POST /oauth/token
	AuthAPIKey = "api_key"                   // Config.APIKey in Config.APIKeyHeader, or "Authorization: Bearer <key>"
	AuthBasic  = "basic"                     // HTTP Basic with Config.Username and Config.Password
	AuthNone   = "none"                      // no credential at all
)

// Client authentication methods the token endpoint can insist on
// (Config.ClientAuth; RFC 6749 §2.3.1). By default it takes either.
const (
	ClientAuthHeader = "header" // client ID and secret in the Basic header only
	ClientAuthBody   = "body"   // client_id and client_secret in the form only
)

// Churn is how the user set differs from generation 0, in percent of N.
type Churn struct {
	Changed, Removed, Added, Inactive float64
}

// Config is the simulator's knobs. Zero values are sensible defaults.
type Config struct {
	Users       int
	Shape       string // default ShapeREST
	MaxPageSize int    // the largest page the API serves (default 1000; 100 in ShapeIronclad, as its docs advise)
	Pagination  string // default Cursor
	Latency     time.Duration
	RatePerSec  int // 0 = unlimited; else announced in headers and enforced with 429
	Churn       Churn
	Generation  int // 0 = the original set; >0 applies Churn
	Fault       string
	FaultPage   int           // 1-based; default 2
	Stall       time.Duration // FaultStallOnce: how long the page hangs; default 5s
	ClientID    string
	Secret      string
	TokenTTL    time.Duration // default 1h

	// Auth is the credential the users endpoint requires; default
	// AuthOAuth2 (the only style TOML describes).
	Auth string
	// ClientAuth is the client authentication the token endpoint accepts:
	// ClientAuthHeader, ClientAuthBody, or "" for either. The other method
	// is refused with 401 invalid_client.
	ClientAuth   string
	APIKey       string // AuthAPIKey: the key; default "sim-api-key"
	APIKeyHeader string // AuthAPIKey: the header that carries the bare key; default Authorization, as "Bearer <key>"
	Username     string // AuthBasic; default "sim-user"
	Password     string // AuthBasic; default "sim-password"

	TotalPages   bool // the REST page also carries "total_pages", the page count at the requested limit
	RelativeLink bool // LinkHeader: the next link is a relative reference (path and query), followed by a rel="first" link

	// ExpireTokensAfter, when > 0, makes every access token invalid after
	// that many user pages (a token that expires mid-run: one 401, then a
	// new token works).
	ExpireTokensAfter int
	// ThrottleEvery, when > 0, answers every Nth users request with 429
	// and Retry-After: RetryAfter seconds (default 1).
	ThrottleEvery int
	RetryAfter    int
}

// Sim is a running simulator's handler; mount it on an httptest.Server or
// an http.Server.
type Sim struct {
	mu     sync.Mutex
	cfg    Config
	tokens map[string]*issuedToken
	window struct {
		sec  int64 // the Unix second of the current window
		used int
	}
	faulted map[string]bool // one-shot faults already served
	listing *listing        // offset pagination's index, for the current generation

	issued    []string   // every access token handed out, in order
	tokenForm url.Values // the form of the latest token request that got a token

	Requests    atomic.Int64 // user-page requests, answered or not
	Throttled   atomic.Int64 // 429s served
	TokenCalls  atomic.Int64
	PagesServed atomic.Int64 // pages of users answered with 200
	Refused     atomic.Int64 // user-page requests answered 401 for a missing or wrong credential (not for a fault)

	first, last atomic.Int64 // UnixNano of the first and the latest page request
}

// issuedToken is an access token handed out: when it expires, and how many
// user pages it has read (Config.ExpireTokensAfter).
type issuedToken struct {
	expires time.Time
	pages   int
}

// New returns a simulator with cfg.
func New(cfg Config) *Sim {
	if cfg.Shape == "" {
		cfg.Shape = ShapeREST
	}
	if cfg.MaxPageSize == 0 {
		cfg.MaxPageSize = 1000
		if cfg.Shape == ShapeIronclad {
			cfg.MaxPageSize = 100
		}
	}
	if cfg.Pagination == "" {
		cfg.Pagination = Cursor
	}
	if cfg.FaultPage == 0 {
		cfg.FaultPage = 2
	}
	if cfg.Stall == 0 {
		cfg.Stall = 5 * time.Second
	}
	if cfg.TokenTTL == 0 {
		cfg.TokenTTL = time.Hour
	}
	if cfg.ClientID == "" {
		cfg.ClientID, cfg.Secret = "sim-client", "sim-secret"
	}
	cfg.APIKey = cmp.Or(cfg.APIKey, "sim-api-key")
	cfg.Username = cmp.Or(cfg.Username, "sim-user")
	cfg.Password = cmp.Or(cfg.Password, "sim-password")
	cfg.RetryAfter = cmp.Or(cfg.RetryAfter, 1)
	return &Sim{cfg: cfg, tokens: map[string]*issuedToken{}, faulted: map[string]bool{}}
}

// Set changes the knobs between runs (generation, churn, faults...) and
// re-arms the one-shot faults.
func (s *Sim) Set(f func(*Config)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.cfg)
	s.faulted = map[string]bool{}
}

// Config returns the current knobs.
func (s *Sim) Config() Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg
}

// Stats are the counters since the last ResetStats.
type Stats struct {
	Requests, Throttled, TokenCalls, PagesServed, Refused int64
	First, Last                                           time.Time // the first and the latest page request
}

// Stats reads the counters.
func (s *Sim) Stats() Stats {
	st := Stats{Requests: s.Requests.Load(), Throttled: s.Throttled.Load(), TokenCalls: s.TokenCalls.Load(), PagesServed: s.PagesServed.Load(), Refused: s.Refused.Load()}
	if f := s.first.Load(); f != 0 {
		st.First, st.Last = time.Unix(0, f), time.Unix(0, s.last.Load())
	}
	return st
}

// ResetStats zeroes the counters.
func (s *Sim) ResetStats() {
	s.Requests.Store(0)
	s.Throttled.Store(0)
	s.TokenCalls.Store(0)
	s.PagesServed.Store(0)
	s.Refused.Store(0)
	s.first.Store(0)
	s.last.Store(0)
}

// UsersPath is the path of the users endpoint of the configured shape.
func (c Config) UsersPath() string {
	if c.Shape == ShapeIronclad {
		return "/v1.1/users"
	}
	return "/v1/users"
}

// ServeHTTP routes POST /oauth/token and GET of the users path.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	cfg := s.Config()
	switch {
	case r.URL.Path == "/oauth/token" && r.Method == http.MethodPost:
		s.token(w, r)
	case r.URL.Path == cfg.UsersPath() && r.Method == http.MethodGet:
		s.users(w, r)
	case cfg.Shape == ShapeIronclad:
		ironcladError(w, http.StatusNotFound, "NotFoundError", "no such route")
	default:
		http.NotFound(w, r)
	}
}

// admit applies Config.ThrottleEvery to the nth users request, then the
// rate limit: RatePerSec requests in each second of the clock (windows
// aligned to the second, as Okta aligns its own to the minute), announced
// in both header families (X-RateLimit-Reset as the Unix time of the next
// window, RateLimit-Reset as the seconds until it), enforced with 429 and
// Retry-After.
func (s *Sim) admit(w http.ResponseWriter, cfg Config, n int64) bool {
	if cfg.ThrottleEvery > 0 && n%int64(cfg.ThrottleEvery) == 0 {
		w.Header().Set("Retry-After", strconv.Itoa(cfg.RetryAfter))
		s.throttle(w, cfg)
		return false
	}
	rate := cfg.RatePerSec
	if rate <= 0 {
		return true
	}
	s.mu.Lock()
	now := time.Now()
	if sec := now.Unix(); sec != s.window.sec {
		s.window.sec, s.window.used = sec, 0
	}
	reset := time.Unix(s.window.sec+1, 0)
	ok := s.window.used < rate
	if ok {
		s.window.used++
	}
	remaining := rate - s.window.used
	s.mu.Unlock()
	resetSecs := strconv.Itoa(int(reset.Sub(now).Seconds() + 0.999))
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(rate))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
	h.Set("RateLimit-Limit", strconv.Itoa(rate))
	h.Set("RateLimit-Remaining", strconv.Itoa(remaining))
	h.Set("RateLimit-Reset", resetSecs)
	if !ok {
		h.Set("Retry-After", resetSecs)
		s.throttle(w, cfg)
	}
	return ok
}

// throttle answers 429 in the shape's error form.
func (s *Sim) throttle(w http.ResponseWriter, cfg Config) {
	s.Throttled.Add(1)
	if cfg.Shape == ShapeIronclad {
		ironcladError(w, http.StatusTooManyRequests, "RateLimitExceededError", "the rate limit of this period is used up")
		return
	}
	writeJSON(w, http.StatusTooManyRequests, `{"error":"rate_limited"}`)
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
