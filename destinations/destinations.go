// Package destinations holds what every system of record the agent
// delivers to shares: the record and batch types, the settings a
// destination is built from, and the registry through which the core finds
// a destination type by name without importing it. A destination only
// sends what it is given; the queue, its acknowledgements and the retries
// between deliveries live in the agent (agent/deliver).
package destinations

import (
	"context"
	"log/slog"

	"time"

	"github.com/agentsync/agent/credentials"
	"github.com/agentsync/agent/internal/registry"
)

// Kinds of records, as the webhook body and the export name them.
const (
	Person   = "person"
	SaaSUser = "saas_user"
)

// Operations a change carries.
const (
	OpCreate     = "create"
	OpUpdate     = "update"
	OpDeactivate = "deactivate"
	OpReactivate = "reactivate"
	OpSnapshot   = "snapshot"
)

// Change is one record to deliver: its kind, what happened to it and its
// current state as `agent export` writes it (kind, integration, the
// fields, status, deactivated_at, custom).
type Change struct {
	Kind   string
	Op     string
	RunID  string         // the run whose change this is (for a snapshot, the latest queued run)
	Record map[string]any // the export object
	// SaaS is the person's SaaS user of the integration's application,
	// when the integration keeps SaaS users and the person has one
	// (destinations that send one record per person use it).
	SaaS *Change
}

// Batch is one request's worth of changes of one integration.
type Batch struct {
	Number  int    // from 1 within a delivery
	RunID   string // the latest run whose changes the batch carries
	Changes []Change
}

// Delivery describes one delivery of one integration's queued changes.
type Delivery struct {
	Integration string
	Mode        string // users | users+saas_users
	Application string // of the SaaS users
	Preference  string // create_update | create_only | update_only
	Snapshot    bool   // every record of the integration, not only changes
}

// Session sends the batches of one delivery. Send returns whether the
// destination acknowledged the batch by itself (the queue may then forget
// it); Finish acknowledges every batch sent. A session that fails is
// abandoned: its unacknowledged batches are sent again next time.
type Session interface {
	Send(ctx context.Context, b Batch) (acked bool, err error)
	Finish(ctx context.Context) error
}

// Destination is a built destination.
type Destination interface {
	// Check verifies the credential and the endpoint, where the
	// destination has a way to (the token check of Oomnitza).
	Check(ctx context.Context) error
	// Begin starts a delivery.
	Begin(ctx context.Context, d Delivery) (Session, error)
	// Wants says which changes the destination sends: a changed field
	// (the target name without the user./saas_user. prefix, or
	// "status") of a kind; nil fields means every field of that kind.
	// PerPerson means one record per person carrying its SaaS user.
	Wants() Wants
}

// Wants is what a destination sends.
type Wants struct {
	PersonFields []string // nil: every field
	SaaSFields   []string // nil: every field
	PerPerson    bool     // SaaS users travel inside their person's record
}

// Problem is one bad key of a [[destination]] table.
type Problem struct {
	Key     string   // below the table: "url", "status.field"
	Value   string   // the value as written, for an enum
	Allowed []string // set when the key is an enum
	Msg     string   // what is wrong, without the key
}

// Settings is a type's own keys of [[destination]], decoded by the config
// from the struct's toml tags. Check reports the bad ones.
type Settings interface {
	Check() []Problem
}

// SecretSource is what a destination needs of the credential store.
type SecretSource interface {
	Get(ctx context.Context, name string) (credentials.Secret, error)
}

// Config is what a factory gets.
type Config struct {
	Name       string
	URL        string
	Credential string
	BatchSize  int
	Settings   Settings // the type's own, as NewSettings returned and the config filled
	Secrets    SecretSource
	UserAgent  string // "agent/<version>"
	Version    string
	Logger     *slog.Logger // nil discards; never given a secret
	// Redactor removes the destination's secrets from any text it
	// returns; the factory adds the credential it reads to it.
	Redactor Redactor
	// HTTP tunes the client: retries and waits.
	HTTP HTTP
}

// HTTP is the retry policy of a destination's requests.
type HTTP struct {
	Attempts int // tries per request on 429/5xx/connection errors
	// Sleep replaces the waits (tests); nil sleeps.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Redactor is the run's redactor (credentials.Redactor): it learns the
// secrets in play and removes them, in every form, from any text.
type Redactor interface {
	AddSecret(credentials.Secret)
	String(s string) string
}

// Type is a registered destination type.
type Type struct {
	// NewSettings returns a pointer to the type's settings with their
	// defaults, for the config to decode the type's keys into.
	NewSettings func() Settings
	New         func(Config) (Destination, error)
	// CredentialKind is the kind of keyring credential the type reads.
	CredentialKind credentials.Kind
}

var registered = registry.New[Type]("destinations")

// Register adds a type under name; destination packages call it from
// init. A second registration of a name panics.
func Register(name string, t Type) {
	registered.Add(name, t, func(t Type) string {
		if t.New == nil || t.NewSettings == nil {
			return "without a factory or settings"
		}
		return ""
	})
}

// Lookup returns the type registered under name.
func Lookup(name string) (Type, bool) { return registered.Get(name) }

// Names lists the registered types, sorted.
func Names() []string { return registered.Names() }
