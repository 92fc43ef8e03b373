package rest

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/agentsync/agent/internal/endpoint"
	"github.com/agentsync/agent/vendors"
)

// problemText words a problem of the table as the connector's own errors
// and the template checks do: `rest.KEY message`.
func problemText(p vendors.Problem) string {
	if len(p.Allowed) > 0 {
		return fmt.Sprintf("rest.%s %q must be one of %s", p.Key, p.Value, strings.Join(p.Allowed, ", "))
	}
	return "rest." + p.Key + " " + p.Msg
}

// placeholder is how a template marks a value the admin must supply:
// "https://<okta-domain>/api/v1/users".
var placeholder = regexp.MustCompile(`<[^<>]+>`)

// Placeholders lists the keys that still hold a template placeholder such
// as <org>: the integration stays in draft until the admin sets them.
func (s Settings) Placeholders() []string {
	var keys []string
	for _, kv := range []struct{ k, v string }{{"base_url", s.BaseURL}, {"users_url", s.UsersURL}, {"token_url", s.TokenURL}} {
		if placeholder.MatchString(kv.v) {
			keys = append(keys, kv.k)
		}
	}
	for _, k := range sortedKeys(s.TokenParams) {
		if placeholder.MatchString(s.TokenParams[k]) {
			keys = append(keys, "token_params."+k)
		}
	}
	return keys
}

// Check reports every problem of the settings, defaults applied. Keys that
// hold a placeholder are not checked: Placeholders reports them.
func (s Settings) Check() []vendors.Problem {
	var probs []vendors.Problem
	add := func(key, format string, args ...any) {
		probs = append(probs, vendors.Problem{Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	enum := func(key, v string, allowed []string) bool {
		if v == "" || contains(allowed, v) {
			return true
		}
		probs = append(probs, vendors.Problem{Key: key, Value: v, Allowed: allowed})
		return false
	}
	held := map[string]bool{}
	for _, k := range s.Placeholders() {
		held[k] = true
	}

	if s.BaseURL != "" && !held["base_url"] {
		if msg := endpoint.Check(s.BaseURL); msg != "" {
			add("base_url", "%s", msg)
		}
	}
	switch {
	case held["users_url"] || held["base_url"] && !absolute(s.UsersURL):
	case s.UsersURL == "":
		add("users_url", "is required: the endpoint that lists the users, e.g. https://api.vendor.example/v1/users")
	case !absolute(s.UsersURL) && s.BaseURL == "":
		add("users_url", "%q is relative: make it an absolute https URL or set rest.base_url", s.UsersURL)
	default:
		if msg := endpoint.Check(JoinURL(s.BaseURL, s.UsersURL)); msg != "" {
			add("users_url", "%s", msg)
		}
	}
	if msg := checkPath(s.RecordsPath); msg != "" {
		add("records_path", "%s", msg)
	}

	if enum("auth", s.Auth, AuthKinds) && s.Auth == AuthOAuth2 {
		switch {
		case held["token_url"] || held["base_url"] && !absolute(s.TokenURL):
		case s.TokenURL == "":
			add("token_url", "is required when auth = %q: the OAuth2 token endpoint", AuthOAuth2)
		case !absolute(s.TokenURL) && s.BaseURL == "":
			add("token_url", "%q is relative: make it an absolute https URL or set rest.base_url", s.TokenURL)
		default:
			if msg := endpoint.Check(JoinURL(s.BaseURL, s.TokenURL)); msg != "" {
				add("token_url", "%s", msg)
			}
		}
	}
	enum("client_auth", s.ClientAuth, ClientAuths)
	for _, k := range sortedKeys(s.TokenParams) {
		switch strings.ToLower(k) {
		case "":
			add("token_params", "has an empty name")
		case "client_id", "client_secret", "scope":
			add("token_params."+k, "is set from the credential and rest.scopes, not here")
		}
	}
	for _, sc := range s.Scopes {
		if sc == "" || strings.ContainsAny(sc, " \t\r\n\"\\") {
			add("scopes", "%q is not a scope (no spaces, quotes or backslashes)", sc)
		}
	}
	if s.TokenType != "" && !token.MatchString(s.TokenType) {
		add("token_type", "%q is not an authorization scheme (letters, digits and -._~+/ only)", s.TokenType)
	}
	if s.APIKeyHeader != "" && !token.MatchString(s.APIKeyHeader) {
		add("api_key_header", "%q is not an HTTP header name", s.APIKeyHeader)
	}

	probs = append(probs, s.Pagination.check()...)
	if _, hp := s.HTTP.Limits(); len(hp) > 0 {
		probs = append(probs, hp...)
	}
	return probs
}

func (p Pagination) check() []vendors.Problem {
	var probs []vendors.Problem
	add := func(key, format string, args ...any) {
		probs = append(probs, vendors.Problem{Key: "pagination." + key, Msg: fmt.Sprintf(format, args...)})
	}
	if p.Type != "" && !contains(PaginationTypes, p.Type) {
		probs = append(probs, vendors.Problem{Key: "pagination.type", Value: p.Type, Allowed: PaginationTypes})
	}
	if p.PageSize < 0 || p.PageSize > 100_000 {
		add("page_size", "%d must be between 1 and 100000", p.PageSize)
	}
	if p.StartPage < 0 {
		add("start_page", "%d must not be negative", p.StartPage)
	}
	if p.MaxPages < 0 {
		add("max_pages", "%d must not be negative (0 means the default, %d)", p.MaxPages, DefaultMaxPages)
	}
	for _, kv := range []struct{ k, v string }{{"cursor_path", p.CursorPath}, {"has_more_path", p.HasMorePath}, {"total_pages_path", p.TotalPagesPath}} {
		if kv.v == "" {
			continue
		}
		if msg := checkPath(kv.v); msg != "" {
			add(kv.k, "%s", msg)
		}
	}
	for _, kv := range []struct{ k, v string }{{"limit_param", p.LimitParam}, {"offset_param", p.OffsetParam}, {"page_param", p.PageParam}, {"cursor_param", p.CursorParam}} {
		if kv.v != "" && strings.ContainsAny(kv.v, "&=?# ") {
			add(kv.k, "%q is not a query parameter name", kv.v)
		}
	}
	r := p.Resolved()
	switch r.Type {
	case PageCursor:
		if p.CursorPath == "" {
			add("cursor_path", "is required with type = %q: the JSON path of the next cursor, e.g. response_metadata.next_cursor", PageCursor)
		}
		if r.CursorParam == r.LimitParam {
			add("cursor_param", "%q is also the limit_param", r.CursorParam)
		}
	case PageOffset:
		if r.OffsetParam == r.LimitParam {
			add("offset_param", "%q is also the limit_param", r.OffsetParam)
		}
	case PageNumber:
		if r.PageParam == r.LimitParam {
			add("page_param", "%q is also the limit_param", r.PageParam)
		}
	}
	if p.TotalPagesPath != "" && r.Type != PageNumber {
		add("total_pages_path", "is only read with type = %q", PageNumber)
	}
	if p.HasMorePath != "" && (r.Type == PageNone || r.Type == PageLink) {
		add("has_more_path", "is not read with type = %q", r.Type)
	}
	return probs
}

// checkPath returns what is wrong with a dotted JSON path, or "". The
// empty path is the whole body.
func checkPath(p string) string {
	if p == "" {
		return ""
	}
	for i, seg := range strings.Split(p, ".") {
		if seg == "" {
			return fmt.Sprintf("%q has an empty segment (segment %d): write a.b or a.0.b", p, i+1)
		}
	}
	return ""
}

// token is an HTTP token (RFC 9110 §5.6.2), also fine as a scheme name.
var token = regexp.MustCompile(`^[A-Za-z0-9!#$%&'*+.^_` + "`" + `|~/-]+$`)
