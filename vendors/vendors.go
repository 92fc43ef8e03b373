// Package vendors holds what every source of users shares: the record and
// page types, the settings a source is built from, and the registry through
// which the core finds a vendor by name without importing it.
package vendors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"

	"github.com/agentsync/agent/credentials"
)

// Record is one user as the source gave it, decoded from JSON (or a CSV row):
// values are string, float64, json.Number, bool, nil, []any or map[string]any.
type Record = map[string]any

// Page is one batch of records in the order the source delivered them.
type Page struct {
	Number  int // 1-based
	Records []Record
}

// ErrIncomplete marks a fetch that is not provably complete: a changed
// envelope, a missing or inconsistent end signal, a repeated page or
// cursor. The engine's engine.ErrIncomplete is this error.
var ErrIncomplete = errors.New("incomplete fetch")

// ErrCredential marks a fetch that failed because the credential is
// missing, of the wrong kind, or refused by the vendor (HTTP 401/403, a
// token endpoint that rejects the client): what an admin must fix, not
// something a retry will.
var ErrCredential = errors.New("credential problem")

// CredentialError formats an error (fmt.Errorf's verbs, %w included) that
// matches ErrCredential under errors.Is without repeating its text.
func CredentialError(format string, args ...any) error {
	return &credentialError{fmt.Errorf(format, args...)}
}

type credentialError struct{ err error }

func (e *credentialError) Error() string        { return e.err.Error() }
func (e *credentialError) Unwrap() error        { return e.err }
func (e *credentialError) Is(target error) bool { return target == ErrCredential }

// Source fetches the users of one integration. Fetch calls yield once per
// page and returns nil only when the fetch was complete: every page arrived
// and the source signalled its end. Any other outcome is an error, and the
// engine then deactivates nobody. A yielded page belongs to the caller:
// the vendor must not reuse its slice or records (the engine maps one page
// while the vendor fetches the next).
type Source interface {
	Fetch(ctx context.Context, yield func(Page) error) error
}

// Settings is what a factory gets to build a source: the integration's name,
// the folder relative paths resolve from, and the vendor-specific tables of
// the config.
type Settings struct {
	Integration string
	Vendor      string
	BaseDir     string // the config file's folder
	Credential  string // keyring entry name ("" when none)
	File        FileSettings
	REST        RESTSettings
	// Secrets gives the vendor its credential by name; nil when the agent
	// has no credential store open (a vendor that needs one then fails
	// with an error naming the credential).
	Secrets SecretSource
	// UserAgent is "agent/<version>", for HTTP vendors.
	UserAgent string
	// Logger receives the vendor's own events (retries, pacing); nil
	// discards them. Never give it a secret.
	Logger *slog.Logger
}

// SecretSource is what a vendor needs of the credential store.
type SecretSource interface {
	Get(ctx context.Context, name string) (credentials.Secret, error)
}

// RESTSettings is the [integration.rest] table (DESIGN.md). A zero field
// means "the default"; Check and the rest vendor say which that is.
type RESTSettings struct {
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

// FileSettings is the [integration.file] table.
type FileSettings struct {
	Path      string `toml:"path"`
	Format    string `toml:"format"`     // jsonl | json | csv
	UsagePath string `toml:"usage_path"` // optional SSO usage events (JSONL) folded into last activity
}

// Factory builds a source. It validates settings and reports bad ones as
// errors that name the key.
type Factory func(Settings) (Source, error)

// Vendor is a registered vendor: its factory and what an integration gets
// for the keys its config leaves out.
type Vendor struct {
	Factory  Factory
	Defaults Defaults
}

// Defaults are a vendor's presets. The config merges them under the
// integration's own keys: a mapping target, an [integration.rest] key or
// the mode the admin wrote wins; the rest comes from here.
type Defaults struct {
	Mode        string            // users | users+saas_users; "" keeps the config's default
	Application string            // the SaaS application of users+saas_users mode
	Mapping     map[string]string // target = expression; saas_user targets only apply in users+saas_users mode
	Active      *ActiveRule       // how "inactive at the source" is read, when the config has no [integration.active]
	// REST is the preset of [integration.rest]; nil means the vendor
	// reads no such table.
	REST *RESTSettings
}

// ActiveRule is the [integration.active] table of a vendor's defaults.
type ActiveRule struct {
	Field           string   `toml:"field"`
	InactiveValues  []string `toml:"inactive_values"`
	InactiveWhenSet bool     `toml:"inactive_when_set"`
}

var (
	mu       sync.RWMutex
	registry = map[string]Vendor{}
)

// Register adds a vendor without defaults under name; vendors call it
// from init.
func Register(name string, f Factory) {
	RegisterVendor(name, Vendor{Factory: f})
}

// RegisterVendor adds a vendor with its defaults under name; vendors call
// it from init. A second registration of a name panics.
func RegisterVendor(name string, v Vendor) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := registry[name]; dup {
		panic(fmt.Sprintf("vendors: %q registered twice", name))
	}
	if v.Factory == nil {
		panic(fmt.Sprintf("vendors: %q registered without a factory", name))
	}
	registry[name] = v
}

// Lookup returns the factory registered under name.
func Lookup(name string) (Factory, bool) {
	v, ok := Describe(name)
	return v.Factory, ok
}

// Describe returns the vendor registered under name, defaults included.
// The defaults are shared: callers copy before they change them.
func Describe(name string) (Vendor, bool) {
	mu.RLock()
	defer mu.RUnlock()
	v, ok := registry[name]
	return v, ok
}

// Names lists the registered vendors, sorted.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
