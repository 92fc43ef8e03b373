package rest_test

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentsync/agent/credentials"
	"github.com/agentsync/agent/vendors/vendortest"
)

// Distinctive credential values: tests grep logs, errors and reports for
// them.
const (
	clientID     = "rest-client-id"
	clientSecret = "cs-SECRET-7c1d2e3f4a5b"
	apiKey       = "ak-SECRET-0a9b8c7d6e5f"
	username     = "sync-bot"
	password     = "pw-SECRET-1122334455"
)

func secrets() vendortest.Secrets {
	return vendortest.Secrets{
		"oauth": {Kind: credentials.OAuth2Client, ClientID: clientID, ClientSecret: clientSecret},
		"key":   {Kind: credentials.APIKey, Token: apiKey},
		"basic": {Kind: credentials.Basic, Username: username, Password: password},
	}
}

// Faults the simulator serves on FaultPage.
const (
	fault500Once      = "500_once"
	fault429          = "429_retry_after" // once, Retry-After: 1
	fault500Always    = "500_always"
	faultRepeatCursor = "repeat_cursor"
	faultEnvelope     = "envelope_changed"
	faultTruncated    = "truncated_json"
	faultHTML         = "html_page"
	faultTokenDown    = "token_down"
	faultUnauthorized = "unauthorized"  // 401 whatever the credential
	faultExpireOnce   = "expire_token"  // one 401 for a good token: the client must refresh
	faultEcho         = "echo_secrets"  // errors that quote the credential back
	faultIgnoreOffset = "ignore_offset" // serves page 1 again
)

// simConfig is what the test vendor does. It serves GET /v1/users with the
// users under data.users and POST /oauth/token (RFC 6749 §4.4).
type simConfig struct {
	Users        int
	Auth         string // none | api_key | basic | oauth2_client_credentials
	APIKeyHeader string // default Authorization, with "Bearer "
	ClientAuth   string // header | body: what the token endpoint accepts
	Pagination   string // none | offset_limit | page_number | cursor | link_header
	MaxPage      int    // the largest page served; default 1000
	HasMore      bool   // the envelope carries "has_more"
	TotalPages   bool   // the envelope carries "total_pages"
	Fault        string
	FaultPage    int // default 2
	RateLimit    bool
}

type sim struct {
	cfg simConfig

	mu       sync.Mutex
	tokens   map[string]bool
	issued   []string
	faulted  map[string]bool
	scopes   string
	params   url.Values
	badAuths int

	pages, tokenCalls atomic.Int64
}

func newSim(t testing.TB, cfg simConfig) (*sim, *httptest.Server) {
	if cfg.MaxPage == 0 {
		cfg.MaxPage = 1000
	}
	if cfg.FaultPage == 0 {
		cfg.FaultPage = 2
	}
	s := &sim{cfg: cfg, tokens: map[string]bool{}, faulted: map[string]bool{}}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv
}

func (s *sim) set(f func(*simConfig)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.cfg)
	s.faulted = map[string]bool{}
}

func (s *sim) config() simConfig {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg
}

func (s *sim) once(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.faulted[name] {
		return false
	}
	s.faulted[name] = true
	return true
}

// issuedTokens lists every access token handed out.
func (s *sim) issuedTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.issued...)
}

func (s *sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/oauth/token":
		s.token(w, r)
	case "/v1/users":
		s.users(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (s *sim) token(w http.ResponseWriter, r *http.Request) {
	s.tokenCalls.Add(1)
	cfg := s.config()
	if cfg.Fault == faultTokenDown {
		reply(w, http.StatusServiceUnavailable, `{"error":"temporarily_unavailable"}`)
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
		reply(w, http.StatusBadRequest, `{"error":"unsupported_grant_type"}`)
		return
	}
	id, sec, basic := r.BasicAuth()
	switch {
	case cfg.ClientAuth == "header" && !basic, cfg.ClientAuth == "body" && basic:
		reply(w, http.StatusUnauthorized, `{"error":"invalid_client","error_description":"wrong client authentication method"}`)
		return
	case !basic:
		id, sec = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != clientID || sec != clientSecret {
		desc := "bad client"
		if cfg.Fault == faultEcho {
			desc = "bad client secret " + sec
		}
		reply(w, http.StatusUnauthorized, fmt.Sprintf(`{"error":"invalid_client","error_description":%q}`, desc))
		return
	}
	var b [12]byte
	rand.Read(b[:])
	tok := "at-SECRET-" + hex.EncodeToString(b[:])
	s.mu.Lock()
	s.tokens[tok] = true
	s.issued = append(s.issued, tok)
	s.scopes = r.PostForm.Get("scope")
	s.params = r.PostForm
	s.mu.Unlock()
	reply(w, http.StatusOK, fmt.Sprintf(`{"access_token":%q,"token_type":"bearer","expires_in":3600}`, tok))
}

func (s *sim) authorized(cfg simConfig, r *http.Request) bool {
	switch cfg.Auth {
	case "api_key":
		if cfg.APIKeyHeader != "" {
			return r.Header.Get(cfg.APIKeyHeader) == apiKey
		}
		return r.Header.Get("Authorization") == "Bearer "+apiKey
	case "basic":
		u, p, ok := r.BasicAuth()
		return ok && u == username && p == password
	case "oauth2_client_credentials":
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.Lock()
		defer s.mu.Unlock()
		return ok && s.tokens[tok]
	}
	return true
}

func (s *sim) users(w http.ResponseWriter, r *http.Request) {
	s.pages.Add(1)
	cfg := s.config()
	q := r.URL.Query()
	limit := cfg.MaxPage
	if v, err := strconv.Atoi(q.Get("limit")); err == nil && v > 0 && v < limit {
		limit = v
	}
	start := 0
	switch cfg.Pagination {
	case "cursor":
		if c := q.Get("cursor"); c != "" {
			n, err := strconv.ParseInt(strings.TrimPrefix(c, "c-"), 36, 64)
			if err != nil {
				reply(w, http.StatusBadRequest, `{"error":"invalid_cursor"}`)
				return
			}
			start = int(n)
		}
	case "offset_limit":
		start, _ = strconv.Atoi(q.Get("offset"))
	case "page_number", "link_header":
		if p, err := strconv.Atoi(q.Get("page")); err == nil && p > 1 {
			start = (p - 1) * limit
		}
	case "none", "":
		limit = cfg.Users
	}
	start = min(max(start, 0), cfg.Users)
	page := start/max(limit, 1) + 1
	if cfg.RateLimit {
		w.Header().Set("X-RateLimit-Limit", "100")
		w.Header().Set("X-RateLimit-Remaining", "1")
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Unix()+1, 10))
	}
	atFault := cfg.Fault != "" && page == cfg.FaultPage
	switch {
	case atFault && cfg.Fault == faultExpireOnce && s.once(cfg.Fault):
		reply(w, http.StatusUnauthorized, `{"error":"invalid_token","message":"token expired"}`)
		return
	case !s.authorized(cfg, r) || atFault && (cfg.Fault == faultUnauthorized || cfg.Fault == faultEcho):
		s.mu.Lock()
		s.badAuths++
		s.mu.Unlock()
		msg := "bad credentials"
		if cfg.Fault == faultEcho {
			msg = "bad credentials: " + r.Header.Get("Authorization") + r.Header.Get(cfg.APIKeyHeader)
		}
		reply(w, http.StatusUnauthorized, fmt.Sprintf(`{"message":%q}`, msg))
		return
	case atFault && cfg.Fault == fault500Once && s.once(cfg.Fault), atFault && cfg.Fault == fault500Always:
		reply(w, http.StatusInternalServerError, `{"error":"internal"}`)
		return
	case atFault && cfg.Fault == fault429 && s.once(cfg.Fault):
		w.Header().Set("Retry-After", "1")
		reply(w, http.StatusTooManyRequests, `{"error":"rate_limited"}`)
		return
	case atFault && cfg.Fault == faultHTML:
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<!DOCTYPE html><html><head><title>Service Unavailable</title></head><body>maintenance</body></html>"))
		return
	case atFault && cfg.Fault == faultIgnoreOffset:
		start = 0
	}
	end := min(start+limit, cfg.Users)
	more := end < cfg.Users
	key := "users"
	if atFault && cfg.Fault == faultEnvelope {
		key = "members"
	}
	b := make([]byte, 0, 160*(end-start)+256)
	b = append(b, `{"data":{"`+key+`":[`...)
	for i := start; i < end; i++ {
		if i > start {
			b = append(b, ',')
		}
		b = appendUser(b, i)
	}
	b = append(b, "]}"...)
	if cfg.HasMore {
		b = append(b, `,"has_more":`...)
		b = strconv.AppendBool(b, more)
	}
	if cfg.TotalPages {
		b = append(b, `,"total_pages":`...)
		b = strconv.AppendInt(b, int64((cfg.Users+limit-1)/limit), 10)
	}
	if cfg.Pagination == "cursor" {
		next := ""
		if more {
			next = "c-" + strconv.FormatInt(int64(end), 36)
			if atFault && cfg.Fault == faultRepeatCursor {
				next = q.Get("cursor")
			}
		}
		b = append(b, `,"response_metadata":{"next_cursor":"`+next+`"}`...)
	}
	b = append(b, '}')
	if cfg.Pagination == "link_header" && more {
		nq := url.Values{"page": {strconv.Itoa(page + 1)}, "limit": {strconv.Itoa(limit)}}
		w.Header().Add("Link", `<`+"/v1/users?"+nq.Encode()+`>; rel="next", </v1/users?page=1>; rel="first"`)
	}
	if atFault && cfg.Fault == faultTruncated {
		b = b[:len(b)/2]
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

// appendUser writes user i: 1 in 50 is suspended, departments rotate.
func appendUser(b []byte, i int) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, `,"email":"User`...)
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, `@Example.com","name":"User Number `...)
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, `","department":"`...)
	b = append(b, []string{"Sales", "Engineering", "Support"}[i%3]...)
	b = append(b, `","status":"`...)
	if i%50 == 49 {
		b = append(b, "suspended"...)
	} else {
		b = append(b, "active"...)
	}
	b = append(b, `","last_login":"`...)
	b = time.Unix(1_700_000_000+int64(i)*60, 0).UTC().AppendFormat(b, time.RFC3339)
	return append(b, `"}`...)
}

func reply(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write([]byte(body))
}
