// Package tokentest is an OAuth2 token endpoint for tests: the client
// credentials grant of RFC 6749 §4.4, with the client authenticating by
// HTTP Basic (§2.3.1) or by form fields, and a protected users endpoint
// that takes the tokens it issued.
package tokentest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// Server is a running token endpoint at URL+"/token" and a users endpoint
// at URL+"/users".
type Server struct {
	*httptest.Server
	ClientID, ClientSecret string
	// ClientAuth, when set, is the only client authentication accepted:
	// "header" or "body".
	ClientAuth string
	// Scope, when set, must be the requested scope.
	Scope string
	// Users is what /users returns under "users".
	Users []map[string]any

	mu     sync.Mutex
	issued map[string]bool
	styles []string
}

// AccessToken is the prefix of the tokens the server issues.
const AccessToken = "at-issued-by-tokentest-"

// New starts a server for one client; it stops at the test's end.
func New(t testing.TB, clientID, clientSecret string) *Server {
	s := &Server{ClientID: clientID, ClientSecret: clientSecret, issued: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", s.token)
	mux.HandleFunc("GET /users", s.users)
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// TokenURL is the token endpoint.
func (s *Server) TokenURL() string { return s.URL + "/token" }

// Styles lists the client authentications of the accepted token requests.
func (s *Server) Styles() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.styles...)
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		fail(w, http.StatusBadRequest, "invalid_request", "bad form")
		return
	}
	if r.PostForm.Get("grant_type") != "client_credentials" {
		fail(w, http.StatusBadRequest, "unsupported_grant_type", "want client_credentials")
		return
	}
	style, id, secret := "body", r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok {
		// §2.3.1: the client ID and secret are form-encoded, then Basic.
		style, id, secret = "header", unescape(u), unescape(p)
	}
	if s.ClientAuth != "" && style != s.ClientAuth {
		fail(w, http.StatusUnauthorized, "invalid_client", "this server takes client_auth = "+s.ClientAuth)
		return
	}
	if id != s.ClientID || secret != s.ClientSecret {
		// Like some real servers, echo what was presented: the agent
		// must not pass it on.
		fail(w, http.StatusUnauthorized, "invalid_client", "client authentication failed for "+id+" with secret "+secret)
		return
	}
	if s.Scope != "" && r.PostForm.Get("scope") != s.Scope {
		fail(w, http.StatusBadRequest, "invalid_scope", "want scope "+s.Scope)
		return
	}
	s.mu.Lock()
	tok := AccessToken + strings.Repeat("x", len(s.issued)+1)
	s.issued[tok] = true
	s.styles = append(s.styles, style)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 3600})
}

func (s *Server) users(w http.ResponseWriter, r *http.Request) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	valid := ok && s.issued[tok]
	s.mu.Unlock()
	if !valid {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		http.Error(w, `{"error":"invalid_token"}`, http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	users := s.Users
	if users == nil {
		users = []map[string]any{}
	}
	json.NewEncoder(w).Encode(map[string]any{"users": users})
}

func fail(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

func unescape(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}
