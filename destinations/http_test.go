package destinations

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestErrorsKeepTheURLPathOut: a webhook's url path often holds a token
// (hooks.example.com/T0/B0/secret); no error names it, nor a redirect's
// path, while Oomnitza's API paths stay in the message.
func TestErrorsKeepTheURLPathOut(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/hook/T0/sekrit-path-token":
			http.Error(w, "nope", http.StatusBadRequest)
		case "/moved/sekrit-path-token":
			http.Redirect(w, r, "https://elsewhere.example/next/sekrit-path-token?k=sekrit-path-token", http.StatusFound)
		default:
			http.Error(w, "nope", http.StatusNotFound)
		}
	}))
	defer srv.Close()
	for _, tc := range []struct {
		base, target, want string
	}{
		{srv.URL + "/hook/T0/sekrit-path-token", srv.URL + "/hook/T0/sekrit-path-token", "POST url: HTTP 400"},
		{srv.URL + "/moved/sekrit-path-token", srv.URL + "/moved/sekrit-path-token", "to https://elsewhere.example:443: redirected"},
		{srv.URL, srv.URL + "/api/v3/bulk", "POST /api/v3/bulk: HTTP 404"},
	} {
		c, err := NewClient(Config{Name: "d", URL: tc.base, HTTP: HTTP{Attempts: 1}})
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = c.Do(context.Background(), http.MethodPost, tc.target, nil, []byte("{}"))
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "sekrit") {
			t.Errorf("POST %s: %v; want %q and no path token", tc.target, err, tc.want)
		}
	}
	// A connection error names no URL either.
	c, _ := NewClient(Config{Name: "d", URL: "http://127.0.0.1:1/hook/sekrit-path-token", HTTP: HTTP{Attempts: 1}})
	if _, _, err := c.Do(context.Background(), http.MethodPost, "http://127.0.0.1:1/hook/sekrit-path-token", nil, nil); err == nil || strings.Contains(err.Error(), "sekrit") {
		t.Errorf("a refused connection: %v", err)
	}
}
