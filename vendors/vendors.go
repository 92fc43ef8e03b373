// Package vendors holds what every source of users shares: the record and
// page types, what a source is built from, and the registry through which
// the core finds a vendor by name without importing it. A vendor's own
// table of the config ([integration.rest], [integration.file]) is the
// vendor's: its package declares the settings type, the config decodes the
// table into it (Vendor.NewSettings) and reports its Check problems.
package vendors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/agentsync/agent/credentials"
	"github.com/agentsync/agent/internal/registry"
)

// Record is one user as the source gave it, decoded from JSON (or a CSV row):
// values are string, float64, json.Number, bool, nil, []any or map[string]any.
type Record = map[string]any

// Page is one batch of records in the order the source delivered them.
type Page struct {
	Number  int // 1-based
	Records []Record
	// Lines is, when the source has lines (a file), the 1-based line in
	// File of each record (a CSV row's first line); nil otherwise. File
	// is the file's name as the config wrote it. The engine names a
	// record it skips by them ("users.csv:4: ...").
	Lines []int
	File  string
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

// Config is what a factory gets to build a source: the integration's name,
// the folder relative paths resolve from, and the vendor's own settings.
type Config struct {
	Integration string
	Vendor      string
	BaseDir     string // the config file's folder
	Credential  string // keyring entry name ("" when none)
	// Settings is the vendor's own table as NewSettings returned it and
	// the config filled it; nil when the vendor reads none (or the
	// caller built the Config by hand: a factory then treats it as an
	// empty table).
	Settings Settings
	// Secrets gives the vendor its credential by name; nil when the agent
	// has no credential store open (a vendor that needs one then fails
	// with an error naming the credential).
	Secrets SecretSource
	// UserAgent is "agent/<version>", for HTTP vendors.
	UserAgent string
	// Logger receives the vendor's own events (retries, pacing); nil
	// discards them. Never give it a secret.
	Logger *slog.Logger
	// ObserveHTTP, when set, is told of the vendor's HTTP traffic, as
	// web.Options.Observe: the event ("request", "retry", "429") and the
	// host[:port]. The agent's metrics count them; nil: nobody does.
	ObserveHTTP func(event, host string)
}

// Settings is a vendor's own table of the integration, decoded by the
// config from the struct's toml tags (so its problems keep file:line:col
// and its unknown keys get hints). Check reports the bad keys.
type Settings interface {
	Check() []Problem
}

// Problem is one bad key of a vendor's table.
type Problem struct {
	Key     string   // below the table: "users_url", "pagination.cursor_path", "http.backoff"
	Value   string   // the value as written, for an enum
	Allowed []string // set when the key is an enum: the values it may take
	// Msg is what is wrong, without the key: the config writes
	// "integration.<table>.<key> " before it, unless Whole is set.
	Msg string
	// Whole marks a Msg that is the whole message, in the vendor's own
	// words (it names the key itself).
	Whole bool
}

// SecretSource is what a vendor needs of the credential store.
type SecretSource interface {
	Get(ctx context.Context, name string) (credentials.Secret, error)
}

// Factory builds a source. It validates its settings and reports bad ones
// as errors that name the key.
type Factory func(Config) (Source, error)

// Vendor is a registered vendor: its factory, its own table and what an
// integration gets for the keys its config leaves out.
type Vendor struct {
	Factory Factory
	// Table is the key of the integration's table the vendor reads
	// ("rest" for [integration.rest]); "" when it reads none. Vendors
	// that share a table (the REST templates) share its settings type.
	Table string
	// NewSettings returns a pointer to a fresh struct of the vendor's
	// settings holding its preset (a template's values, merged key by
	// key under the file's), for the config to decode Table into; nil
	// when Table is "".
	NewSettings func() Settings
	// ReadBy says which vendors read Table, for the problem of a table
	// written for another vendor ("[integration.rest] is only read when
	// ..."); "" means `vendor = "<table>"`. The vendor named after the
	// table speaks for it.
	ReadBy   string
	Defaults Defaults
	// Push marks a vendor whose records are pushed to the agent (the
	// "ingest" vendor) rather than fetched: its integrations are never
	// scheduled nor run, and the config gives them schedule "manual".
	Push bool
}

// Defaults are a vendor's presets of the integration's common keys. The
// config merges them under the integration's own keys: a mapping target or
// the mode the admin wrote wins; the rest comes from here. (A preset of
// the vendor's own table is its NewSettings.)
type Defaults struct {
	Mode        string            // users | users+saas_users; "" keeps the config's default
	Application string            // the SaaS application of users+saas_users mode
	Mapping     map[string]string // target = expression; saas_user targets only apply in users+saas_users mode
	Active      *ActiveRule       // how "inactive at the source" is read, when the config has no [integration.active]
}

// ActiveRule is the [integration.active] table of a vendor's defaults.
type ActiveRule struct {
	Field           string   `toml:"field"`
	InactiveValues  []string `toml:"inactive_values"`
	InactiveWhenSet bool     `toml:"inactive_when_set"`
}

var registered = registry.New[Vendor]("vendors")

// Register adds a vendor without defaults under name; vendors call it
// from init.
func Register(name string, f Factory) {
	RegisterVendor(name, Vendor{Factory: f})
}

// RegisterVendor adds a vendor with its defaults under name; vendors call
// it from init. A second registration of a name panics.
func RegisterVendor(name string, v Vendor) {
	registered.Add(name, v, func(v Vendor) string {
		switch {
		case v.Factory == nil:
			return "without a factory"
		case (v.Table == "") != (v.NewSettings == nil):
			return "with a table but no settings, or settings but no table"
		}
		return ""
	})
}

// Lookup returns the factory registered under name.
func Lookup(name string) (Factory, bool) {
	v, ok := Describe(name)
	return v.Factory, ok
}

// Describe returns the vendor registered under name, defaults included.
// The defaults are shared: callers copy before they change them.
func Describe(name string) (Vendor, bool) { return registered.Get(name) }

// Names lists the registered vendors, sorted.
func Names() []string { return registered.Names() }
