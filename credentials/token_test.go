package credentials

import (
	"context"
	"strings"
	"testing"

	"github.com/agentsync/agent/credentials/tokentest"
)

func TestTokenClientAuthStyles(t *testing.T) {
	ctx := context.Background()
	// A secret with characters §2.3.1 form-encodes before HTTP Basic.
	sec := Secret{Kind: OAuth2Client, ClientID: "client:1", ClientSecret: "s3cr+t/with%odd&chars=Kp4"}
	for _, tc := range []struct{ server, client, want string }{
		{"header", "header", "header"},
		{"body", "body", "body"},
		{"body", "", "body"}, // auto-detect falls back to the body
		{"", "", "header"},
	} {
		t.Run("server "+tc.server+" client "+tc.client, func(t *testing.T) {
			srv := tokentest.New(t, sec.ClientID, sec.ClientSecret)
			srv.ClientAuth, srv.Scope = tc.server, "users:read"
			info, err := TestToken(ctx, nil, "vx", sec, TokenEndpoint{URL: srv.TokenURL(), Scopes: []string{"users:read"}, ClientAuth: tc.client})
			if err != nil {
				t.Fatal(err)
			}
			if info.Type != "Bearer" || info.Expiry.IsZero() {
				t.Fatalf("info %+v", info)
			}
			if st := srv.Styles(); st[len(st)-1] != tc.want {
				t.Fatalf("accepted %v; want %s", st, tc.want)
			}
		})
	}
}

func TestTokenErrorsNameTheCredentialNotTheSecret(t *testing.T) {
	ctx := context.Background()
	srv := tokentest.New(t, "cid", "the-right-secret")
	wrong := Secret{Kind: OAuth2Client, ClientID: "cid", ClientSecret: "a-wrong-secret-Hj5"}
	_, err := TestToken(ctx, nil, "vendor-x", wrong, TokenEndpoint{URL: srv.TokenURL(), ClientAuth: "body"})
	if err == nil {
		t.Fatal("a wrong secret got a token")
	}
	msg := err.Error()
	if !strings.Contains(msg, `credential "vendor-x"`) || !strings.Contains(msg, "401") || !strings.Contains(msg, "invalid_client") || !strings.Contains(msg, "[redacted]") {
		t.Fatalf("error %q: want the credential, the status, the OAuth2 error and the echo redacted", msg)
	}
	if strings.Contains(msg, "a-wrong-secret-Hj5") || strings.Contains(msg, "the-right-secret") {
		t.Fatalf("error %q carries a secret", msg)
	}
	if _, err := TestToken(ctx, nil, "k", Secret{Kind: APIKey, Token: "t"}, TokenEndpoint{URL: srv.TokenURL()}); err == nil {
		t.Fatal("an api_key got a token")
	}
	srv.Close()
	_, err = TestToken(ctx, nil, "vendor-x", wrong, TokenEndpoint{URL: srv.TokenURL()})
	if err == nil || !strings.Contains(err.Error(), "token request to") {
		t.Fatalf("no server: %v", err)
	}
}

func TestRedactAndStringers(t *testing.T) {
	sec := Secret{Kind: Basic, Username: "u", Password: "pw-Redact-9"}
	red := &Redactor{}
	red.AddSecret(sec)
	if got := red.String("x pw-Redact-9 y"); got != "x [redacted] y" {
		t.Fatalf("Redactor.String: %q", got)
	}
	for _, s := range []string{sec.String(), sec.GoString()} {
		if strings.Contains(s, "pw-Redact-9") {
			t.Fatal("a stringer shows the secret")
		}
	}
}
