package credentials

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// TokenEndpoint is where an oauth2_client credential is exchanged for an
// access token (the client credentials grant, RFC 6749 §4.4); it mirrors
// [integration.rest] token_url, scopes, client_auth and token_params.
type TokenEndpoint struct {
	URL        string
	Scopes     []string
	ClientAuth string            // "header" (HTTP Basic, §2.3.1) | "body" (form fields) | "" (try header, then body)
	Params     map[string]string // extra form fields of the token request
}

// TokenInfo describes an access token without its value.
type TokenInfo struct {
	Type   string
	Expiry time.Time // zero: the endpoint gave no lifetime
}

// TestToken obtains one access token for oauth2_client credential name
// from ep and describes it; the token itself is dropped. base supplies the
// transport and timeouts (nil: http.DefaultClient). Its errors name the
// credential, the endpoint, the HTTP status and the OAuth2 error code, and
// carry no secret, even one the endpoint echoed.
func TestToken(ctx context.Context, base *http.Client, name string, sec Secret, ep TokenEndpoint) (TokenInfo, error) {
	if sec.Kind != OAuth2Client {
		return TokenInfo{}, fmt.Errorf("credential %q is %s, not oauth2_client: it has no token to obtain", name, sec.Kind)
	}
	if base != nil {
		ctx = context.WithValue(ctx, oauth2.HTTPClient, base)
	}
	style := oauth2.AuthStyleAutoDetect
	switch ep.ClientAuth {
	case "header":
		style = oauth2.AuthStyleInHeader
	case "body":
		style = oauth2.AuthStyleInParams
	}
	params := url.Values{}
	for k, v := range ep.Params {
		params.Set(k, v)
	}
	conf := &clientcredentials.Config{ClientID: sec.ClientID, ClientSecret: sec.ClientSecret, TokenURL: ep.URL,
		Scopes: ep.Scopes, AuthStyle: style, EndpointParams: params}
	tok, err := conf.Token(ctx)
	if err != nil {
		return TokenInfo{}, tokenError(name, ep.URL, sec, err)
	}
	if tok.AccessToken == "" {
		return TokenInfo{}, fmt.Errorf("credential %q: token endpoint %s answered without an access token", name, ep.URL)
	}
	return TokenInfo{Type: tok.Type(), Expiry: tok.Expiry}, nil
}

// tokenError describes a failed token request: the endpoint's status and
// OAuth2 error, never its body verbatim, with any secret value of sec the
// endpoint may have echoed removed before the description is shortened.
func tokenError(name, tokenURL string, sec Secret, err error) error {
	red := &Redactor{}
	red.AddSecret(sec)
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		msg := "refused"
		if re.Response != nil {
			msg = re.Response.Status
		}
		if re.ErrorCode != "" {
			msg += ": " + re.ErrorCode
		}
		if d := red.String(re.ErrorDescription); d != "" {
			if r := []rune(d); len(r) > 200 {
				d = string(r[:200]) + "…"
			}
			msg += " (" + d + ")"
		}
		return fmt.Errorf("credential %q: token endpoint %s: %s", name, tokenURL, red.String(msg))
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the URL is said once, below
	}
	return fmt.Errorf("credential %q: token request to %s failed: %w", name, tokenURL, red.Error(err))
}
