// Package vendors holds what every source of users shares: the record and
// page types, the settings a source is built from, and the registry through
// which the core finds a vendor by name without importing it.
package vendors

import (
	"context"
	"fmt"
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

// Source fetches the users of one integration. Fetch calls yield once per
// page and returns nil only when the fetch was complete: every page arrived
// and the source signalled its end. Any other outcome is an error, and the
// engine then deactivates nobody.
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
}

// SecretSource is what a vendor needs of the credential store.
type SecretSource interface {
	Get(ctx context.Context, name string) (credentials.Secret, error)
}

// RESTSettings is the [integration.rest] table (DESIGN.md).
type RESTSettings struct {
	UsersURL     string     `toml:"users_url"`
	RecordsPath  string     `toml:"records_path"`
	Auth         string     `toml:"auth"` // none | api_key | basic | oauth2_client_credentials
	TokenURL     string     `toml:"token_url"`
	Scopes       []string   `toml:"scopes"`
	ClientAuth   string     `toml:"client_auth"` // header | body
	TokenType    string     `toml:"token_type"`
	APIKeyHeader string     `toml:"api_key_header"`
	Pagination   Pagination `toml:"pagination"`
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

var (
	mu       sync.RWMutex
	registry = map[string]Factory{}
)

// Register adds a vendor under name; vendors call it from init.
func Register(name string, f Factory) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := registry[name]; dup {
		panic(fmt.Sprintf("vendors: %q registered twice", name))
	}
	registry[name] = f
}

// Lookup returns the factory registered under name.
func Lookup(name string) (Factory, bool) {
	mu.RLock()
	defer mu.RUnlock()
	f, ok := registry[name]
	return f, ok
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
