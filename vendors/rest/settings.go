package rest

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/agentsync/agent/credentials"
	"github.com/agentsync/agent/vendors"
)

// Settings is the [integration.rest] table (DESIGN.md), the settings of
// the vendor "rest" and of every template (whose preset the config merges
// under the file's keys by decoding the table over a copy of it). A zero
// field means "the default"; Check and the rest vendor say which that is.
type Settings struct {
	BaseURL      string            `toml:"base_url"` // relative users_url/token_url resolve from it
	UsersURL     string            `toml:"users_url"`
	RecordsPath  string            `toml:"records_path"`
	Auth         string            `toml:"auth"` // none | api_key | basic | oauth2_client_credentials
	TokenURL     string            `toml:"token_url"`
	Scopes       []string          `toml:"scopes"`
	ClientAuth   string            `toml:"client_auth"`  // header | body
	TokenParams  map[string]string `toml:"token_params"` // extra token request fields (account_id, grant_type...)
	TokenType    string            `toml:"token_type"`
	APIKeyHeader string            `toml:"api_key_header"`
	Pagination   Pagination        `toml:"pagination"`
	HTTP         HTTPSettings      `toml:"http"`
}

// Pagination is the [integration.rest.pagination] table.
type Pagination struct {
	Type        string `toml:"type"` // none | offset_limit | page_number | cursor | link_header
	PageSize    int    `toml:"page_size"`
	LimitParam  string `toml:"limit_param"`
	OffsetParam string `toml:"offset_param"`
	PageParam   string `toml:"page_param"`
	StartPage   int    `toml:"start_page"`
	CursorParam string `toml:"cursor_param"`
	CursorPath  string `toml:"cursor_path"`
	// HasMorePath is a boolean in the body that says whether another
	// page follows (Ironclad's has_more); TotalPagesPath the number of
	// pages (Smartsheet's totalPages). Either is a better end signal than
	// an empty page.
	HasMorePath    string `toml:"has_more_path"`
	TotalPagesPath string `toml:"total_pages_path"`
	MaxPages       int    `toml:"max_pages"` // a runaway guard; default 100000
}

// HTTPSettings is the [integration.rest.http] table: how patient and how
// trusting the HTTP client is. Durations are Go durations ("30s", "5m").
type HTTPSettings struct {
	CAFile         string `toml:"ca_file"` // extra PEM roots (a TLS-inspecting proxy); relative to the config file
	ConnectTimeout string `toml:"connect_timeout"`
	RequestTimeout string `toml:"request_timeout"` // one attempt, body included
	RunTimeout     string `toml:"run_timeout"`     // the whole fetch
	MaxResponseMB  int    `toml:"max_response_mb"` // a larger (decompressed) body fails the run
	Attempts       int    `toml:"attempts"`        // tries per request on 429/5xx/connection errors
	Backoff        string `toml:"backoff"`         // the first retry's wait, doubled each time, with jitter
	MaxWait        string `toml:"max_wait"`        // ceiling of any one wait: backoff, Retry-After, pacing
}

// clone returns a copy of s that shares nothing with it: the config
// decodes an integration's table over it (maps merge key by key).
func (s Settings) clone() *Settings {
	s.Scopes = slices.Clone(s.Scopes)
	s.TokenParams = maps.Clone(s.TokenParams)
	return &s
}

// preset returns the NewSettings of a vendor whose preset is s.
func preset(s Settings) func() vendors.Settings {
	s = *s.clone()
	return func() vendors.Settings { return s.clone() }
}

// NeedsCredential reports whether auth needs a keyring credential; the
// config keeps an integration without one in draft.
func (s Settings) NeedsCredential() bool { return s.Resolved().Auth != AuthNone }

// CredentialKind is the kind of credential auth needs and the setting
// that says so (`[integration.rest] auth = "basic"`), for `agent
// validate`'s warnings; "" when auth needs none (or is not set).
func (s Settings) CredentialKind() (credentials.Kind, string) {
	k, ok := authKinds[s.Auth]
	if !ok {
		return "", ""
	}
	return k, fmt.Sprintf("[integration.rest] auth = %q", s.Auth)
}

// authKinds are the kinds of credential each auth reads.
var authKinds = map[string]credentials.Kind{AuthOAuth2: credentials.OAuth2Client, AuthAPIKey: credentials.APIKey, AuthBasic: credentials.Basic}

// TokenEndpoint is where `agent credentials test` asks for a token: the
// resolved token URL, scopes, client auth and extra fields; ok is false
// unless auth is oauth2_client_credentials with a token URL.
func (s Settings) TokenEndpoint() (ep credentials.TokenEndpoint, ok bool) {
	r := s.Resolved()
	if r.Auth != AuthOAuth2 || r.TokenURL == "" {
		return ep, false
	}
	return credentials.TokenEndpoint{URL: r.TokenURL, Scopes: r.Scopes, ClientAuth: r.ClientAuth, Params: r.TokenParams}, true
}

// The values of the REST enums, as the config spells them.
const (
	AuthNone   = "none"
	AuthAPIKey = "api_key"
	AuthBasic  = "basic"
	AuthOAuth2 = "oauth2_client_credentials"

	ClientAuthHeader = "header" // HTTP Basic on the token request
	ClientAuthBody   = "body"   // client_id and client_secret as form fields

	PageNone   = "none"
	PageOffset = "offset_limit"
	PageNumber = "page_number"
	PageCursor = "cursor"
	PageLink   = "link_header"
)

// The enums' allowed values, in the order messages list them.
var (
	AuthKinds       = []string{AuthNone, AuthAPIKey, AuthBasic, AuthOAuth2}
	ClientAuths     = []string{ClientAuthHeader, ClientAuthBody}
	PaginationTypes = []string{PageNone, PageOffset, PageNumber, PageCursor, PageLink}
)

// Defaults of the REST keys left unset (config.example.toml shows them).
const (
	DefaultTokenType    = "Bearer"
	TokenTypeNone       = "none" // the key alone, without a scheme
	DefaultAPIKeyHeader = "Authorization"
	DefaultPageSize     = 100
	DefaultMaxPages     = 100_000
	DefaultLimitParam   = "limit"
	DefaultOffsetParam  = "offset"
	DefaultPageParam    = "page"
	DefaultCursorParam  = "cursor"
	DefaultStartPage    = 1

	DefaultConnectTimeout = 10 * time.Second
	DefaultRequestTimeout = 60 * time.Second
	DefaultRunTimeout     = 6 * time.Hour
	DefaultMaxResponseMB  = 64
	DefaultAttempts       = 5
	DefaultBackoff        = time.Second
	DefaultMaxWait        = 5 * time.Minute
)

// Resolved returns the settings with every default filled in and
// users_url and token_url made absolute from base_url.
func (s Settings) Resolved() Settings {
	s.UsersURL = JoinURL(s.BaseURL, s.UsersURL)
	if s.TokenURL != "" {
		s.TokenURL = JoinURL(s.BaseURL, s.TokenURL)
	}
	s.Auth = or(s.Auth, AuthNone)
	s.ClientAuth = or(s.ClientAuth, ClientAuthHeader)
	s.APIKeyHeader = or(s.APIKeyHeader, DefaultAPIKeyHeader)
	switch {
	case s.TokenType == "" && strings.EqualFold(s.APIKeyHeader, DefaultAPIKeyHeader):
		s.TokenType = DefaultTokenType
	case s.TokenType == TokenTypeNone:
		s.TokenType = ""
	}
	s.Pagination = s.Pagination.Resolved()
	return s
}

// Resolved returns the pagination with every default filled in.
func (p Pagination) Resolved() Pagination {
	p.Type = or(p.Type, PageNone)
	if p.PageSize == 0 {
		p.PageSize = DefaultPageSize
	}
	if p.MaxPages == 0 {
		p.MaxPages = DefaultMaxPages
	}
	if p.StartPage == 0 {
		p.StartPage = DefaultStartPage
	}
	p.LimitParam = or(p.LimitParam, DefaultLimitParam)
	p.OffsetParam = or(p.OffsetParam, DefaultOffsetParam)
	p.PageParam = or(p.PageParam, DefaultPageParam)
	p.CursorParam = or(p.CursorParam, DefaultCursorParam)
	return p
}

// HTTPLimits are HTTPSettings with defaults filled in and durations parsed.
type HTTPLimits struct {
	CAFile                                     string
	ConnectTimeout, RequestTimeout, RunTimeout time.Duration
	Backoff, MaxWait                           time.Duration
	MaxResponseBytes                           int64
	Attempts                                   int
}

// Limits resolves the settings; problems name the bad keys.
func (h HTTPSettings) Limits() (HTTPLimits, []vendors.Problem) {
	var probs []vendors.Problem
	dur := func(key, v string, def time.Duration) time.Duration {
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			probs = append(probs, vendors.Problem{Key: "http." + key, Msg: fmt.Sprintf("%q is not a positive duration such as \"30s\" or \"5m\"", v)})
			return def
		}
		return d
	}
	l := HTTPLimits{
		CAFile:           h.CAFile,
		ConnectTimeout:   dur("connect_timeout", h.ConnectTimeout, DefaultConnectTimeout),
		RequestTimeout:   dur("request_timeout", h.RequestTimeout, DefaultRequestTimeout),
		RunTimeout:       dur("run_timeout", h.RunTimeout, DefaultRunTimeout),
		Backoff:          dur("backoff", h.Backoff, DefaultBackoff),
		MaxWait:          dur("max_wait", h.MaxWait, DefaultMaxWait),
		MaxResponseBytes: DefaultMaxResponseMB << 20,
		Attempts:         DefaultAttempts,
	}
	switch {
	case h.MaxResponseMB < 0 || h.MaxResponseMB > 4096:
		probs = append(probs, vendors.Problem{Key: "http.max_response_mb", Msg: fmt.Sprintf("%d must be between 1 and 4096", h.MaxResponseMB)})
	case h.MaxResponseMB > 0:
		l.MaxResponseBytes = int64(h.MaxResponseMB) << 20
	}
	switch {
	case h.Attempts < 0 || h.Attempts > 20:
		probs = append(probs, vendors.Problem{Key: "http.attempts", Msg: fmt.Sprintf("%d must be between 1 and 20", h.Attempts)})
	case h.Attempts > 0:
		l.Attempts = h.Attempts
	}
	return l, probs
}

// JoinURL resolves ref against base: an absolute ref stands alone, a
// relative one is appended to base's path ("https://h/api" + "/v1/users"
// is "https://h/api/v1/users").
func JoinURL(base, ref string) string {
	if base == "" || absolute(ref) {
		return ref
	}
	if ref == "" {
		return base
	}
	return strings.TrimRight(base, "/") + "/" + strings.TrimLeft(ref, "/")
}

func absolute(u string) bool {
	l := strings.ToLower(u)
	return strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://")
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func contains(list []string, v string) bool { return slices.Contains(list, v) }

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
