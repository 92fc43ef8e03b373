// Package rest is the declarative REST connector: the vendor "rest", whose
// [integration.rest] table says where the users are, how to authenticate
// and how to page, and the built-in templates (RegisterTemplate) that are
// the same connector with a vendor's preset and default mapping.
//
// A fetch authenticates with the integration's credential (auth none,
// api_key, basic, or oauth2_client_credentials through
// golang.org/x/oauth2/clientcredentials), GETs the users URL page after
// page (none, offset_limit, page_number, cursor, link_header), takes each
// page's users from records_path and yields them. The HTTP mechanics
// (retries, Retry-After, pacing, timeouts, TLS, size cap) are package
// web's. It returns nil only when pagination ended by its own signal
// (the rules are in complete.go); a repeated cursor, page or next link, a
// configured path (records_path, cursor_path, has_more_path,
// total_pages_path) absent from a page, a body that is not JSON, a
// refused credential or a runaway page count fail the fetch, and the
// engine then deactivates nobody. See README.md.
package rest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"

	"github.com/agentsync/agent/credentials"
	"github.com/agentsync/agent/vendors"
	"github.com/agentsync/agent/vendors/web"
)

// Name is the generic connector's vendor name.
const Name = "rest"

// Table is the integration's table the connector and its templates read:
// [integration.rest], decoded into Settings.
const Table = "rest"

func init() {
	vendors.RegisterVendor(Name, vendors.Vendor{
		Factory:     New,
		Table:       Table,
		NewSettings: preset(Settings{}),
		ReadBy:      `vendor = "rest" or a built-in REST vendor`,
	})
}

// source is one configured integration. It is immutable after New: every
// Fetch builds its own HTTP client, pacing state and token source.
type source struct {
	vendor     string
	credential string
	rest       Settings // resolved
	limits     HTTPLimits
	secrets    vendors.SecretSource
	userAgent  string
	log        *slog.Logger
	observe    func(event, host string) // the metrics' ear on the HTTP traffic; nil: none
}

// New builds the REST source from s.Settings (a *Settings), which the
// config has already merged with the vendor's template. Bad settings are
// errors naming the key.
func New(s vendors.Config) (vendors.Source, error) {
	rs, err := vendors.SettingsOf[Settings](s)
	if err != nil {
		return nil, err
	}
	if probs := rs.Check(); len(probs) > 0 {
		msgs := make([]string, len(probs))
		for i, p := range probs {
			msgs[i] = problemText(p)
		}
		return nil, errors.New(strings.Join(msgs, "; "))
	}
	if ph := rs.Placeholders(); len(ph) > 0 {
		return nil, fmt.Errorf("rest.%s still holds a placeholder of the %s template: set it in [integration.rest]", strings.Join(ph, ", rest."), s.Vendor)
	}
	r := rs.Resolved()
	if r.Auth != AuthNone && s.Credential == "" {
		return nil, vendors.CredentialError("auth = %q needs a credential: set credential = \"NAME\" in the integration and store it with `agent credentials set NAME`", r.Auth)
	}
	limits, _ := r.HTTP.Limits()
	if limits.CAFile != "" && !filepath.IsAbs(limits.CAFile) && s.BaseDir != "" {
		limits.CAFile = filepath.Join(s.BaseDir, limits.CAFile)
	}
	log := s.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	vendor, ua := s.Vendor, s.UserAgent
	if vendor == "" {
		vendor = Name
	}
	if ua == "" {
		ua = "agent"
	}
	return &source{
		vendor:     vendor,
		credential: s.Credential,
		rest:       r,
		limits:     limits,
		secrets:    s.Secrets,
		userAgent:  ua,
		log:        log.With("vendor", vendor),
		observe:    s.ObserveHTTP,
	}, nil
}

// Fetch reads every page; see the package comment.
func (s *source) Fetch(ctx context.Context, yield func(vendors.Page) error) error {
	ctx, cancel := context.WithTimeout(ctx, s.limits.RunTimeout)
	defer cancel()
	red := &credentials.Redactor{}
	err := s.fetch(ctx, red, yield)
	if err != nil && ctx.Err() == context.DeadlineExceeded && !errors.Is(err, context.Canceled) {
		err = fmt.Errorf("%w (the fetch ran longer than rest.http.run_timeout %s)", err, s.limits.RunTimeout)
	}
	return red.Error(err)
}

// fetch reads every page. red learns the run's secrets as the credential
// is read and tokens are issued; everything the vendor says passes it
// before it is shortened or logged.
func (s *source) fetch(ctx context.Context, red *credentials.Redactor, yield func(vendors.Page) error) error {
	client, err := web.NewClient(web.Options{
		UserAgent:        s.userAgent,
		CAFile:           s.limits.CAFile,
		ConnectTimeout:   s.limits.ConnectTimeout,
		RequestTimeout:   s.limits.RequestTimeout,
		MaxResponseBytes: s.limits.MaxResponseBytes,
		Attempts:         s.limits.Attempts,
		Backoff:          s.limits.Backoff,
		MaxWait:          s.limits.MaxWait,
		Logger:           s.log,
		Redactor:         red,
		Observe:          s.observe,
	})
	if err != nil {
		return fmt.Errorf("%s: %w", s.vendor, err)
	}
	auth, err := s.authorizer(ctx, client, red)
	if err != nil {
		return fmt.Errorf("%s: %w", s.vendor, err)
	}
	p, err := newPager(s.rest, red)
	if err != nil {
		return fmt.Errorf("%s: %w", s.vendor, err)
	}
	g := &getter{client: client, auth: auth, credential: s.credential, kind: s.rest.Auth, red: red}
	if err := p.run(ctx, g, yield); err != nil {
		var ye *yieldError
		if errors.As(err, &ye) {
			return ye.err // the engine's own error, as it gave it
		}
		return fmt.Errorf("%s: %w", s.vendor, err)
	}
	return nil
}
