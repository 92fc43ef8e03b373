package rest_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/internal/vendorsim"
	"github.com/agentsync/agent/internal/vendortest"
)

// integration is a REST integration of the test vendor at url: head holds
// integration keys (and subtables), rest the [integration.rest] keys.
func integration(url, head, rest string) string {
	return `
[[integration]]
name = "vendor-x"
vendor = "rest"
deactivate = true
max_deactivate_percent = 100
` + head + `
  [integration.mapping]
  "user.username" = "email | lower"
  "user.email" = "email | lower"
  "user.full_name" = "name"
  "user.department" = "department"
  [integration.rest]
  users_url = "` + url + `/v1/users"
  records_path = "data.users"
  http.backoff = "1ms"
` + rest
}

func TestScenarios(t *testing.T) {
	tests := []struct {
		name  string
		sim   vendorsim.Config
		head  string // integration keys
		rest  string // [integration.rest] keys
		pages int64  // user page requests
	}{
		{"no auth, no pagination", vendorsim.Config{Users: 30, Auth: vendorsim.AuthNone, Pagination: vendorsim.None}, "", "", 1},
		{"api key, offset and limit, ends on an empty page",
			vendorsim.Config{Auth: vendorsim.AuthAPIKey, Pagination: vendorsim.OffsetLimit}, `credential = "key"`, `
  auth = "api_key"
  pagination.type = "offset_limit"
`, 4},
		{"api key in its own header, page numbers",
			vendorsim.Config{Auth: vendorsim.AuthAPIKey, APIKeyHeader: "X-API-Key", Pagination: vendorsim.PageNumber}, `credential = "key"`, `
  auth = "api_key"
  api_key_header = "X-API-Key"
  token_type = "none"
  pagination.type = "page_number"
`, 4},
		{"basic, page numbers with a page count",
			vendorsim.Config{Auth: vendorsim.AuthBasic, Pagination: vendorsim.PageNumber, TotalPages: true}, `credential = "basic"`, `
  auth = "basic"
  pagination = { type = "page_number", total_pages_path = "total_pages" }
`, 3},
		{"oauth2 in the header, cursor",
			vendorsim.Config{Auth: vendorsim.AuthOAuth2, ClientAuth: vendorsim.ClientAuthHeader, Pagination: vendorsim.Cursor}, `credential = "oauth"`, `
  auth = "oauth2_client_credentials"
  token_url = "/oauth/token"
  client_auth = "header"
  pagination = { type = "cursor", cursor_path = "response_metadata.next_cursor" }
`, 3},
		{"oauth2 in the body, link header (relative, among other links), scopes and token params",
			vendorsim.Config{Auth: vendorsim.AuthOAuth2, ClientAuth: vendorsim.ClientAuthBody, Pagination: vendorsim.LinkHeader, RelativeLink: true}, `credential = "oauth"`, `
  auth = "oauth2_client_credentials"
  token_url = "/oauth/token"
  client_auth = "body"
  scopes = ["users:read", "users:read.email"]
  token_params = { audience = "https://api.vendor.example" }
  pagination.type = "link_header"
`, 3},
		{"oauth2, page numbers with has_more, a token that expires once",
			vendorsim.Config{Auth: vendorsim.AuthOAuth2, Pagination: vendorsim.PageNumber, Fault: vendorsim.FaultExpireToken}, `credential = "oauth"`, `
  auth = "oauth2_client_credentials"
  token_url = "/oauth/token"
  pagination = { type = "page_number", has_more_path = "has_more" }
`, 4},
		{"the API serves smaller pages than asked: has_more decides",
			vendorsim.Config{Auth: vendorsim.AuthNone, Pagination: vendorsim.OffsetLimit, MaxPageSize: 70}, "", `
  pagination = { type = "offset_limit", page_size = 100, has_more_path = "has_more" }
`, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.sim
			if cfg.Users == 0 {
				cfg.Users = 250
			}
			s, srv := newSim(t, cfg)
			rest := strings.ReplaceAll(tc.rest, `token_url = "/oauth/token"`, `token_url = "`+srv.URL+`/oauth/token"`)
			e := vendortest.New(t, secrets())
			rep := e.Run(e.Config(integration(srv.URL, tc.head, rest)), "vendor-x")
			if rep.Outcome != store.OutcomeSuccess {
				t.Fatalf("%s: %s\nlogs:\n%s", rep.Outcome, rep.Error, e.Logs)
			}
			if rep.Counts.Fetched != cfg.Users || rep.Counts.Created != cfg.Users {
				t.Errorf("counts %+v, want %d fetched and created", rep.Counts, cfg.Users)
			}
			if got := s.Requests.Load(); got != tc.pages {
				t.Errorf("%d page requests, want %d", got, tc.pages)
			}
			if n := s.Refused.Load(); n > 0 && cfg.Fault != vendorsim.FaultExpireToken {
				t.Errorf("%d requests refused", n)
			}
			p := e.Records("vendor-x", store.Person)["user27@example.com"]
			if p.Fields["full_name"] != "User Number27" || p.Fields["department"] != "Dept7" {
				t.Errorf("user 27 = %v", p.Fields)
			}
			if cfg.Auth == vendorsim.AuthOAuth2 {
				want := int64(1)
				if cfg.Fault == vendorsim.FaultExpireToken {
					want = 2
				}
				if n := s.TokenCalls.Load(); n != want {
					t.Errorf("%d token requests, want %d", n, want)
				}
			}
			if form := s.TokenRequest(); strings.Contains(tc.rest, "scopes") && (form.Get("scope") != "users:read users:read.email" || form.Get("audience") != "https://api.vendor.example") {
				t.Errorf("token request: scope %q, params %v", form.Get("scope"), form)
			}
		})
	}
}

// TestFiltersAndActivity keeps two departments, reads inactive users
// from a status field and the SaaS users' last activity from last_login.
func TestFiltersAndActivity(t *testing.T) {
	// Generation 1 with only Churn.Inactive: the same 250 users, some of
	// them "inactive".
	_, srv := newSim(t, vendorsim.Config{Users: 250, Auth: vendorsim.AuthNone, Pagination: vendorsim.Cursor,
		Generation: 1, Churn: vendorsim.Churn{Inactive: 20}})
	e := vendortest.New(t, secrets())
	text := integration(srv.URL, `
mode = "users+saas_users"
application = "Vendor X"
`, `
  pagination = { type = "cursor", cursor_path = "response_metadata.next_cursor", page_size = 100 }
  [[integration.filter]]
  field = "department"
  op = "ne"
  value = "Dept1"
  [[integration.filter]]
  field = "department"
  op = "in"
  value = ["Dept0", "Dept2", "Marketing"]
  [integration.active]
  field = "status"
  inactive_values = ["inactive"]
`)
	text = strings.Replace(text, `"user.department" = "department"`, `"user.department" = "department"
  "saas_user.last_activity" = "last_login | time"`, 1)
	rep := e.Run(e.Config(text), "vendor-x")
	if rep.Outcome != store.OutcomeSuccess {
		t.Fatalf("%s: %s", rep.Outcome, rep.Error)
	}
	// Users 0, 2, 20, 22, 40, ... are in Dept0 or Dept2: 26 of 250. Pages
	// are counted before filtering: all 250 were fetched.
	if c := rep.Counts; c.Fetched != 250 || c.Filtered != 224 || c.Created != 26 {
		t.Errorf("counts %+v", c)
	}
	saas := e.Records("vendor-x", store.SaaSUser)
	if u := saas["user42@example.com"]; u.Fields["last_activity"] != "2023-11-14T22:55:20Z" || u.Application != "Vendor X" {
		t.Errorf("saas user 42 = %+v", u)
	}
	// Whoever of them the API lists as inactive is stored inactive.
	people := e.Records("vendor-x", store.Person)
	inactive := 0
	for _, u := range listUsers(t, srv.URL) {
		if u.Department != "Dept0" && u.Department != "Dept2" {
			continue
		}
		want := store.Active
		if u.Status == "inactive" {
			want = store.Inactive
			inactive++
		}
		if p := people[strings.ToLower(u.Email)]; p.Status != want {
			t.Errorf("%s (%s) is %q", u.Email, u.Status, p.Status)
		}
	}
	if inactive == 0 {
		t.Error("no kept user is inactive: the active field was not tested")
	}
	if n := len(saas); n != 26 {
		t.Errorf("%d saas users", n)
	}
}

type listedUser struct {
	Email, Department, Status string
}

// listUsers reads every user of an unauthenticated simulator at base in
// one page, as its API lists them.
func listUsers(t *testing.T, base string) []listedUser {
	t.Helper()
	resp, err := http.Get(base + "/v1/users?limit=1000")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct {
		Data struct{ Users []listedUser }
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		t.Fatal(err)
	}
	return page.Data.Users
}
