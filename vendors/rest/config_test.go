package rest_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/vendors"
	"github.com/agentsync/agent/vendors/rest"
)

// These tests are config's merging of a vendor's defaults and its checks
// of [integration.rest]; they live here, with a template of their own, so
// that config's golden files list only the vendors config registers.

func init() {
	rest.RegisterTemplate([]byte(`
vendor = "test-template"
mode = "users+saas_users"
application = "Test App"
[mapping]
"user.email" = "email | lower"
"user.full_name" = "name"
"user.custom.connect_credentials" = "$credential_name"
"saas_user.last_activity" = "last_login | time"
[active]
field = "status"
inactive_values = ["disabled"]
[rest]
base_url = "https://api.test.example"
users_url = "/v2/users"
records_path = "data"
auth = "oauth2_client_credentials"
token_url = "https://login.test.example/oauth/token"
token_params = { grant_type = "account_credentials", account_id = "<account-id>" }
pagination = { type = "cursor", cursor_path = "next", page_size = 300 }
`))
}

func integrationOf(t *testing.T, src string) *config.Integration {
	t.Helper()
	cfg, err := config.Parse("config.toml", []byte(src))
	if err != nil {
		t.Fatalf("%v", err)
	}
	return cfg.Integrations[0]
}

func TestVendorDefaultsAlone(t *testing.T) {
	in := integrationOf(t, `
[[integration]]
name = "t"
vendor = "test-template"
credential = "c"
rest.token_params.account_id = "acct-1"
`)
	if in.Mode != config.ModeUsersAndSaaS || in.Application != "Test App" || in.Active.Field != "status" {
		t.Errorf("mode %q, application %q, active %+v", in.Mode, in.Application, in.Active)
	}
	if !in.Launched() || len(in.Mapping) != 4 || !in.CompiledMapping.Has("saas_user.last_activity") {
		t.Errorf("launched %v (missing %v), mapping %v", in.Launched(), in.Missing(), in.Mapping)
	}
	r := in.VendorConfig(nil).Settings.(*rest.Settings)
	if r.UsersURL != "/v2/users" || r.Pagination.PageSize != 300 || r.TokenParams["grant_type"] != "account_credentials" || r.TokenParams["account_id"] != "acct-1" {
		t.Errorf("rest = %+v", r)
	}
}

func TestVendorDefaultsUnderTheFilesKeys(t *testing.T) {
	cfg, err := config.Parse("config.toml", []byte(`
[[integration]]
name = "one"
vendor = "test-template"
credential = "c"
mode = "users"
  [integration.mapping]
  "user.full_name" = "display_name"
  "user.department" = "dept"
  [integration.active]
  field = "deleted"
  inactive_values = ["true"]
  [integration.rest]
  base_url = "https://eu.api.test.example"
  token_params = { account_id = "acct-eu" }
  pagination.page_size = 50
  http.backoff = "2s"

[[integration]]
name = "two"
vendor = "test-template"
credential = "c"
application = "Other App"
rest.token_params.account_id = "acct-two"
`))
	if err != nil {
		t.Fatal(err)
	}
	one, two := cfg.Integrations[0], cfg.Integrations[1]
	if one.Mode != config.ModeUsers || one.Active.Field != "deleted" || one.Mapping["user.full_name"] != "display_name" ||
		one.Mapping["user.department"] != "dept" || one.Mapping["user.email"] != "email | lower" {
		t.Errorf("one: mode %q, active %+v, mapping %v", one.Mode, one.Active, one.Mapping)
	}
	if _, ok := one.Mapping["saas_user.last_activity"]; ok {
		t.Error("users mode kept a saas_user default")
	}
	r := one.Settings.(*rest.Settings)
	if r.BaseURL != "https://eu.api.test.example" || r.UsersURL != "/v2/users" || r.Pagination.PageSize != 50 ||
		r.Pagination.Type != rest.PageCursor || r.Pagination.CursorPath != "next" || r.HTTP.Backoff != "2s" ||
		r.TokenParams["grant_type"] != "account_credentials" || r.TokenParams["account_id"] != "acct-eu" {
		t.Errorf("one: rest = %+v", r)
	}
	r2 := two.Settings.(*rest.Settings)
	if two.Application != "Other App" || r2.TokenParams["account_id"] != "acct-two" || r2.Pagination.PageSize != 300 {
		t.Errorf("two: application %q, rest %+v", two.Application, r2)
	}
	if v, _ := vendors.Describe("test-template"); v.NewSettings().(*rest.Settings).TokenParams["account_id"] != "<account-id>" {
		t.Error("an integration changed the vendor's preset")
	}
}

func TestVendorDraftUntilSupplied(t *testing.T) {
	in := integrationOf(t, "[[integration]]\nname = \"t\"\nvendor = \"test-template\"\n")
	if got := in.Missing(); !slices.Equal(got, []string{config.MissingCredential, "rest.token_params.account_id"}) {
		t.Errorf("missing %q", got)
	}
	// The generic connector without auth needs no credential.
	in = integrationOf(t, "[[integration]]\nname = \"t\"\nvendor = \"rest\"\nmapping = { \"user.email\" = \"email\" }\nrest.users_url = \"https://api.example.com/users\"\n")
	if !in.Launched() {
		t.Errorf("missing %q", in.Missing())
	}
}

func TestRESTProblems(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"urls", `[[integration]]
name = "a"
vendor = "rest"
credential = "c"
[integration.rest]
users_url = "/v1/users"
auth = "oauth2_client_credentials"
token_url = "http://login.example.com/token"
`, []string{
			`config.toml:6:1: integration.rest.users_url "/v1/users" is relative: make it an absolute https URL or set rest.base_url`,
			`config.toml:8:1: integration.rest.token_url "http://login.example.com/token" must use https (plain http only for a loopback host): credentials travel with every request`,
		}},
		{"credentials in the URL", `[[integration]]
name = "a"
vendor = "rest"
rest.users_url = "https://api.example.com/users?api_key=abc"
rest.base_url = "https://bob:pw@api.example.com"
`, []string{
			`config.toml:4:6: integration.rest.users_url must not carry a credential in its query (api_key=…): name a keyring credential instead`,
			`config.toml:5:6: integration.rest.base_url must not hold credentials (https://…@): name a keyring credential instead`,
		}},
		{"ports", `[[integration]]
name = "a"
vendor = "rest"
credential = "c"
rest.base_url = "https://api.example.com:0"
rest.users_url = "http://127.0.0.1:/x"
rest.auth = "oauth2_client_credentials"
rest.token_url = "https://[::1]:/token"
`, []string{
			`config.toml:5:6: integration.rest.base_url "https://api.example.com:0" has an empty or invalid port after ':' (write the host alone, or host:1-65535)`,
			`config.toml:6:6: integration.rest.users_url "http://127.0.0.1:/x" has an empty or invalid port after ':' (write the host alone, or host:1-65535)`,
			`config.toml:8:6: integration.rest.token_url "https://[::1]:/token" has an empty or invalid port after ':' (write the host alone, or host:1-65535)`,
		}},
		{"good ports", `[[integration]]
name = "a"
vendor = "rest"
rest.users_url = "http://[::1]:8080/x"
rest.base_url = "https://api.example.com:443"
`, nil},
		{"oauth2 without a token URL", `[[integration]]
name = "a"
vendor = "rest"
credential = "c"
  [integration.rest]
  users_url = "https://api.example.com/users"
  auth = "oauth2_client_credentials"
  token_params = { client_secret = "x" }
`, []string{
			`config.toml:5:3: integration.rest.token_url is required when auth = "oauth2_client_credentials": the OAuth2 token endpoint`,
			`config.toml:8:20: integration.rest.token_params.client_secret is set from the credential and rest.scopes, not here`,
		}},
		{"paths and pagination", `[[integration]]
name = "a"
vendor = "rest"
  [integration.rest]
  users_url = "https://api.example.com/users"
  records_path = "data..users"
    [integration.rest.pagination]
    type = "cursor"
    page_size = -1
    total_pages_path = "pages"
`, []string{
			`config.toml:6:3: integration.rest.records_path "data..users" has an empty segment (segment 2): write a.b or a.0.b`,
			`config.toml:7:5: integration.rest.pagination.cursor_path is required with type = "cursor": the JSON path of the next cursor, e.g. response_metadata.next_cursor`,
			`config.toml:9:5: integration.rest.pagination.page_size -1 must be between 1 and 100000`,
			`config.toml:10:5: integration.rest.pagination.total_pages_path is only read with type = "page_number"`,
		}},
		{"http", `[[integration]]
name = "a"
vendor = "rest"
rest.users_url = "https://api.example.com/users"
rest.http = { backoff = "soon", attempts = 50 }
`, []string{
			`config.toml:5:15: integration.rest.http.backoff "soon" is not a positive duration such as "30s" or "5m"`,
			`config.toml:5:33: integration.rest.http.attempts 50 must be between 1 and 20`,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Parse("config.toml", []byte(tc.src))
			if err == nil && tc.want == nil {
				return
			}
			var e *config.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v", err)
			}
			var got []string
			for _, p := range e.Problems {
				got = append(got, p.String())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}
