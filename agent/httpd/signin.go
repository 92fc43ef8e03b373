package httpd

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/agentsync/agent/internal/osdir"
)

// TokenFile is the status page's sign-in token inside data_dir. Whoever
// can read it may open the page: the service's account, root or the
// Administrators, as for agent.db. Loopback alone is no boundary on a
// host other people log in to, and the page shows the inbox and each
// run's changes (names, e-mail addresses).
const TokenFile = "http.token"

const sessionCookie = "agent_session"

// PageToken returns the page's token, creating data_dir/http.token (owner
// only) the first time when create is set (the service; `agent serve`
// writes nothing and reads the service's).
func PageToken(dataDir string, create bool) (string, error) {
	path := filepath.Join(dataDir, TokenFile)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := osdir.CheckPrivate(path); err != nil {
			return "", fmt.Errorf("status page token: %w", err)
		}
		if tok := strings.TrimSpace(string(b)); len(tok) >= 32 {
			return tok, nil
		}
		return "", fmt.Errorf("status page token %s is too short: delete it and restart the service for a new one", path)
	case !errors.Is(err, fs.ErrNotExist) || !create:
		return "", fmt.Errorf("status page token: %w", err)
	}
	raw := make([]byte, 32)
	rand.Read(raw)
	tok := hex.EncodeToString(raw)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return PageToken(dataDir, false) // another process made it first
	}
	if err != nil {
		return "", fmt.Errorf("status page token: %w", err)
	}
	_, werr := f.WriteString(tok + "\n")
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(path)
		return "", fmt.Errorf("status page token: %w", werr)
	}
	return tok, nil
}

// SignIn wraps h (the status page): a request passes with the session
// cookie; a request carrying ?token= with the page's token gets the
// cookie and is sent on to the same URL without it; anything else is
// 401, saying how to get the URL. token is read at each sign-in (`agent
// serve` may start before the service made it); an error keeps the page
// closed and is the 401's reason.
func SignIn(token func() (string, error), h http.Handler) http.Handler {
	equal := func(a, b string) bool { return b != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, err := token()
		if err != nil {
			w.Header().Set("Cache-Control", "no-store")
			http.Error(w, "The status page is closed: "+err.Error()+"\n", http.StatusUnauthorized)
			return
		}
		session := sessionOf(tok)
		if c, err := r.Cookie(sessionCookie); err == nil && equal(c.Value, session) {
			h.ServeHTTP(w, r)
			return
		}
		q := r.URL.Query()
		if t := q.Get("token"); t != "" && r.Method == http.MethodGet && equal(t, tok) {
			http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: session, Path: "/", HttpOnly: true,
				SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
			q.Del("token")
			u := *r.URL
			u.RawQuery = q.Encode()
			http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		http.Error(w, "The status page needs its sign-in link: run `agent page` as the service's account "+
			"(sudo -u agent agent page; on Windows, from an elevated prompt) and open the URL it prints.\n", http.StatusUnauthorized)
	})
}

// sessionOf is the session cookie of a token: derived, so the cookie is
// not the token itself.
func sessionOf(token string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte(sessionCookie))
	return hex.EncodeToString(m.Sum(nil))
}

// PageURL is the sign-in URL of the page served on listen.
func PageURL(listen string, tls bool, token string) string {
	scheme := "http"
	if tls {
		scheme = "https"
	}
	host, port, err := net.SplitHostPort(listen)
	if err == nil && (host == "" || host == "0.0.0.0" || host == "::") {
		listen = net.JoinHostPort("127.0.0.1", port)
	}
	return scheme + "://" + listen + "/?token=" + token
}
