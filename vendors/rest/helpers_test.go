package rest_test

import (
	"net/http/httptest"
	"testing"

	"github.com/agentsync/agent/credentials"
	"github.com/agentsync/agent/internal/vendorsim"
	"github.com/agentsync/agent/internal/vendortest"
)

// Distinctive credential values: tests grep logs, errors and reports for
// them.
const (
	clientID     = "rest-client-id"
	clientSecret = "cs-SECRET-7c1d2e3f4a5b"
	apiKey       = "ak-SECRET-0a9b8c7d6e5f"
	username     = "sync-bot"
	password     = "pw-SECRET-1122334455"
)

func secrets() vendortest.Secrets {
	return vendortest.Secrets{
		"oauth": {Kind: credentials.OAuth2Client, ClientID: clientID, ClientSecret: clientSecret},
		"key":   {Kind: credentials.APIKey, Token: apiKey},
		"basic": {Kind: credentials.Basic, Username: username, Password: password},
	}
}

// newSim serves the test vendor: the loopback simulator with cfg, taking
// the credentials of secrets(). It serves GET /v1/users with the users
// under data.users and POST /oauth/token.
func newSim(t testing.TB, cfg vendorsim.Config) (*vendorsim.Sim, *httptest.Server) {
	cfg.ClientID, cfg.Secret, cfg.APIKey, cfg.Username, cfg.Password = clientID, clientSecret, apiKey, username, password
	s := vendorsim.New(cfg)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv
}
