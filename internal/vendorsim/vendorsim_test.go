package vendorsim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
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
