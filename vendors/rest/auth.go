package rest

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/agentsync/agent/credentials"
	"github.com/agentsync/agent/vendors"
	"github.com/agentsync/agent/vendors/web"
)

// authorizer puts the credential on a request. refresh is called after a
// 401 and reports whether a fresh credential is worth one more try.
type authorizer interface {
	apply(req *http.Request) error
	refresh() bool
}

type noAuth struct{}

func (noAuth) apply(*http.Request) error { return nil }
func (noAuth) refresh() bool             { return false }

// headerAuth is a fixed header: an API key, or HTTP Basic.
type headerAuth struct{ name, value string }

func (h headerAuth) apply(req *http.Request) error { req.Header.Set(h.name, h.value); return nil }
func (headerAuth) refresh() bool                   { return false }

// oauthAuth holds the run's one TokenSource: a token is fetched once and
// reused for its lifetime (clientcredentials' Config.Token would fetch a
// new one on every call). refresh replaces the source, so the next apply
// fetches a new token.
type oauthAuth struct {
	conf       *clientcredentials.Config
	ctx        context.Context // carries the web client for the token requests
	credential string
	red        *credentials.Redactor

	mu sync.Mutex
	ts oauth2.TokenSource
}

func (a *oauthAuth) apply(req *http.Request) error {
	a.mu.Lock()
	ts := a.ts
	a.mu.Unlock()
	tok, err := ts.Token()
	if err != nil {
		return a.tokenError(err)
	}
	a.red.Add(tok.AccessToken)
	req.Header.Set("Authorization", tok.Type()+" "+tok.AccessToken)
	return nil
}

func (a *oauthAuth) refresh() bool {
	a.mu.Lock()
	a.ts = a.conf.TokenSource(a.ctx)
	a.mu.Unlock()
	return true
}

// tokenError says what went wrong at the token endpoint without the
// response body, which is the vendor's to fill.
func (a *oauthAuth) tokenError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		detail := a.red.String(re.Response.Status)
		if re.ErrorCode != "" {
			detail += ", " + web.Clip(a.red, re.ErrorCode, 40)
		}
		if re.ErrorDescription != "" {
			detail += ": " + web.Clip(a.red, re.ErrorDescription, 120)
		}
		switch re.Response.StatusCode {
		case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden:
			return vendors.CredentialError("credential %q was refused by the token endpoint %s (HTTP %s): check the client ID and secret (`agent credentials test %s`), rest.client_auth (header or body) and rest.scopes", a.credential, a.conf.TokenURL, detail, a.credential)
		}
		return fmt.Errorf("credential %q: the token endpoint %s answered HTTP %s", a.credential, a.conf.TokenURL, detail)
	}
	return fmt.Errorf("credential %q: no token from %s: %w", a.credential, a.conf.TokenURL, unwrapURLError(err))
}

// authorizer builds this run's authorizer from the credential.
// Every secret part of the credential, in all its forms, goes to red
// before the first request.
func (s *source) authorizer(ctx context.Context, client *http.Client, red *credentials.Redactor) (authorizer, error) {
	r := s.rest
	if r.Auth == AuthNone {
		return noAuth{}, nil
	}
	sec, err := s.secret(ctx)
	if err != nil {
		return nil, err
	}
	red.AddSecret(sec)
	switch r.Auth {
	case AuthAPIKey:
		if err := s.need(sec, credentials.APIKey, sec.Token != ""); err != nil {
			return nil, err
		}
		v := sec.Token
		if r.TokenType != "" {
			v = r.TokenType + " " + sec.Token
		}
		return headerAuth{name: r.APIKeyHeader, value: v}, nil
	case AuthBasic:
		if err := s.need(sec, credentials.Basic, sec.Username != "" && sec.Password != ""); err != nil {
			return nil, err
		}
		v := base64.StdEncoding.EncodeToString([]byte(sec.Username + ":" + sec.Password))
		return headerAuth{name: "Authorization", value: "Basic " + v}, nil
	case AuthOAuth2:
		if err := s.need(sec, credentials.OAuth2Client, sec.ClientID != "" && sec.ClientSecret != ""); err != nil {
			return nil, err
		}
		conf := &clientcredentials.Config{
			ClientID:     sec.ClientID,
			ClientSecret: sec.ClientSecret,
			TokenURL:     r.TokenURL,
			Scopes:       r.Scopes,
			// Pinned: left to auto-detection, the library tries the header
			// and silently retries with the secret in the body.
			AuthStyle: oauth2.AuthStyleInHeader,
		}
		if r.ClientAuth == ClientAuthBody {
			conf.AuthStyle = oauth2.AuthStyleInParams
		}
		if len(r.TokenParams) > 0 {
			conf.EndpointParams = url.Values{}
			for k, v := range r.TokenParams {
				conf.EndpointParams.Set(k, v)
			}
		}
		tctx := context.WithValue(ctx, oauth2.HTTPClient, client)
		return &oauthAuth{conf: conf, ctx: tctx, credential: s.credential, red: red, ts: conf.TokenSource(tctx)}, nil
	}
	return nil, fmt.Errorf("rest.auth %q is not supported", r.Auth)
}

// secret reads the integration's credential from the store.
func (s *source) secret(ctx context.Context) (credentials.Secret, error) {
	if s.secrets == nil {
		return credentials.Secret{}, vendors.CredentialError("credential %q: no credential store is open to read it from", s.credential)
	}
	sec, err := s.secrets.Get(ctx, s.credential)
	if err != nil {
		return credentials.Secret{}, vendors.CredentialError("credential %q: %v", s.credential, err)
	}
	return sec, nil
}

// need checks that the credential is of the kind auth needs and complete.
func (s *source) need(sec credentials.Secret, kind credentials.Kind, complete bool) error {
	if sec.Kind != "" && sec.Kind != kind {
		return vendors.CredentialError("credential %q is of kind %s, but auth = %q needs one of kind %s (`agent credentials set %s --kind %s`)", s.credential, sec.Kind, s.rest.Auth, kind, s.credential, kind)
	}
	if !complete {
		what := map[credentials.Kind]string{credentials.OAuth2Client: "a client ID and a client secret", credentials.APIKey: "a token", credentials.Basic: "a username and a password"}[kind]
		return vendors.CredentialError("credential %q lacks %s, which auth = %q needs", s.credential, what, s.rest.Auth)
	}
	return nil
}

// refused is the error of a 401 or 403 from the users endpoint: it names
// the credential and what to check, never the credential's value.
func refused(code int, status, host, credential, auth string) error {
	if credential == "" {
		return vendors.CredentialError("%s answered HTTP %s: the API wants credentials; set rest.auth and credential", host, status)
	}
	if code == http.StatusForbidden {
		return vendors.CredentialError("credential %q may not list users at %s (HTTP %s): check the permissions of the account or application behind it and rest.scopes", credential, host, status)
	}
	switch auth {
	case AuthOAuth2:
		return vendors.CredentialError("credential %q was refused by %s even with a fresh token (HTTP %s): check the client ID and secret (`agent credentials test %s`) and that the API application is enabled", credential, host, status, credential)
	case AuthAPIKey:
		return vendors.CredentialError("credential %q was refused by %s (HTTP %s): check the API key, rest.token_type and rest.api_key_header", credential, host, status)
	}
	return vendors.CredentialError("credential %q was refused by %s (HTTP %s): check the username and password", credential, host, status)
}
