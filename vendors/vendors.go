// Package vendors holds what every source of users shares: the record and
// page types, the settings a source is built from, and the registry through
// which the core finds a vendor by name without importing it.
package vendors

import (
	"context"
	"fmt"
	"sort"
	"sync"
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
