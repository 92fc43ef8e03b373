package zoom_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/credentials"
	"github.com/agentsync/agent/vendors/vendortest"
	"github.com/agentsync/agent/vendors/zoom"
)

const (
	clientID = "zoom-client"
	secret   = "zoom-SECRET-55aa66bb"
	account  = "acct-xyz"
)

// api serves Zoom's shapes: "Using Server-to-Server OAuth" (POST
// /oauth/token with grant_type=account_credentials and account_id, the
// client in a Basic header, answered with access_token, token_type
// "bearer", expires_in 3599) and "List users" with "Pagination" (GET
// /v2/users, page_size up to 300, next_page_token in and out, an empty
// next_page_token on the last page, users under "users").
func api(t *testing.T, n int) (*httptest.Server, *atomic.Int64) {
	var tokens atomic.Int64
	issued := "zoom-token-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/oauth/token":
			tokens.Add(1)
			id, sec, ok := r.BasicAuth()
			r.ParseForm()
			if !ok || id != clientID || sec != secret || r.Form.Get("grant_type") != "account_credentials" || r.Form.Get("account_id") != account {
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprint(w, `{"reason":"Invalid client_id or client_secret","error":"invalid_client"}`)
				return
			}
			fmt.Fprintf(w, `{"access_token":%q,"token_type":"bearer","expires_in":3599,"scope":"user:read:admin"}`, issued)
		case "/v2/users":
			if r.Header.Get("Authorization") != "Bearer "+issued {
				w.WriteHeader(http.StatusUnauthorized)
				fmt.Fprint(w, `{"code":124,"message":"Invalid access token."}`)
				return
			}
			q := r.URL.Query()
			size, _ := strconv.Atoi(q.Get("page_size"))
			start, _ := strconv.Atoi(strings.TrimPrefix(q.Get("next_page_token"), "tok"))
			end := min(start+min(size, 300), n)
			users := []map[string]any{}
			for i := start; i < end; i++ {
				users = append(users, map[string]any{"id": fmt.Sprintf("z%d", i), "email": fmt.Sprintf("zoomer%d@example.com", i), "first_name": "Zoomer", "last_name": strconv.Itoa(i),
					"display_name": fmt.Sprintf("Zoomer %d", i), "type": 2, "dept": "Sales", "timezone": "America/Chicago", "language": "en-US", "verified": 1, "status": "active",
					"last_login_time": "2026-04-01T10:00:00Z"})
			}
			next := ""
			if end < n {
				next = "tok" + strconv.Itoa(end)
			}
			vendortest.JSON(w, map[string]any{"page_size": size, "total_records": n, "next_page_token": next, "users": users})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &tokens
}

func TestUsers(t *testing.T) {
	srv, tokens := api(t, 700)
	e := vendortest.New(t, vendortest.Secrets{"cred": {Kind: credentials.OAuth2Client, ClientID: clientID, ClientSecret: secret}})
	draft := e.Config(vendortest.Integration(zoom.Name, ""))
	if in, _ := draft.Integration(zoom.Name); strings.Join(in.Missing(), ",") != "rest.token_params.account_id" {
		t.Errorf("without the account: missing %v", in.Missing())
	}
	cfg := e.Config(vendortest.Integration(zoom.Name, `users_url = "`+srv.URL+`/v2/users"
token_url = "`+srv.URL+`/oauth/token"
token_params.account_id = "`+account+`"`))
	rep := e.Run(cfg, zoom.Name)
	if rep.Outcome != store.OutcomeSuccess || rep.Counts.Created != 700 || tokens.Load() != 1 {
		t.Fatalf("%s: %s %+v, %d tokens", rep.Outcome, rep.Error, rep.Counts, tokens.Load())
	}
	p := e.Records(zoom.Name, store.Person)["zoomer5@example.com"]
	s := e.Records(zoom.Name, store.SaaSUser)["zoomer5@example.com"]
	if p.Fields["full_name"] != "Zoomer 5" || p.Fields["verified"] != "true" || p.Fields["time_zone"] != "America/Chicago" ||
		s.Fields["last_activity"] != "2026-04-01T10:00:00Z" || s.Fields["custom.user_type"] != "2" {
		t.Errorf("person %v, saas user %v", p.Fields, s.Fields)
	}
}
