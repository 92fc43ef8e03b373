// Package config loads the agent's TOML configuration file.
//
// Load reads and validates the whole file and reports every problem it
// finds, each as FILE:LINE:COL: message, in a single *Error. The structs
// below mirror the file (see DESIGN.md, "Config contract"); fields tagged
// toml:"-" are filled by Load from the others.
package config

import (
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"time"

	"github.com/agentsync/agent/agent/schedule"
	"github.com/agentsync/agent/destinations"
	"github.com/agentsync/agent/internal/osdir"
	"github.com/agentsync/agent/mapping"
	"github.com/agentsync/agent/vendors"
)

// Config is a loaded configuration file.
type Config struct {
	Agent        Agent          `toml:"agent"`
	Keyring      Keyring        `toml:"keyring"`
	SMTP         SMTP           `toml:"smtp"`
	HTTP         HTTP           `toml:"http"`
	Integrations []*Integration `toml:"integration"`
	Destinations []*Destination `toml:"destination"`
	Schemas      []*Schema      `toml:"schema"`

	Path     string         `toml:"-"` // absolute path of the file
	Dir      string         `toml:"-"` // its folder; relative paths resolve from here
	Location *time.Location `toml:"-"` // Agent.TimeZone, resolved
}

// Agent is the [agent] table.
type Agent struct {
	DataDir   string `toml:"data_dir"`   // absolute after Load
	TimeZone  string `toml:"time_zone"`  // "Local" or an IANA name
	LogLevel  string `toml:"log_level"`  // debug | info | warn | error
	LogFormat string `toml:"log_format"` // text | json
	// MaxParallelRuns bounds the runs going on at once: the scheduled
	// ones, and run-now's.
	MaxParallelRuns int `toml:"max_parallel_runs"`
}

// Keyring is the [keyring] table.
type Keyring struct {
	Backend       string `toml:"backend"`  // auto | secret-service | keyctl | wincred | keychain | pass | file
	FileDir       string `toml:"file_dir"` // absolute after Load, "" when unset
	PassphraseEnv string `toml:"passphrase_env"`
}

// SMTP is the [smtp] table. Host "" means no e-mail is sent.
type SMTP struct {
	Host       string `toml:"host"`
	Port       int    `toml:"port"`
	Security   string `toml:"security"` // starttls | tls | none
	From       string `toml:"from"`
	Username   string `toml:"username"`
	Credential string `toml:"credential"` // keyring entry holding the password
}

// Integration is one [[integration]] table.
type Integration struct {
	Name        string `toml:"name"`
	Vendor      string `toml:"vendor"`
	Credential  string `toml:"credential"`
	Mode        string `toml:"mode"` // users | users+saas_users | applications | spend | contracts
	Application string `toml:"application"`
	// ApplicationFrom is, in users+saas_users mode, the source field that
	// names each record's application (an SSO roster's appInstanceId):
	// the alternative to one Application for all.
	ApplicationFrom      string            `toml:"application_from"`
	Preference           string            `toml:"preference"` // create_update | create_only | update_only
	Deactivate           bool              `toml:"deactivate"`
	MaxDeactivatePercent float64           `toml:"max_deactivate_percent"`
	ScheduleSpec         string            `toml:"schedule"` // as written; see Schedule
	CatchUp              bool              `toml:"catch_up"` // run a missed scheduled run when the service starts
	Contacts             []string          `toml:"contacts"`
	Mapping              map[string]string `toml:"mapping"` // target = expression, as written; see CompiledMapping
	Filter               []Filter          `toml:"filter"`  // as written; see CompiledFilters
	Active               Active            `toml:"active"`
	Destinations         []string          `toml:"destinations"` // [[destination]] names the changes are delivered to
	Schema               string            `toml:"schema"`       // vendor = "ingest": the [[schema]] pushed records must satisfy

	// Settings is the vendor's own table ([integration.rest],
	// [integration.file]: vendors.Vendor.Table), decoded from the same
	// table over the vendor's preset; nil when the vendor reads none or
	// is unknown.
	Settings vendors.Settings `toml:"-"`

	// Filled by Load.
	Schedule        schedule.Schedule `toml:"-"`
	CompiledMapping *mapping.Mapping  `toml:"-"`
	CompiledFilters []*mapping.Filter `toml:"-"`
}

// Destination is one [[destination]] table: the keys every type has, and
// the type's own keys (package destinations/<type>) in Settings.
type Destination struct {
	Name       string `toml:"name"`
	Type       string `toml:"type"`
	URL        string `toml:"url"`
	Credential string `toml:"credential"`
	BatchSize  int    `toml:"batch_size"`

	Settings destinations.Settings `toml:"-"` // the type's, decoded from the same table
}

// DefaultBatchSize is a destination's batch_size when the file sets none.
const DefaultBatchSize = 100

func (d *Destination) setDefaults() { d.BatchSize = DefaultBatchSize }

// extension gives the decoder the type's settings to decode the keys the
// common ones leave; ok is false when the type is unknown, whose keys are
// then not reported one by one (the type is).
func (d *Destination) extension(raw map[string]any) (ext map[string]slot, ok bool) {
	name, _ := raw["type"].(string)
	t, found := destinations.Lookup(name)
	if !found {
		return nil, false
	}
	d.Settings = t.NewSettings()
	return structSlots(reflect.ValueOf(d.Settings).Elem()), true
}

// extension gives the decoder the vendors' tables: the one the
// integration's vendor reads decodes into the vendor's own settings over
// its preset (Settings); another vendor's table decodes into a throwaway
// of that vendor's type, so that its keys are still checked (and
// validateVendor says it is not read).
func (in *Integration) extension(raw map[string]any) (ext map[string]slot, ok bool) {
	name, _ := raw["vendor"].(string)
	mine, _ := vendors.Describe(name)
	ext = map[string]slot{}
	for table, s := range in.vendorSettings(mine) {
		ext[table] = slot{v: reflect.ValueOf(s).Elem(), in: reflect.TypeFor[Integration]()}
	}
	return ext, true
}

// vendorSettings returns fresh settings for each of the vendors' tables:
// the table of the integration's vendor, mine, gets the vendor's own
// (over its preset), which become in.Settings; another vendor's table
// gets a throwaway of that vendor's type.
func (in *Integration) vendorSettings(mine vendors.Vendor) map[string]vendors.Settings {
	m := map[string]vendors.Settings{}
	for table, newSettings := range vendorTables() {
		if table == mine.Table {
			in.Settings = mine.NewSettings()
			m[table] = in.Settings
		} else {
			m[table] = newSettings()
		}
	}
	return m
}

// extraKeys are the vendors' tables, for the hints of a key written below
// the wrong header.
func (*Integration) extraKeys() []string { return sortedKeys(vendorTables()) }

// Destination returns the destination called name.
func (c *Config) Destination(name string) (*Destination, bool) {
	for _, d := range c.Destinations {
		if d.Name == name {
			return d, true
		}
	}
	return nil, false
}

// Filter is one [[integration.filter]] table.
type Filter struct {
	Field string `toml:"field"`
	Op    string `toml:"op"`    // eq | ne | in | not_in | exists | regex
	Value any    `toml:"value"` // as decoded: string, int64, float64, bool, []any...
}

// Active is the [integration.active] table: how "inactive at the source" is
// read. Field "" means every fetched record counts as active.
type Active struct {
	Field          string   `toml:"field"`
	InactiveValues []string `toml:"inactive_values"`
	// InactiveWhenSet: any non-empty value of Field means inactive (an SSO
	// roster's deactivatedAt).
	InactiveWhenSet bool `toml:"inactive_when_set"`
	// Written: the file has the table (false for none, or a vendor's
	// default rule).
	Written bool `toml:"-"`
}

// Enum values.
const (
	ModeUsers         = "users"
	ModeUsersAndSaaS  = "users+saas_users"
	ModeApplications  = "applications" // the SaaS applications an SSO knows (application.*)
	ModeSpend         = "spend"        // invoices (invoice.*)
	ModeContracts     = "contracts"    // contracts (contract.*)
	PrefCreateUpdate  = "create_update"
	PrefCreateOnly    = "create_only"
	PrefUpdateOnly    = "update_only"
	DefaultSchedule   = "daily 23:00"
	DefaultTimeZone   = "Local"
	DefaultPassEnv    = "AGENT_KEYRING_PASSPHRASE"
	DefaultMaxPercent = 20
)

// DefaultMaxParallel is [agent] max_parallel_runs when the file does not set it.
const DefaultMaxParallel = 4

// Missing targets reported by Integration.Missing.
const (
	MissingIdentity    = "user.username or user.email"
	MissingApplication = "application"
	MissingCredential  = "credential"
	// The mandatory targets of the SaaS discovery modes.
	MissingApplicationKey = "application.instance_id or application.name"
	MissingInvoiceID      = "invoice.invoice_id"
	MissingInvoiceAmount  = "invoice.amount"
	MissingContractID     = "contract.contract_id"
)

// Modes lists the modes, in the order messages name them.
var Modes = []string{ModeUsers, ModeUsersAndSaaS, ModeApplications, ModeSpend, ModeContracts}

// ModePrefixes are the mapping target prefixes a mode writes.
func ModePrefixes(mode string) []string {
	switch mode {
	case ModeUsersAndSaaS:
		return []string{mapping.PersonPrefix, mapping.SaaSUserPrefix}
	case ModeApplications:
		return []string{mapping.ApplicationPrefix}
	case ModeSpend:
		return []string{mapping.InvoicePrefix}
	case ModeContracts:
		return []string{mapping.ContractPrefix}
	}
	return []string{mapping.PersonPrefix}
}

// PeopleMode reports whether the mode writes people (users and
// users+saas_users); the SaaS discovery modes write their own kind.
func PeopleMode(mode string) bool { return mode == ModeUsers || mode == ModeUsersAndSaaS }

// modeTarget reports whether target t belongs to one of the mode's kinds.
func modeTarget(mode, t string) bool {
	for _, p := range ModePrefixes(mode) {
		if strings.HasPrefix(t, p) {
			return true
		}
	}
	return false
}

// DefaultPath is where the config file is when --config is not given:
// $AGENT_CONFIG, else /etc/agent/config.toml (%ProgramData%\agent\config.toml
// on Windows).
func DefaultPath() string {
	if p := os.Getenv("AGENT_CONFIG"); p != "" {
		return p
	}
	if runtime.GOOS == "windows" {
		return filepath.Join(programData(), "agent", "config.toml")
	}
	return "/etc/agent/config.toml"
}

// DefaultDataDir is data_dir when the file does not set it.
func DefaultDataDir() string {
	if runtime.GOOS == "windows" {
		return filepath.Join(programData(), "agent")
	}
	return "/var/lib/agent"
}

// programData is %ProgramData% from the Known Folders API, never from the
// environment (a service's environment resolved it to C:\Users\Public).
func programData() string { return osdir.ProgramData() }

// defaults returns a Config holding every default.
func defaults() *Config {
	return &Config{
		Agent:   Agent{DataDir: DefaultDataDir(), TimeZone: DefaultTimeZone, LogLevel: "info", LogFormat: "text", MaxParallelRuns: DefaultMaxParallel},
		Keyring: Keyring{Backend: "auto", PassphraseEnv: DefaultPassEnv},
		SMTP:    SMTP{Port: 587, Security: "starttls"},
		HTTP:    HTTP{Listen: DefaultListen},
	}
}

// setDefaults is called on every new [[integration]] before decoding it.
func (in *Integration) setDefaults() {
	in.Mode = ModeUsers
	in.Preference = PrefCreateUpdate
	in.MaxDeactivatePercent = DefaultMaxPercent
	in.ScheduleSpec = DefaultSchedule
	in.Schedule = schedule.MustParse(DefaultSchedule)
	in.CatchUp = true
}

// Integration returns the integration called name.
func (c *Config) Integration(name string) (*Integration, bool) {
	for _, in := range c.Integrations {
		if in.Name == name {
			return in, true
		}
	}
	return nil, false
}

// Missing lists what keeps the integration in draft: MissingIdentity when
// the mapping has neither user.username nor user.email (the SaaS discovery
// modes: their mandatory targets instead, MissingApplicationKey,
// MissingInvoiceID, MissingInvoiceAmount, MissingContractID),
// MissingApplication when mode is users+saas_users and neither
// application nor application_from is set, and, from the
// vendor's settings (see missingSettings), MissingCredential when its auth
// needs one and "TABLE.KEY" (e.g. "rest.users_url") for each template
// placeholder still unset. Empty means the integration is launched.
func (in *Integration) Missing() []string {
	var miss []string
	switch in.Mode {
	case ModeApplications:
		if !in.mapped("application.instance_id") && !in.mapped("application.name") {
			miss = append(miss, MissingApplicationKey)
		}
	case ModeSpend:
		if !in.mapped("invoice.invoice_id") {
			miss = append(miss, MissingInvoiceID)
		}
		if !in.mapped("invoice.amount") {
			miss = append(miss, MissingInvoiceAmount)
		}
	case ModeContracts:
		if !in.mapped("contract.contract_id") {
			miss = append(miss, MissingContractID)
		}
	default:
		if !in.mapped(mapping.TargetUsername) && !in.mapped(mapping.TargetEmail) {
			miss = append(miss, MissingIdentity)
		}
	}
	if in.Mode == ModeUsersAndSaaS && in.Application == "" && in.ApplicationFrom == "" {
		miss = append(miss, MissingApplication)
	}
	return append(miss, in.missingSettings()...)
}

func (in *Integration) mapped(target string) bool {
	if in.CompiledMapping != nil {
		return in.CompiledMapping.Has(target)
	}
	_, ok := in.Mapping[target]
	return ok
}

// Launched reports whether the integration may run (it is not in draft).
func (in *Integration) Launched() bool { return len(in.Missing()) == 0 }

// State is "launched" or "draft".
func (in *Integration) State() string {
	if in.Launched() {
		return "launched"
	}
	return "draft"
}

// PushOnly reports whether the integration's records are pushed to the
// agent (vendor "ingest"): it is never scheduled nor run.
func (in *Integration) PushOnly() bool {
	v, ok := vendors.Describe(in.Vendor)
	return ok && v.Push
}

// VendorConfig is what the vendor's factory gets. cfg gives the folder
// relative paths resolve from; it may be nil.
func (in *Integration) VendorConfig(cfg *Config) vendors.Config {
	s := vendors.Config{
		Integration: in.Name,
		Vendor:      in.Vendor,
		Credential:  in.Credential,
		Settings:    in.Settings,
	}
	if cfg != nil {
		s.BaseDir = cfg.Dir
	}
	return s
}
