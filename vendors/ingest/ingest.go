// Package ingest is the vendor of records pushed to the agent: an
// integration with vendor = "ingest" is fed by POST /ingest/NAME (package
// agent/ingest serves it), never fetched. It registers itself as "ingest"
// and owns the [integration.ingest] table: the limits of a push.
package ingest

import (
	"context"
	"fmt"

	"github.com/agentsync/agent/vendors"
)

// Name is the vendor's name in the config, and Table its table.
const (
	Name  = "ingest"
	Table = "ingest"
)

// Defaults of [integration.ingest].
const (
	DefaultMaxBodyBytes = 1 << 20 // 1 MiB
	DefaultMaxRecords   = 1000
	DefaultRate         = 10 // pushes a second, per ingest key
	DefaultBurst        = 20
)

// Bounds of the settings.
const (
	maxBodyBytesLimit = 64 << 20
	maxRecordsLimit   = 100_000
)

// Settings is the [integration.ingest] table.
type Settings struct {
	// MaxBodyBytes bounds a request's body; a larger one is refused (413).
	MaxBodyBytes int `toml:"max_body_bytes"`
	// MaxRecords bounds the records of a bulk push (413).
	MaxRecords int `toml:"max_records"`
	// Rate and Burst are the token bucket of each ingest key: Rate
	// requests a second on average, Burst at once (429 beyond).
	Rate  float64 `toml:"rate"`
	Burst int     `toml:"burst"`
}

func newSettings() vendors.Settings {
	return &Settings{MaxBodyBytes: DefaultMaxBodyBytes, MaxRecords: DefaultMaxRecords, Rate: DefaultRate, Burst: DefaultBurst}
}

// Check reports the keys out of their bounds.
func (s *Settings) Check() []vendors.Problem {
	var out []vendors.Problem
	if s.MaxBodyBytes < 1 || s.MaxBodyBytes > maxBodyBytesLimit {
		out = append(out, vendors.Problem{Key: "max_body_bytes", Msg: fmt.Sprintf("%d must be between 1 and %d (64 MiB)", s.MaxBodyBytes, maxBodyBytesLimit)})
	}
	if s.MaxRecords < 1 || s.MaxRecords > maxRecordsLimit {
		out = append(out, vendors.Problem{Key: "max_records", Msg: fmt.Sprintf("%d must be between 1 and %d", s.MaxRecords, maxRecordsLimit)})
	}
	if !(s.Rate > 0) || s.Rate > 1e6 {
		out = append(out, vendors.Problem{Key: "rate", Msg: fmt.Sprintf("%g must be a number of requests a second above 0", s.Rate)})
	}
	if s.Burst < 1 || s.Burst > 1e6 {
		out = append(out, vendors.Problem{Key: "burst", Msg: fmt.Sprintf("%d must be between 1 and 1000000", s.Burst)})
	}
	return out
}

// NeedsCredential is true: the integration's credential (kind api_key)
// holds its ingest key, and an integration without one stays in draft.
func (*Settings) NeedsCredential() bool { return true }

// SettingsOf returns the ingest settings of an integration (the defaults
// when it has none of this type).
func SettingsOf(s vendors.Settings) Settings {
	if p, ok := s.(*Settings); ok && p != nil {
		return *p
	}
	return *newSettings().(*Settings)
}

func init() {
	vendors.RegisterVendor(Name, vendors.Vendor{Factory: New, Table: Table, NewSettings: newSettings, Push: true})
}

// New returns the source of an ingest integration, which has nothing to
// fetch: its Fetch says so.
func New(c vendors.Config) (vendors.Source, error) { return pushOnly(c.Integration), nil }

type pushOnly string

func (p pushOnly) Fetch(context.Context, func(vendors.Page) error) error {
	return fmt.Errorf("ingest vendor: integration %s is push-only: its records arrive at POST /ingest/%s", string(p), string(p))
}
