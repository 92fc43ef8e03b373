package vendorsim

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// The credentials of the simulator: its OAuth2 token endpoint, what the
// users endpoint accepts (Config.Auth) and how it refuses the rest.

// IssuedTokens lists every access token handed out so far, in order, so
// that tests can look for them where they must not be.
func (s *Sim) IssuedTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.issued...)
}

// TokenRequest returns the form (grant_type, scope, extra parameters and,
// when sent there, the client's credentials) of the latest token request
// that got a token; nil before the first.
func (s *Sim) TokenRequest() url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.tokenForm)
}

// token implements RFC 6749 §4.4 with client authentication in the Basic
// header or in the form body (Config.ClientAuth may insist on one).
func (s *Sim) token(w http.ResponseWriter, r *http.Request) {
	s.TokenCalls.Add(1)
	cfg := s.Config()
	if cfg.Fault == FaultTokenDown {
		writeJSON(w, http.StatusServiceUnavailable, `{"error":"temporarily_unavailable"}`)
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, `{"error":"unsupported_grant_type"}`)
		return
	}
	id, secret, basic := r.BasicAuth()
	if cfg.ClientAuth == ClientAuthHeader && !basic || cfg.ClientAuth == ClientAuthBody && basic {
		writeJSON(w, http.StatusUnauthorized, `{"error":"invalid_client","error_description":"wrong client authentication method"}`)
		return
	}
	if !basic {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != cfg.ClientID || secret != cfg.Secret {
		body := `{"error":"invalid_client"}`
		if cfg.Fault == FaultEchoSecrets {
			said := "bad client secret " + secret
			if basic {
				said = "got Authorization " + strconv.Quote(r.Header.Get("Authorization")) + ": " + said
			}
			body = errorBody("error", "invalid_client", "error_description", said)
		}
		writeJSON(w, http.StatusUnauthorized, body)
		return
	}
	var b [16]byte
	rand.Read(b[:])
	tok := hex.EncodeToString(b[:])
	s.mu.Lock()
	s.tokens[tok] = &issuedToken{expires: time.Now().Add(cfg.TokenTTL)}
	s.issued = append(s.issued, tok)
	s.tokenForm = r.PostForm
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, fmt.Sprintf(`{"access_token":%q,"token_type":"Bearer","expires_in":%d}`, tok, int(cfg.TokenTTL.Seconds())))
}

// authorized reports whether r carries the credential cfg.Auth requires.
func (s *Sim) authorized(r *http.Request, cfg Config) bool {
	switch cfg.Auth {
	case AuthNone:
		return true
	case AuthAPIKey:
		if cfg.APIKeyHeader != "" {
			return r.Header.Get(cfg.APIKeyHeader) == cfg.APIKey
		}
		return r.Header.Get("Authorization") == "Bearer "+cfg.APIKey
	case AuthBasic:
		u, p, ok := r.BasicAuth()
		return ok && u == cfg.Username && p == cfg.Password
	}
	const prefix = "Bearer "
	h := r.Header.Get("Authorization")
	if len(h) <= len(prefix) || h[:len(prefix)] != prefix {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tok := s.tokens[h[len(prefix):]]
	if tok == nil || !time.Now().Before(tok.expires) || cfg.ExpireTokensAfter > 0 && tok.pages >= cfg.ExpireTokensAfter {
		return false
	}
	tok.pages++
	return true
}

// expireTokens invalidates every token handed out so far.
func (s *Sim) expireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.tokens)
}

// refuse answers 401 in the shape's error form; under FaultEchoSecrets
// the message quotes the credential r presented.
func refuse(w http.ResponseWriter, r *http.Request, cfg Config) {
	echo := cfg.Fault == FaultEchoSecrets
	if cfg.Shape == ShapeIronclad {
		msg := "missing, unknown or expired access token"
		if echo {
			msg = "bad credentials: " + presented(r, cfg)
		}
		ironcladError(w, http.StatusUnauthorized, "UnauthorizedError", msg)
		return
	}
	if echo {
		writeJSON(w, http.StatusUnauthorized, errorBody("error", "invalid_token", "message", "bad credentials: "+presented(r, cfg)))
		return
	}
	writeJSON(w, http.StatusUnauthorized, `{"error":"invalid_token"}`)
}

// presented is the credential a request carries: its Authorization
// header, and the API key header's value when that is another header.
func presented(r *http.Request, cfg Config) string {
	s := r.Header.Get("Authorization")
	if h := cfg.APIKeyHeader; h != "" && http.CanonicalHeaderKey(h) != "Authorization" {
		s += " " + r.Header.Get(h)
	}
	return s
}

// errorBody is a JSON object of two string members, escaped.
func errorBody(k1, v1, k2, v2 string) string {
	b, _ := json.Marshal(map[string]string{k1: v1, k2: v2})
	return string(b)
}
