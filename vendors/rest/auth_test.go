package rest_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/agentsync/agent/credentials"
	"github.com/agentsync/agent/internal/vendorsim"
	"github.com/agentsync/agent/internal/vendortest"
	"github.com/agentsync/agent/vendors"
	"github.com/agentsync/agent/vendors/rest"
)

// TestCredentialProblems: every way the credential can be unusable fails
// the fetch before any request, with an error that names it.
func TestCredentialProblems(t *testing.T) {
	s, srv := newSim(t, vendorsim.Config{Users: 5, Auth: vendorsim.AuthOAuth2})
	settings := vendors.Config{Vendor: "rest", Credential: "c", Settings: &rest.Settings{
		UsersURL: srv.URL + "/v1/users", RecordsPath: "data.users", Auth: rest.AuthOAuth2, TokenURL: srv.URL + "/oauth/token"}}
	tests := []struct {
		name    string
		secrets vendors.SecretSource
		want    string
	}{
		{"no credential store", nil, `credential "c": no credential store is open`},
		{"not in the store", vendortest.Secrets{}, `credential "c": no credential named "c"`},
		{"wrong kind", vendortest.Secrets{"c": {Kind: credentials.APIKey, Token: "k-123456"}}, `credential "c" is of kind api_key, but auth = "oauth2_client_credentials" needs one of kind oauth2_client`},
		{"incomplete", vendortest.Secrets{"c": {Kind: credentials.OAuth2Client, ClientID: "id"}}, `credential "c" lacks a client ID and a client secret, which auth = "oauth2_client_credentials" needs`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			settings.Secrets = tc.secrets
			src, err := rest.New(settings)
			if err != nil {
				t.Fatal(err)
			}
			err = src.Fetch(context.Background(), func(vendors.Page) error { return nil })
			if !errors.Is(err, vendors.ErrCredential) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want ErrCredential with %q", err, tc.want)
			}
		})
	}
	if s.Requests.Load()+s.TokenCalls.Load() != 0 {
		t.Error("a request went out with an unusable credential")
	}
	settings.Credential = ""
	if _, err := rest.New(settings); !errors.Is(err, vendors.ErrCredential) {
		t.Errorf("no credential named: %v", err)
	}
}
