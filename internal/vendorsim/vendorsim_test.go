package vendorsim

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

func token(t *testing.T, base string) string {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/oauth/token", strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("sim-client", "sim-secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	if tok.AccessToken == "" {
		t.Fatalf("no token: %s", resp.Status)
	}
	return tok.AccessToken
}

type page struct {
	Data struct {
		Users []map[string]any `json:"users"`
	} `json:"data"`
	Meta struct {
		Next string `json:"next_cursor"`
	} `json:"response_metadata"`
}

// walk follows cursors to the end and returns the e-mails seen.
func walk(t *testing.T, base, tok string) []string {
	var emails []string
	cursor := ""
	for range 1000 {
		q := url.Values{"limit": {"100"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		req, _ := http.NewRequest("GET", base+"/v1/users?"+q.Encode(), nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var p page
		if err := json.Unmarshal(body, &p); err != nil {
			t.Fatalf("page: %v: %s", err, body)
		}
		for _, u := range p.Data.Users {
			emails = append(emails, u["email"].(string))
		}
		if cursor = p.Meta.Next; cursor == "" {
			return emails
		}
	}
	t.Fatal("runaway pagination")
	return nil
}

func TestCursorWalkAndChurn(t *testing.T) {
	sim := New(Config{Users: 1000})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	tok := token(t, srv.URL)
	if got := walk(t, srv.URL, tok); len(got) != 1000 || got[999] != "User999@Example.com" {
		t.Fatalf("generation 0: %d users", len(got))
	}
	sim.Set(func(c *Config) { c.Generation, c.Churn = 1, Churn{Removed: 1, Added: 1, Changed: 1} })
	got := walk(t, srv.URL, tok)
	if n := len(got); n < 990 || n > 1010 || got[len(got)-1] != "User1009@Example.com" {
		t.Fatalf("generation 1: %d users, last %s", n, got[len(got)-1])
	}
}

func TestRateLimitIsAnnouncedAndEnforced(t *testing.T) {
	sim := New(Config{Users: 10, RatePerSec: 2})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	tok := token(t, srv.URL)
	var codes []int
	// The windows are the clock's seconds: start at the top of one.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
	for range 3 {
		req, _ := http.NewRequest("GET", srv.URL+"/v1/users", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		codes = append(codes, resp.StatusCode)
		if resp.Header.Get("X-RateLimit-Limit") != "2" {
			t.Errorf("no X-RateLimit-Limit header")
		}
		if resp.StatusCode == 429 && resp.Header.Get("Retry-After") == "" {
			t.Errorf("429 without Retry-After")
		}
	}
	if codes[0] != 200 || codes[1] != 200 || codes[2] != 429 {
		t.Errorf("codes = %v, want 200 200 429", codes)
	}
}

func TestTokenRequired(t *testing.T) {
	srv := httptest.NewServer(New(Config{Users: 10}))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/v1/users")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("without a token: %d", resp.StatusCode)
	}
}

func TestAppendUserDoesNotAllocate(t *testing.T) {
	c := Config{Users: 100, Generation: 2, Churn: Churn{Changed: 50, Inactive: 50}}
	b := make([]byte, 0, 4096)
	if n := testing.AllocsPerRun(100, func() { b = c.appendUser(b[:0], 42) }); n != 0 {
		t.Errorf("%v allocations a user", n)
	}
}

func TestFaultsAreListed(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range Faults {
		if f == FaultNone || seen[f] {
			t.Errorf("fault %q listed twice or empty", f)
		}
		seen[f] = true
	}
}

// get sends GET base+path with header h and returns the status and body.
func get(t *testing.T, base, path string, h http.Header) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+path, nil)
	maps.Copy(req.Header, h)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header
}

func TestAuthStyles(t *testing.T) {
	basic := func(u, p string) http.Header {
		r, _ := http.NewRequest("GET", "/", nil)
		r.SetBasicAuth(u, p)
		return r.Header
	}
	tests := []struct {
		cfg       Config
		good, bad http.Header
	}{
		{Config{Auth: AuthNone}, nil, nil},
		{Config{Auth: AuthAPIKey, APIKey: "k1"}, http.Header{"Authorization": {"Bearer k1"}}, http.Header{"Authorization": {"Bearer k2"}}},
		{Config{Auth: AuthAPIKey, APIKey: "k1", APIKeyHeader: "X-API-Key"}, http.Header{"X-Api-Key": {"k1"}}, http.Header{"Authorization": {"Bearer k1"}}},
		{Config{Auth: AuthBasic}, basic("sim-user", "sim-password"), basic("sim-user", "nope")},
	}
	for _, tc := range tests {
		tc.cfg.Users = 3
		sim := New(tc.cfg)
		srv := httptest.NewServer(sim)
		if code, body, _ := get(t, srv.URL, "/v1/users", tc.good); code != 200 || !strings.Contains(body, "User2@Example.com") {
			t.Errorf("%s: good credential: %d %s", tc.cfg.Auth, code, body)
		}
		if tc.bad != nil {
			if code, _, _ := get(t, srv.URL, "/v1/users", tc.bad); code != 401 || sim.Stats().Refused != 1 {
				t.Errorf("%s: bad credential: %d, %d refused", tc.cfg.Auth, code, sim.Stats().Refused)
			}
		}
		srv.Close()
	}
}

// tokenRequest asks for a token with the client's credentials in the
// Basic header or in the form.
func tokenRequest(t *testing.T, base string, header bool, secret string) (int, string) {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"a b"}, "audience": {"x"}}
	if !header {
		form.Set("client_id", "sim-client")
		form.Set("client_secret", secret)
	}
	req, _ := http.NewRequest("POST", base+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if header {
		req.SetBasicAuth("sim-client", secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestClientAuthAndTokenRecords(t *testing.T) {
	for _, method := range []string{"", ClientAuthHeader, ClientAuthBody} {
		sim := New(Config{Users: 1, ClientAuth: method})
		srv := httptest.NewServer(sim)
		for _, header := range []bool{true, false} {
			want := 200
			if method == ClientAuthHeader && !header || method == ClientAuthBody && header {
				want = 401
			}
			if code, body := tokenRequest(t, srv.URL, header, "sim-secret"); code != want {
				t.Errorf("client_auth %q, in the header %v: %d %s", method, header, code, body)
			}
		}
		issued, want := sim.IssuedTokens(), 1
		if method == "" {
			want = 2
		}
		if len(issued) != want {
			t.Errorf("client_auth %q: %d tokens issued", method, len(issued))
		}
		if f := sim.TokenRequest(); f.Get("scope") != "a b" || f.Get("audience") != "x" {
			t.Errorf("client_auth %q: token request %v", method, f)
		}
		if code, _, _ := get(t, srv.URL, "/v1/users", http.Header{"Authorization": {"Bearer " + issued[0]}}); code != 200 {
			t.Errorf("client_auth %q: the first token issued is refused: %d", method, code)
		}
		srv.Close()
	}
}

func TestEchoSecrets(t *testing.T) {
	sim := New(Config{Users: 10, Fault: FaultEchoSecrets, FaultPage: 1})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	if code, body := tokenRequest(t, srv.URL, false, "wrong-secret-42"); code != 401 || !strings.Contains(body, "wrong-secret-42") {
		t.Errorf("token endpoint: %d %s", code, body)
	}
	basic := base64.StdEncoding.EncodeToString([]byte("sim-client:wrong-secret-43"))
	if code, body := tokenRequest(t, srv.URL, true, "wrong-secret-43"); code != 401 || !strings.Contains(body, "Basic "+basic) {
		t.Errorf("token endpoint, Basic: %d %s", code, body)
	}
	tok := token(t, srv.URL)
	if code, body, _ := get(t, srv.URL, "/v1/users", http.Header{"Authorization": {"Bearer " + tok}}); code != 401 || !strings.Contains(body, tok) {
		t.Errorf("fault page: %d %s", code, body)
	}
	sim.Set(func(c *Config) { c.Auth, c.APIKeyHeader, c.APIKey = AuthAPIKey, "X-Key", "right-key" })
	if code, body, _ := get(t, srv.URL, "/v1/users", http.Header{"X-Key": {"wrong-key-7"}}); code != 401 || !strings.Contains(body, "wrong-key-7") {
		t.Errorf("refused key: %d %s", code, body)
	}
	if slices.Contains(Faults, FaultEchoSecrets) {
		t.Error("FaultEchoSecrets is in Faults")
	}
}

func TestTotalPagesAndRelativeLink(t *testing.T) {
	sim := New(Config{Users: 250, Auth: AuthNone, Pagination: LinkHeader, TotalPages: true, RelativeLink: true})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	_, body, h := get(t, srv.URL, "/v1/users?limit=100", nil)
	if !strings.Contains(body, `"total_pages":3`) {
		t.Errorf("no total_pages: %s", body)
	}
	if l := h.Get("Link"); l != `</v1/users?limit=100&page=2>; rel="next", </v1/users?page=1>; rel="first"` {
		t.Errorf("Link: %s", l)
	}
	sim.Set(func(c *Config) { c.TotalPages, c.RelativeLink = false, false })
	_, body, h = get(t, srv.URL, "/v1/users?limit=100", nil)
	if strings.Contains(body, "total_pages") || h.Get("Link") != "<"+srv.URL+`/v1/users?limit=100&page=2>; rel="next"` {
		t.Errorf("defaults: %s, Link %s", body, h.Get("Link"))
	}
}
