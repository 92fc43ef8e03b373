package rest_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentsync/agent/credentials"
	"github.com/agentsync/agent/internal/vendorsim"
	"github.com/agentsync/agent/internal/vendortest"
	"github.com/agentsync/agent/vendors"
)

// TestNoSecretLeaks runs good and bad syncs with every auth style, with a
// vendor that quotes the credential back in its errors, and greps the run
// reports, the logs (the engine's and the vendor's own, at debug) and the
// store's files for the client secret, the API key, the password, its
// Basic encoding and every access token the vendor issued.
func TestNoSecretLeaks(t *testing.T) {
	const wrongSecret = "cs-SECRET-wrong-9d8c7b"
	runs := []struct {
		name    string
		sim     vendorsim.Config
		cred    string
		rest    string
		secrets vendortest.Secrets
	}{
		// A rate of 2 a second announces a nearly spent budget on every
		// page; the 500 is on page 1 because a retry is not paced, and a
		// retry in a spent window would be refused with 429.
		{"oauth2 ok", vendorsim.Config{Auth: vendorsim.AuthOAuth2, Pagination: vendorsim.Cursor, Fault: vendorsim.Fault500Once, FaultPage: 1, RatePerSec: 2}, "oauth", oauthREST, nil},
		{"oauth2 wrong secret, echoed", vendorsim.Config{Auth: vendorsim.AuthOAuth2, Fault: vendorsim.FaultEchoSecrets, Pagination: vendorsim.None}, "oauth", oauthREST,
			vendortest.Secrets{"oauth": {Kind: credentials.OAuth2Client, ClientID: clientID, ClientSecret: wrongSecret}}},
		{"oauth2 token echoed by a 401", vendorsim.Config{Auth: vendorsim.AuthOAuth2, Fault: vendorsim.FaultEchoSecrets, FaultPage: 1, Pagination: vendorsim.None}, "oauth", oauthREST, nil},
		{"oauth2 token endpoint down", vendorsim.Config{Auth: vendorsim.AuthOAuth2, Fault: vendorsim.FaultTokenDown, Pagination: vendorsim.None}, "oauth", oauthREST, nil},
		{"api key refused, echoed", vendorsim.Config{Auth: vendorsim.AuthAPIKey, Fault: vendorsim.FaultEchoSecrets, Pagination: vendorsim.Cursor}, "key",
			"  auth = \"api_key\"\n  pagination.type = \"cursor\"\n  pagination.cursor_path = \"response_metadata.next_cursor\"\n", nil},
		{"api key ok", vendorsim.Config{Auth: vendorsim.AuthAPIKey, Pagination: vendorsim.None}, "key", "  auth = \"api_key\"\n", nil},
		{"basic refused, echoed", vendorsim.Config{Auth: vendorsim.AuthBasic, Fault: vendorsim.FaultEchoSecrets, FaultPage: 1, Pagination: vendorsim.None}, "basic", "  auth = \"basic\"\n", nil},
		{"basic, 500 always", vendorsim.Config{Auth: vendorsim.AuthBasic, Fault: vendorsim.Fault500Always, FaultPage: 1, Pagination: vendorsim.None}, "basic", "  auth = \"basic\"\n", nil},
	}
	var seen strings.Builder
	var tokens []string
	for _, r := range runs {
		r.sim.Users = 150
		s, srv := newSim(t, r.sim)
		sec := r.secrets
		if sec == nil {
			sec = secrets()
		}
		e := vendortest.New(t, sec)
		rest := strings.ReplaceAll(r.rest, "TOKEN_URL", srv.URL+"/oauth/token")
		cfg := e.Config(integration(srv.URL, `credential = "`+r.cred+`"`, rest+"  http.attempts = 2\n"))
		rep := e.Run(cfg, "vendor-x")
		b, _ := json.Marshal(rep)
		seen.Write(b)
		seen.WriteString(e.Logs.String())

		// The vendor's own log (retries, pacing), which the runner does not
		// collect, straight from a Fetch.
		in, _ := cfg.Integration("vendor-x")
		settings := in.VendorConfig(cfg)
		settings.Secrets = sec
		var vlog vendortest.Buffer
		settings.Logger = slog.New(slog.NewJSONHandler(&vlog, &slog.HandlerOptions{Level: slog.LevelDebug}))
		factory, _ := vendors.Lookup("rest")
		src, err := factory(settings)
		if err != nil {
			t.Fatal(err)
		}
		ferr := src.Fetch(context.Background(), func(vendors.Page) error { return nil })
		if ferr != nil {
			seen.WriteString(ferr.Error())
		}
		seen.WriteString(vlog.String())
		for _, f := range []string{"agent.db", "agent.db-wal"} {
			b, _ := os.ReadFile(filepath.Join(e.Dir, "data", f))
			seen.Write(b)
		}
		tokens = append(tokens, s.IssuedTokens()...)
		t.Logf("%s: %s", r.name, rep.Error)
	}
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	basic := []string{b64(username + ":" + password), b64(clientID + ":" + wrongSecret)}
	for _, secret := range append(append([]string{clientSecret, wrongSecret, apiKey, password}, basic...), tokens...) {
		if strings.Contains(seen.String(), secret) {
			t.Errorf("secret %q appears in a report, a log, an error or the store", secret)
		}
	}
	if len(tokens) < 3 {
		t.Errorf("only %d access tokens issued: the runs did not get far enough to test", len(tokens))
	}
	if !strings.Contains(seen.String(), "[redacted]") {
		t.Error("no error needed redacting: the echoing vendor was not exercised")
	}
	if !strings.Contains(seen.String(), "retrying a request") || !strings.Contains(seen.String(), "pacing to the announced rate limit") {
		t.Error("the vendor's log has no retry or pacing line: its leak check proved nothing")
	}
}

const oauthREST = `  auth = "oauth2_client_credentials"
  token_url = "TOKEN_URL"
  pagination.type = "cursor"
  pagination.cursor_path = "response_metadata.next_cursor"
`
