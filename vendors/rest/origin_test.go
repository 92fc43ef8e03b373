package rest_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/agentsync/agent/internal/vendorsim"
	"github.com/agentsync/agent/vendors"
	"github.com/agentsync/agent/vendors/rest"
	"github.com/agentsync/agent/vendors/web"
)

// TestCredentialsStayOnTheirOrigin: a users URL that redirects, or a Link
// header that points, to another port of the same host fails the fetch,
// and that port never sees a request (so neither the Authorization header
// nor an API key header reaches it); a redirect within the origin is
// followed with the credential.
func TestCredentialsStayOnTheirOrigin(t *testing.T) {
	// other is the same loopback host on another port.
	var strayed atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		strayed.Add(1)
		vendorsim.New(vendorsim.Config{Users: 1, Auth: vendorsim.AuthNone}).ServeHTTP(w, r)
	}))
	t.Cleanup(other.Close)
	s, _ := newSim(t, vendorsim.Config{Users: 3, Auth: vendorsim.AuthAPIKey, APIKeyHeader: "X-Api-Key", Pagination: vendorsim.None})
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/moved-away":
			http.Redirect(w, r, other.URL+"/v1/users", http.StatusFound)
		case "/moved-here":
			http.Redirect(w, r, "/v1/users", http.StatusFound)
		case "/linked-away":
			w.Header().Set("Link", "<"+other.URL+"/v1/users?page=2>; rel=\"next\"")
			w.Write([]byte(`{"data":{"users":[{"id":"1","email":"a@example.com"}]}}`))
		default:
			s.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(front.Close)

	tests := []struct {
		name, path, auth string
		pagination       string
		want             error
	}{
		{"api key, redirect to another port", "/moved-away", rest.AuthAPIKey, rest.PageNone, web.ErrCrossOrigin},
		{"oauth2, redirect to another port", "/moved-away", rest.AuthOAuth2, rest.PageNone, web.ErrCrossOrigin},
		{"api key, next link to another port", "/linked-away", rest.AuthAPIKey, rest.PageLink, rest.ErrPagination},
		{"api key, redirect within the origin", "/moved-here", rest.AuthAPIKey, rest.PageNone, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			strayed.Store(0)
			cred := map[string]string{rest.AuthAPIKey: "key", rest.AuthOAuth2: "oauth"}[tc.auth]
			src, err := rest.New(vendors.Config{Vendor: "rest", Credential: cred, Secrets: secrets(), Settings: &rest.Settings{
				UsersURL: front.URL + tc.path, RecordsPath: "data.users", Auth: tc.auth, APIKeyHeader: "X-Api-Key", TokenType: "none",
				TokenURL: front.URL + "/oauth/token", Pagination: rest.Pagination{Type: tc.pagination}}})
			if err != nil {
				t.Fatal(err)
			}
			users := 0
			err = src.Fetch(context.Background(), func(p vendors.Page) error { users += len(p.Records); return nil })
			switch {
			case tc.want == nil && (err != nil || users != 3):
				t.Fatalf("fetch: %v, %d users; want the 3 behind the redirect", err, users)
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Fatalf("fetch: %v; want %v", err, tc.want)
			case tc.want != nil && !strings.Contains(err.Error(), strings.TrimPrefix(other.URL, "http://")):
				t.Errorf("the error %q does not name the other origin", err)
			}
			if n := strayed.Load(); n != 0 {
				t.Errorf("the other port got %d requests", n)
			}
		})
	}
}
