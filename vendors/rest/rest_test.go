package rest_test

import (
	"strings"
	"testing"

	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/vendors/vendortest"
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
		sim   simConfig
		head  string // integration keys
		rest  string // [integration.rest] keys
		pages int64  // user page requests
	}{
		{"no auth, no pagination", simConfig{Users: 30}, "", "", 1},
		{"api key, offset and limit, ends on an empty page",
			simConfig{Auth: "api_key", Pagination: "offset_limit"}, `credential = "key"`, `
  auth = "api_key"
  pagination.type = "offset_limit"
`, 4},
		{"api key in its own header, page numbers",
			simConfig{Auth: "api_key", APIKeyHeader: "X-API-Key", Pagination: "page_number"}, `credential = "key"`, `
  auth = "api_key"
  api_key_header = "X-API-Key"
  token_type = "none"
  pagination.type = "page_number"
`, 4},
		{"basic, page numbers with a page count",
			simConfig{Auth: "basic", Pagination: "page_number", TotalPages: true}, `credential = "basic"`, `
  auth = "basic"
  pagination = { type = "page_number", total_pages_path = "total_pages" }
`, 3},
		{"oauth2 in the header, cursor",
			simConfig{Auth: "oauth2_client_credentials", ClientAuth: "header", Pagination: "cursor"}, `credential = "oauth"`, `
  auth = "oauth2_client_credentials"
  token_url = "/oauth/token"
  client_auth = "header"
  pagination = { type = "cursor", cursor_path = "response_metadata.next_cursor" }
`, 3},
		{"oauth2 in the body, link header, scopes and token params",
			simConfig{Auth: "oauth2_client_credentials", ClientAuth: "body", Pagination: "link_header"}, `credential = "oauth"`, `
  auth = "oauth2_client_credentials"
  token_url = "/oauth/token"
  client_auth = "body"
  scopes = ["users:read", "users:read.email"]
  token_params = { audience = "https://api.vendor.example" }
  pagination.type = "link_header"
`, 3},
		{"oauth2, page numbers with has_more, a token that expires once",
			simConfig{Auth: "oauth2_client_credentials", Pagination: "page_number", HasMore: true, Fault: faultExpireOnce}, `credential = "oauth"`, `
  auth = "oauth2_client_credentials"
  token_url = "/oauth/token"
  pagination = { type = "page_number", has_more_path = "has_more" }
`, 4},
		{"the API serves smaller pages than asked: has_more decides",
			simConfig{Pagination: "offset_limit", MaxPage: 70, HasMore: true}, "", `
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
			if got := s.pages.Load(); got != tc.pages {
				t.Errorf("%d page requests, want %d", got, tc.pages)
			}
			if s.badAuths > 0 && cfg.Fault != faultExpireOnce {
				t.Errorf("%d requests refused", s.badAuths)
			}
			p := e.Records("vendor-x", store.Person)["user27@example.com"]
			if p.Fields["full_name"] != "User Number 27" || p.Fields["department"] != "Sales" {
				t.Errorf("user 27 = %v", p.Fields)
			}
			if cfg.Auth == "oauth2_client_credentials" {
				want := int64(1)
				if cfg.Fault == faultExpireOnce {
					want = 2
				}
				if n := s.tokenCalls.Load(); n != want {
					t.Errorf("%d token requests, want %d", n, want)
				}
			}
			if strings.Contains(tc.rest, "scopes") && (s.scopes != "users:read users:read.email" || s.params.Get("audience") != "https://api.vendor.example") {
				t.Errorf("token request: scope %q, params %v", s.scopes, s.params)
			}
		})
	}
}

// TestFiltersAndActivity keeps one department, reads inactive users from
// a status field and the SaaS users' last activity from last_login.
func TestFiltersAndActivity(t *testing.T) {
	_, srv := newSim(t, simConfig{Users: 250, Pagination: "cursor"})
	e := vendortest.New(t, secrets())
	text := integration(srv.URL, `
mode = "users+saas_users"
application = "Vendor X"
`, `
  pagination = { type = "cursor", cursor_path = "response_metadata.next_cursor", page_size = 100 }
  [[integration.filter]]
  field = "department"
  op = "ne"
  value = "Support"
  [[integration.filter]]
  field = "department"
  op = "in"
  value = ["Sales", "Marketing"]
  [integration.active]
  field = "status"
  inactive_values = ["suspended"]
`)
	text = strings.Replace(text, `"user.department" = "department"`, `"user.department" = "department"
  "saas_user.last_activity" = "last_login | time"`, 1)
	rep := e.Run(e.Config(text), "vendor-x")
	if rep.Outcome != store.OutcomeSuccess {
		t.Fatalf("%s: %s", rep.Outcome, rep.Error)
	}
	// Users 0, 3, 6, ... are in Sales: 84 of 250. Pages are counted before
	// filtering: all 250 were fetched.
	if c := rep.Counts; c.Fetched != 250 || c.Filtered != 166 || c.Created != 84 {
		t.Errorf("counts %+v", c)
	}
	saas := e.Records("vendor-x", store.SaaSUser)
	if u := saas["user42@example.com"]; u.Fields["last_activity"] != "2023-11-14T22:55:20Z" || u.Application != "Vendor X" {
		t.Errorf("saas user 42 = %+v", u)
	}
	// User 49 is in Sales... no: 49 % 3 = 1. User 99 is (99 % 3 = 0) and suspended.
	if u := e.Records("vendor-x", store.Person)["user99@example.com"]; u.Status != store.Inactive {
		t.Errorf("user 99 (suspended) is %q", u.Status)
	}
	if n := len(saas); n != 84 {
		t.Errorf("%d saas users", n)
	}
}
