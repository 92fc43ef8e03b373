package web

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

func TestSameOrigin(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"https://api.example.com/v1/users", "https://api.example.com/v1/users?page=2", true},
		{"https://api.example.com/v1", "https://API.Example.com:443/v2", true},
		{"http://127.0.0.1/users", "http://127.0.0.1:80/users", true},
		{"HTTPS://[::1]:8443/a", "https://[::1]:8443/b", true},
		{"http://127.0.0.1:8080/users", "http://127.0.0.1:8081/users", false},
		{"https://api.example.com/", "http://api.example.com/", false},
		{"https://api.example.com/", "https://api.example.com:8443/", false},
		{"https://example.com/", "https://api.example.com/", false},
		{"http://127.0.0.1:443/", "https://127.0.0.1/", false},
	}
	for _, tc := range tests {
		a, _ := url.Parse(tc.a)
		b, _ := url.Parse(tc.b)
		if got := SameOrigin(a, b); got != tc.want {
			t.Errorf("SameOrigin(%s, %s) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
		if got := SameOrigin(b, a); got != tc.want {
			t.Errorf("SameOrigin(%s, %s) = %v, want %v", tc.b, tc.a, got, tc.want)
		}
	}
}

// TestRedirectsKeepTheOrigin: NewClient follows a redirect within the
// origin with the request's headers and refuses one to another port of
// the same host, which Go's own policy would follow with them.
func TestRedirectsKeepTheOrigin(t *testing.T) {
	var mu sync.Mutex // the handlers write, the test reads
	var strayed []http.Header
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		strayed = append(strayed, r.Header)
		mu.Unlock()
	}))
	defer other.Close()
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, other.URL+"/x", http.StatusTemporaryRedirect)
		case "/here":
			http.Redirect(w, r, "/final", http.StatusFound)
		default:
			mu.Lock()
			got = r.Header
			mu.Unlock()
		}
	}))
	defer srv.Close()
	c, err := NewClient(Options{})
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) error {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer tok-1234567890")
		req.Header.Set("X-Api-Key", "key-1234567890")
		resp, err := c.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	err = get("/here")
	mu.Lock()
	defer mu.Unlock()
	if err != nil || got.Get("Authorization") == "" || got.Get("X-Api-Key") == "" {
		t.Fatalf("same-origin redirect: %v, headers %v", err, got)
	}
	mu.Unlock()
	err = get("/away")
	mu.Lock()
	if !errors.Is(err, ErrCrossOrigin) || !strings.Contains(err.Error(), strings.TrimPrefix(other.URL, "http://")) {
		t.Fatalf("cross-origin redirect: %v; want ErrCrossOrigin naming the other origin", err)
	}
	if len(strayed) != 0 {
		t.Fatalf("the other port got %d requests (headers %v)", len(strayed), strayed)
	}
}
