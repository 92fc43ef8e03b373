package main

import (
	"reflect"
	"slices"
	"testing"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/credentials"
)

// TestCredentialReadsOfRESTSettings: the credential checks read the REST
// settings (a template's preset merged) through the vendor's own methods.
func TestCredentialReadsOfRESTSettings(t *testing.T) {
	cfg, err := config.Parse("config.toml", []byte(`
[[integration]]
name = "a"
vendor = "rest"
credential = "c"
mapping = { "user.email" = "email" }
  [integration.rest]
  base_url = "https://api.example.com"
  users_url = "/users"
  auth = "oauth2_client_credentials"
  token_url = "/oauth/token"
  scopes = ["users:read"]
  token_params = { audience = "x" }

[[integration]]
name = "b"
vendor = "rest"
credential = "c"
mapping = { "user.email" = "email" }
rest.users_url = "https://api.example.com/users"
rest.auth = "basic"

[[integration]]
name = "f"
vendor = "file"
credential = "c"
mapping = { "user.email" = "email" }
file.path = "users.jsonl"
`))
	if err != nil {
		t.Fatal(err)
	}
	want := []credentials.TokenEndpoint{{URL: "https://api.example.com/oauth/token", Scopes: []string{"users:read"}, ClientAuth: "header", Params: map[string]string{"audience": "x"}}}
	if got := tokenEndpoints(cfg, "c"); !reflect.DeepEqual(got, want) {
		t.Errorf("tokenEndpoints = %+v", got)
	}
	if got := tokenEndpoints(cfg, "other"); len(got) != 0 {
		t.Errorf("tokenEndpoints of another credential = %+v", got)
	}
	got := kindMismatches(cfg, credentials.Meta{Name: "c", Kind: credentials.APIKey})
	if !slices.Equal(got, []string{
		`a: [integration.rest] auth = "oauth2_client_credentials" wants a oauth2_client credential, but c is api_key`,
		`b: [integration.rest] auth = "basic" wants a basic credential, but c is api_key`,
	}) {
		t.Errorf("kindMismatches = %q", got)
	}
}
