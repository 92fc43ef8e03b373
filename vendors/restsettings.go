package vendors

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

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

// SettingProblem is one bad key of the [integration.rest] table.
type SettingProblem struct {
	Key     string   // below the table: "users_url", "pagination.cursor_path", "http.backoff"
	Value   string   // the value as written, for an enum
	Allowed []string // set when the key is an enum: the values it may take
	Msg     string   // what is wrong, without the key
}

func (p SettingProblem) String() string {
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
func (s RESTSettings) Placeholders() []string {
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
func (s RESTSettings) Check() []SettingProblem {
	var probs []SettingProblem
	add := func(key, format string, args ...any) {
		probs = append(probs, SettingProblem{Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	enum := func(key, v string, allowed []string) bool {
		if v == "" || contains(allowed, v) {
			return true
		}
		probs = append(probs, SettingProblem{Key: key, Value: v, Allowed: allowed})
		return false
	}
	held := map[string]bool{}
	for _, k := range s.Placeholders() {
		held[k] = true
	}

	if s.BaseURL != "" && !held["base_url"] {
		if msg := checkURL(s.BaseURL); msg != "" {
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
		if msg := checkURL(JoinURL(s.BaseURL, s.UsersURL)); msg != "" {
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
			if msg := checkURL(JoinURL(s.BaseURL, s.TokenURL)); msg != "" {
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

func (p Pagination) check() []SettingProblem {
	var probs []SettingProblem
	add := func(key, format string, args ...any) {
		probs = append(probs, SettingProblem{Key: "pagination." + key, Msg: fmt.Sprintf(format, args...)})
	}
	if p.Type != "" && !contains(PaginationTypes, p.Type) {
		probs = append(probs, SettingProblem{Key: "pagination.type", Value: p.Type, Allowed: PaginationTypes})
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

// Resolved returns the settings with every default filled in and
// users_url and token_url made absolute from base_url.
func (s RESTSettings) Resolved() RESTSettings {
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
func (h HTTPSettings) Limits() (HTTPLimits, []SettingProblem) {
	var probs []SettingProblem
	dur := func(key, v string, def time.Duration) time.Duration {
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			probs = append(probs, SettingProblem{Key: "http." + key, Msg: fmt.Sprintf("%q is not a positive duration such as \"30s\" or \"5m\"", v)})
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
		probs = append(probs, SettingProblem{Key: "http.max_response_mb", Msg: fmt.Sprintf("%d must be between 1 and 4096", h.MaxResponseMB)})
	case h.MaxResponseMB > 0:
		l.MaxResponseBytes = int64(h.MaxResponseMB) << 20
	}
	switch {
	case h.Attempts < 0 || h.Attempts > 20:
		probs = append(probs, SettingProblem{Key: "http.attempts", Msg: fmt.Sprintf("%d must be between 1 and 20", h.Attempts)})
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

// secretParams are query parameter names that carry credentials.
var secretParams = []string{"access_token", "api_key", "apikey", "client_secret", "key", "password", "secret", "token"}

// checkURL returns what is wrong with an endpoint URL, or "".
func checkURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Sprintf("%q is not an absolute http(s) URL", raw)
	}
	if port, colon := hostPort(u.Host); colon {
		if n, err := strconv.Atoi(port); port == "" || err != nil || n < 1 || n > 65535 {
			return fmt.Sprintf("%q has an empty or invalid port after ':' (write the host alone, or host:1-65535)", raw)
		}
	}
	if u.Scheme == "http" && !Loopback(u.Hostname()) {
		return fmt.Sprintf("%q must use https (plain http only for a loopback host): credentials travel with every request", raw)
	}
	if u.User != nil {
		return fmt.Sprintf("must not hold credentials (%s@): name a keyring credential instead", u.Scheme+"://…")
	}
	for k := range u.Query() {
		if contains(secretParams, strings.ToLower(k)) {
			return fmt.Sprintf("must not carry a credential in its query (%s=…): name a keyring credential instead", k)
		}
	}
	if u.Fragment != "" {
		return fmt.Sprintf("%q has a #fragment, which is never sent", raw)
	}
	return ""
}

// hostPort returns the port of a URL's host[:port] and whether a ':'
// introduces one ("h:" gives "", true). url.Parse accepts an empty port,
// which net/http then dials as the scheme's default: a typo, never meant.
func hostPort(host string) (port string, colon bool) {
	if i := strings.LastIndexByte(host, ':'); i >= 0 && i > strings.LastIndexByte(host, ']') {
		return host[i+1:], true
	}
	return "", false
}

// Loopback reports whether host is localhost or a loopback address.
func Loopback(host string) bool {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
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

// CheckURL returns what is wrong with an endpoint URL that credentials
// travel to (absolute, https unless loopback, no credential in it), or "".
func CheckURL(raw string) string { return checkURL(raw) }
