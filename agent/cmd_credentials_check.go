package main

import (
	"context"
	"flag"
	"fmt"
	"github.com/agentsync/agent/destinations"
	"net/http"
	"strings"
	"time"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/credentials"
	"github.com/agentsync/agent/vendors/web"
)

// credTest is `agent credentials test NAME [--token-url URL]`.
func credTest(ctx context.Context, a *app, args []string) error {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	tokenURL := fs.String("token-url", "", "the token endpoint (default: the one of the integration naming the credential)")
	name, cfg, err := a.credArgs(fs, args, true)
	if err != nil {
		return err
	}
	endpoints := tokenEndpoints(cfg, name)
	if *tokenURL != "" {
		ep := credentials.TokenEndpoint{URL: *tokenURL}
		if len(endpoints) > 0 { // the integration's scopes, client authentication and parameters
			ep = endpoints[0]
			ep.URL = *tokenURL
		}
		endpoints = []credentials.TokenEndpoint{ep}
	}
	st := credentials.Open(credentialOptions(cfg))
	defer st.Close()
	sec, err := st.Get(ctx, name)
	if err != nil {
		return err
	}
	if checked, err := a.testDestinations(ctx, cfg, name, st); checked {
		return err
	}
	if sec.Kind != credentials.OAuth2Client {
		if *tokenURL != "" {
			return usagef("credentials test: credential %s is %s: it has no token to obtain (--token-url is for oauth2_client)", name, sec.Kind)
		}
		b, _ := st.Backend()
		fmt.Fprintf(a.stdout, "credential %s (%s): OK: readable from keyring %s; it has no token to obtain: try it with agent run-now --dry-run\n", name, sec.Kind, b)
		return nil
	}
	if len(endpoints) == 0 {
		return usagef("credentials test: no token URL for credential %s: no integration naming it sets [integration.rest] token_url; give --token-url URL", name)
	}
	client := &http.Client{Timeout: 30 * time.Second, CheckRedirect: web.CheckRedirect}
	failed := false
	for _, ep := range endpoints {
		info, err := credentials.TestToken(ctx, client, name, sec, ep)
		if err != nil {
			fmt.Fprintf(a.stdout, "credential %s: FAILED: %v\n", name, err)
			failed = true
			continue
		}
		life := ""
		if !info.Expiry.IsZero() {
			life = fmt.Sprintf(", valid for %s", time.Until(info.Expiry).Round(time.Minute))
		}
		fmt.Fprintf(a.stdout, "credential %s: OK: %s issued a %s token%s\n", name, ep.URL, info.Type, life)
	}
	if failed {
		return errSilent
	}
	return nil
}

// What the credential checks read of a vendor's settings, when they have
// it (the REST connector's do: rest.Settings).
type (
	// tokenEndpointer names the OAuth2 token endpoint the credential is
	// for; ok false when the settings use none.
	tokenEndpointer interface {
		TokenEndpoint() (ep credentials.TokenEndpoint, ok bool)
	}
	// credentialKinder names the kind of credential the settings need
	// and the setting that says so; "" when none.
	credentialKinder interface {
		CredentialKind() (kind credentials.Kind, setting string)
	}
)

// tokenEndpoints are the distinct token endpoints of the integrations that
// name credential name with auth = "oauth2_client_credentials" (a built-in
// vendor's preset already merged into [integration.rest] by the config).
func tokenEndpoints(cfg *config.Config, name string) []credentials.TokenEndpoint {
	var out []credentials.TokenEndpoint
	seen := map[string]bool{}
	for _, in := range cfg.Integrations {
		te, ok := in.Settings.(tokenEndpointer)
		if !ok || in.Credential != name {
			continue
		}
		ep, ok := te.TokenEndpoint()
		if !ok {
			continue
		}
		key := fmt.Sprint(ep)
		if !seen[key] {
			seen[key] = true
			out = append(out, ep)
		}
	}
	return out
}

// credentialWarnings is what `agent validate` says about credentials. A
// credential that is not stored is a warning, not an invalid config: the
// config is written before the secrets are set (and validated where they
// are not), and a run of its integration fails and notifies anyway.
func credentialWarnings(cfg *config.Config, now time.Time) []string {
	var out []string
	if cfg.Keyring.Backend == "keyctl" {
		out = append(out, `[keyring] backend = "keyctl": the kernel keyring is emptied at reboot; set the credentials again after each boot, or use "file" or "secret-service"`)
	}
	metas, err := credentials.ReadIndex(cfg.Agent.DataDir)
	if err != nil {
		return append(out, err.Error())
	}
	stored := map[string]credentials.Meta{}
	for _, m := range metas {
		stored[m.Name] = m
	}
	for _, name := range referencedCredentials(cfg) {
		users := strings.Join(usedBy(cfg, name), ", ")
		if err := credentials.CheckName(name); err != nil {
			out = append(out, fmt.Sprintf("%s: %v", users, err))
			continue
		}
		m, ok := stored[name]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("%s: credential %s is not set (agent credentials set %s%s)", users, name, name, kindFlag(cfg, name)))
		case m.Expiry(now) != credentials.ExpiryOK:
			out = append(out, fmt.Sprintf("%s: credential %s %s (agent credentials set %s --expires YYYY-MM-DD)", users, name, expiryText(m, now, cfg.Location), name))
		}
		if ok {
			out = append(out, kindMismatches(cfg, m)...)
		}
	}
	return out
}

// kindMismatches reports integrations whose settings (the auth of
// [integration.rest]) want another kind of credential than the one stored.
func kindMismatches(cfg *config.Config, m credentials.Meta) []string {
	var out []string
	for _, in := range cfg.Integrations {
		ck, ok := in.Settings.(credentialKinder)
		if !ok || in.Credential != m.Name {
			continue
		}
		if k, setting := ck.CredentialKind(); k != "" && m.Kind != k {
			out = append(out, fmt.Sprintf("%s: %s wants a %s credential, but %s is %s", in.Name, setting, k, m.Name, m.Kind))
		}
	}
	for _, d := range cfg.Destinations {
		if t, ok := destinations.Lookup(d.Type); ok && d.Credential == m.Name && m.Kind != t.CredentialKind {
			out = append(out, fmt.Sprintf("destination %s: a %s destination wants a %s credential, but %s is %s", d.Name, d.Type, t.CredentialKind, m.Name, m.Kind))
		}
	}
	if cfg.SMTP.Host != "" && cfg.SMTP.Credential == m.Name && m.Kind != credentials.Basic {
		out = append(out, fmt.Sprintf("[smtp]: credential %s is %s; SMTP wants basic (username + password)", m.Name, m.Kind))
	}
	return out
}

// testDestinations runs the check of every destination whose credential
// is name (the Oomnitza token check); checked is false when none names it.
func (a *app) testDestinations(ctx context.Context, cfg *config.Config, name string, secrets destinations.SecretSource) (checked bool, err error) {
	dl := a.deliverer(cfg, nil, secrets, destinations.HTTP{})
	for _, dc := range cfg.Destinations {
		if dc.Credential != name {
			continue
		}
		checked = true
		if cerr := dl.Check(ctx, dc); cerr != nil {
			fmt.Fprintf(a.stdout, "credential %s: FAILED: %v\n", name, cerr)
			err = errSilent
			continue
		}
		fmt.Fprintf(a.stdout, "credential %s: OK: destination %s (%s) accepted it\n", name, dc.Name, dc.URL)
	}
	return checked, err
}

// kindFlag is the --kind a destination's credential needs ("" for the
// default kind).
func kindFlag(cfg *config.Config, name string) string {
	for _, d := range cfg.Destinations {
		if t, ok := destinations.Lookup(d.Type); ok && d.Credential == name && t.CredentialKind != credentials.OAuth2Client {
			return " --kind " + string(t.CredentialKind) + " --secret-stdin"
		}
	}
	return ""
}
