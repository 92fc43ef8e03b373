package credentials

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/agentsync/agent/credentials/tokentest"
)

func TestRedactor(t *testing.T) {
	const secret = `s3 cr+t/é"<&>%Kp4`
	red := &Redactor{}
	red.AddSecret(Secret{Kind: OAuth2Client, ClientID: "client:1", ClientSecret: secret})
	red.Add("tok-ABCDEFGH", "abc") // "abc" is too short to tell from text
	b64 := base64.StdEncoding.EncodeToString
	q := url.QueryEscape(secret)
	tests := []struct{ name, in string }{
		{"as given", secret},
		{"form-encoded", q},
		{"form-encoded, space as %20", strings.ReplaceAll(q, "+", "%20")},
		{"form-encoded, lower-case hex", "s3+cr%2bt%2f%c3%a9%22%3c%26%3e%25Kp4"},
		{"JSON, Go", `s3 cr+t/é\"\u003c\u0026\u003e%Kp4`},
		{"JSON, others", `s3 cr+t/é\"<&>%Kp4`},
		{"JSON, PHP", `s3 cr+t\/é\"<&>%Kp4`},
		{"Basic", b64([]byte("client:1:" + secret))},
		{"Basic, RFC 6749", b64([]byte(url.QueryEscape("client:1") + ":" + q))},
		{"issued token", "tok-ABCDEFGH"},
	}
	for _, tc := range tests {
		if got := red.String("x " + tc.in + " y"); got != "x [redacted] y" {
			t.Errorf("%s: %q became %q", tc.name, tc.in, got)
		}
	}
	if got := red.String("abc xyz"); got != "abc xyz" {
		t.Errorf("a 3-character value was redacted: %q", got)
	}
	// Overlapping secrets go whole, whichever matched first.
	red.Add("OVERLAP-1234", "1234-OVERLAP")
	if got := red.String("<OVERLAP-1234-OVERLAP>"); got != "<[redacted]>" {
		t.Errorf("overlap: %q", got)
	}
	var none *Redactor
	if got := none.String(secret); got != secret {
		t.Errorf("a nil Redactor changed the text: %q", got)
	}
	none.Add("x-1234567")
}

func TestRedactorError(t *testing.T) {
	red := &Redactor{}
	red.Add("tok-ABCDEFGH")
	plain := errors.New("plain")
	if red.Error(plain) != plain || red.Error(nil) != nil {
		t.Fatal("an error without a secret was replaced")
	}
	var pe *fs.PathError
	err := red.Error(fmt.Errorf("wrapped: %w", &fs.PathError{Op: "open", Path: "tok-ABCDEFGH", Err: fs.ErrNotExist}))
	if err.Error() != "wrapped: open [redacted]: file does not exist" || !errors.Is(err, fs.ErrNotExist) || !errors.As(err, &pe) {
		t.Fatalf("Error: %q; errors.Is/As lost", err)
	}
}

// TestRedactorConcurrent: tokens are added while messages are redacted
// (run with -race).
func TestRedactorConcurrent(t *testing.T) {
	red := &Redactor{}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 50 {
				tok := fmt.Sprintf("tok-%d-%d-XYZ", i, j)
				red.Add(tok)
				if got := red.String("a " + tok + " b"); got != "a [redacted] b" {
					t.Errorf("%q", got)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestTokenErrorRedactsBeforeShortening: the endpoint quotes a
// 200-character secret, so its description runs past the 200 runes kept:
// not a piece of the secret may survive the cut.
func TestTokenErrorRedactsBeforeShortening(t *testing.T) {
	srv := tokentest.New(t, "cid", "the-right-secret")
	long := strings.Repeat("Lm7Qx", 40)
	_, err := TestToken(context.Background(), nil, "vx", Secret{Kind: OAuth2Client, ClientID: "cid", ClientSecret: long}, TokenEndpoint{URL: srv.TokenURL(), ClientAuth: "body"})
	if err == nil {
		t.Fatal("a wrong secret got a token")
	}
	if msg := err.Error(); strings.Contains(msg, "Lm7Qx") || !strings.Contains(msg, "[redacted]") {
		t.Fatalf("error %q", msg)
	}
}
