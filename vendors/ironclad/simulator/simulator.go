// Package simulator is a loopback Ironclad Clickwrap for tests: an
// http.Handler (mount it on an httptest.Server) that issues OAuth2 tokens,
// expires them, lists the account's users page by page and rate-limits,
// with the request and response shapes of the public Clickwrap docs. Each
// shape names the page it comes from; see also ../README.md.
package simulator

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// User is one user of the account. The field names follow the seed's
// mapping list (Email, Locale, Name, Time Zone, User Id, Verified,
// Verified Time) in the snake_case the Clickwrap REST API uses for its
// envelope (page, per_page, total_count, has_more); the public pages we
// read do not print a user object, so these names are the assumption the
// default mapping makes (README.md says so too).
type User struct {
	ID           int64  `json:"id"`
	Email        string `json:"email"`
	Name         string `json:"name"`
	Locale       string `json:"locale"`
	TimeZone     string `json:"time_zone"`
	Verified     bool   `json:"verified"`
	VerifiedTime string `json:"verified_time"`
}

// Config is the simulator's knobs; zero values are sensible.
type Config struct {
	ClientID, ClientSecret string        // default "sim-client", "sim-secret"
	TokenTTL               time.Duration // expires_in of a token; default 1h
	MaxPerPage             int           // the largest per_page served; default 100
	Users                  []User

	// ExpireTokensAfter, when > 0, makes every token invalid after that
	// many user pages (a token that expires mid-run).
	ExpireTokensAfter int
	// ThrottleEvery, when > 0, answers every Nth users request with 429
	// and Retry-After: RetryAfter seconds (default 1).
	ThrottleEvery int
	RetryAfter    int
}

// Sim is a running simulator. Its counters are safe to read at any time.
type Sim struct {
	mu     sync.Mutex
	cfg    Config
	tokens map[string]*token

	TokenRequests atomic.Int64 // POST /oauth/token
	PageRequests  atomic.Int64 // GET /v1.1/users, answered or not
	Throttled     atomic.Int64 // 429s served
	Refused       atomic.Int64 // 401s served
}

type token struct {
	expires time.Time
	pages   int
}

// New returns a simulator serving cfg.
func New(cfg Config) *Sim {
	if cfg.ClientID == "" {
		cfg.ClientID, cfg.ClientSecret = "sim-client", "sim-secret"
	}
	if cfg.TokenTTL == 0 {
		cfg.TokenTTL = time.Hour
	}
	if cfg.MaxPerPage == 0 {
		cfg.MaxPerPage = 100
	}
	if cfg.RetryAfter == 0 {
		cfg.RetryAfter = 1
	}
	return &Sim{cfg: cfg, tokens: map[string]*token{}}
}

// Set changes the knobs (users, faults) between runs.
func (s *Sim) Set(f func(*Config)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.cfg)
}

// Users generates n users with every field set: UserAt(0) to UserAt(n-1).
func Users(n int) []User {
	out := make([]User, n)
	for i := range out {
		out[i] = UserAt(i)
	}
	return out
}

// UserAt is user i of Users, computed from i alone, so that a simulator
// of millions of users (internal/vendorsim) holds none of them.
func UserAt(i int) User {
	locales := [...]string{"en-US", "en-GB", "fr-FR", "de-DE"}
	zones := [...]string{"America/New_York", "Europe/London", "Europe/Paris", "Europe/Berlin"}
	return User{
		ID:           int64(1000 + i),
		Email:        fmt.Sprintf("User%04d@Example.com", i),
		Name:         fmt.Sprintf("User Number %d", i),
		Locale:       locales[i%len(locales)],
		TimeZone:     zones[i%len(zones)],
		Verified:     i%3 != 0,
		VerifiedTime: time.Date(2024, 3, 1, 9, 30, 0, 0, time.UTC).Add(time.Duration(i) * time.Hour).Format(time.RFC3339),
	}
}

// Page is the envelope of one page of users, as "Pagination" (REST API
// reference) shows it.
type Page struct {
	Page       int    `json:"page"`
	PerPage    int    `json:"per_page"`
	Count      int    `json:"count"`
	TotalCount int    `json:"total_count"`
	HasMore    bool   `json:"has_more"`
	Data       []User `json:"data"`
}

// ServeHTTP routes POST /oauth/token and GET /v1.1/users.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/oauth/token" && r.Method == http.MethodPost:
		s.token(w, r)
	case r.URL.Path == "/v1.1/users" && r.Method == http.MethodGet:
		s.users(w, r)
	default:
		APIError(w, http.StatusNotFound, "NotFoundError", "no such route")
	}
}

// token is the OAuth 2.0 client credentials grant (RFC 6749 §4.4), which
// the Clickwrap docs' "Create/Regenerate Access Token" and "Authentication
// (REST API)" pages describe as OAuth 2.0: a form POST with
// grant_type=client_credentials, the client authenticated with HTTP Basic
// or with client_id/client_secret in the form (§2.3.1), answered with
// {"access_token", "token_type", "expires_in"} (§5.1) or an error object
// (§5.2).
func (s *Sim) token(w http.ResponseWriter, r *http.Request) {
	s.TokenRequests.Add(1)
	s.mu.Lock()
	cfg := s.cfg
	s.mu.Unlock()
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type")
		return
	}
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != cfg.ClientID || secret != cfg.ClientSecret {
		oauthError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	var b [20]byte
	rand.Read(b[:])
	tok := "ps-" + hex.EncodeToString(b[:])
	s.mu.Lock()
	s.tokens[tok] = &token{expires: time.Now().Add(cfg.TokenTTL)}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": tok,
		"token_type":   "bearer",
		"expires_in":   int(cfg.TokenTTL.Seconds()),
	})
}

// users lists the account's users. Shapes:
//   - "Authentication (REST API)": every request carries
//     Authorization: Bearer <access token>.
//   - "Pagination" (REST API reference): page and per_page parameters
//     (default 25 per page, the docs advise at most 100), and the
//     envelope {"page", "per_page", "count", "total_count", "has_more",
//     "data": [...]} whose has_more says whether to ask for more.
//   - "Rate Limits": 2000 authenticated requests a minute per token; past
//     it, 429 with a Retry-After header in seconds and a body
//     {"error": {"message", "status", "name": "RateLimitExceededError"}}.
func (s *Sim) users(w http.ResponseWriter, r *http.Request) {
	n := s.PageRequests.Add(1)
	s.mu.Lock()
	cfg := s.cfg
	tok := s.tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
	valid := tok != nil && strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") &&
		time.Now().Before(tok.expires) && (cfg.ExpireTokensAfter == 0 || tok.pages < cfg.ExpireTokensAfter)
	if valid {
		tok.pages++
	}
	s.mu.Unlock()
	if cfg.ThrottleEvery > 0 && n%int64(cfg.ThrottleEvery) == 0 {
		s.Throttled.Add(1)
		w.Header().Set("Retry-After", strconv.Itoa(cfg.RetryAfter))
		APIError(w, http.StatusTooManyRequests, "RateLimitExceededError", "the rate limit of this period is used up")
		return
	}
	if !valid {
		s.Refused.Add(1)
		APIError(w, http.StatusUnauthorized, "UnauthorizedError", "missing, unknown or expired access token")
		return
	}
	q := r.URL.Query()
	page, perPage := 1, 25
	if v, err := strconv.Atoi(q.Get("page")); err == nil && v > 0 {
		page = v
	}
	if v, err := strconv.Atoi(q.Get("per_page")); err == nil && v > 0 {
		perPage = min(v, cfg.MaxPerPage)
	}
	start := min((page-1)*perPage, len(cfg.Users))
	end := min(start+perPage, len(cfg.Users))
	writeJSON(w, http.StatusOK, Page{
		Page:       page,
		PerPage:    perPage,
		Count:      end - start,
		TotalCount: len(cfg.Users),
		HasMore:    end < len(cfg.Users),
		Data:       cfg.Users[start:end],
	})
}

// APIError answers with the API's error object ("Rate Limits" shows it):
// {"error": {"message", "status", "name"}}.
func APIError(w http.ResponseWriter, code int, name, msg string) {
	writeJSON(w, code, map[string]any{"error": map[string]any{"message": msg, "status": code, "name": name}})
}

func oauthError(w http.ResponseWriter, code int, kind string) {
	writeJSON(w, code, map[string]any{"error": kind})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}
