package httpd

import (
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestPageToken(t *testing.T) {
	dir := t.TempDir()
	if _, err := PageToken(dir, false); err == nil {
		t.Fatal("read a token that nobody made")
	}
	tok, err := PageToken(dir, true)
	if err != nil || len(tok) != 64 {
		t.Fatalf("PageToken = %q, %v", tok, err)
	}
	if again, err := PageToken(dir, true); err != nil || again != tok {
		t.Fatalf("a second PageToken = %q, %v; want the first", again, err)
	}
	path := filepath.Join(dir, TokenFile)
	if runtime.GOOS != "windows" {
		if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
			t.Errorf("token file mode %04o, want 0600", fi.Mode().Perm())
		}
		os.Chmod(path, 0o644)
		if _, err := PageToken(dir, false); err == nil || !strings.Contains(err.Error(), "readable by others") {
			t.Errorf("a token others can read: %v", err)
		}
		os.Chmod(path, 0o600)
	}
	os.WriteFile(path, []byte("short\n"), 0o600)
	if _, err := PageToken(dir, false); err == nil || !strings.Contains(err.Error(), "too short") {
		t.Errorf("a short token: %v", err)
	}
}

func TestSignIn(t *testing.T) {
	const tok = "0123456789abcdef0123456789abcdef0123456789abcdef"
	var tokErr error
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "the page "+r.URL.RequestURI()) })
	srv := httptest.NewServer(SignIn(func() (string, error) { return tok, tokErr }, inner))
	defer srv.Close()
	get := func(c *http.Client, path string) (int, string) {
		t.Helper()
		resp, err := c.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	plain := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tc := range []struct {
		name, path string
		code       int
		want       string
	}{
		{"no token", "/", http.StatusUnauthorized, "agent page"},
		{"wrong token", "/?token=nope", http.StatusUnauthorized, "agent page"},
		{"token in another case", "/?token=" + strings.ToUpper(tok), http.StatusUnauthorized, "agent page"},
		{"the token signs in", "/inbox?page=2&token=" + tok, http.StatusSeeOther, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, body := get(plain, tc.path); code != tc.code || !strings.Contains(body, tc.want) {
				t.Errorf("GET %s: %d %q, want %d with %q", tc.path, code, body, tc.code, tc.want)
			}
		})
	}
	// A browser: the link signs it in, the URL loses the token, the
	// cookie (not the token) opens every later page.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	if code, body := get(browser, "/inbox?page=2&token="+tok); code != http.StatusOK || body != "the page /inbox?page=2" {
		t.Fatalf("signing in: %d %q", code, body)
	}
	if code, body := get(browser, "/run/x"); code != http.StatusOK || body != "the page /run/x" {
		t.Fatalf("signed in: %d %q", code, body)
	}
	for _, c := range jar.Cookies(mustURL(t, srv.URL)) {
		if strings.Contains(c.Value, tok) {
			t.Fatal("the cookie holds the token itself")
		}
	}
	// POST never signs in with the token.
	resp, err := plain.Post(srv.URL+"/integration/x/run?token="+tok, "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("POST with the token: %d, want 401", resp.StatusCode)
	}
	// No token to read: closed, saying why, even with a cookie.
	tokErr = errors.New("data_dir/http.token: no such file")
	if code, body := get(browser, "/"); code != http.StatusUnauthorized || !strings.Contains(body, "closed: data_dir/http.token") {
		t.Fatalf("without a token: %d %q", code, body)
	}
}

func TestPageURL(t *testing.T) {
	for _, tc := range []struct {
		listen string
		tls    bool
		want   string
	}{
		{"127.0.0.1:8787", false, "http://127.0.0.1:8787/?token=T"},
		{"0.0.0.0:8443", true, "https://127.0.0.1:8443/?token=T"},
		{"[::1]:8787", false, "http://[::1]:8787/?token=T"},
	} {
		if got := PageURL(tc.listen, tc.tls, "T"); got != tc.want {
			t.Errorf("PageURL(%q, %v) = %q, want %q", tc.listen, tc.tls, got, tc.want)
		}
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
