package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Kind is what a record is.
type Kind string

// The record kinds.
const (
	Person   Kind = "person"
	SaaSUser Kind = "saas_user"
	// The SaaS discovery kinds (seeds 003 and 000): the catalogue of
	// applications, the spend (invoices) and the contracts. Each is stored
	// as people are: one row per key, its mapped fields in data.
	Application Kind = "application"
	Invoice     Kind = "invoice"
	Contract    Kind = "contract"
)

// Kinds lists every record kind, in the order exports and status show them.
var Kinds = []Kind{Person, SaaSUser, Application, Invoice, Contract}

// Record statuses.
const (
	Active   = "active"
	Inactive = "inactive"
)

// StatusOf is the status of a record that is active or not.
func StatusOf(active bool) string {
	if active {
		return Active
	}
	return Inactive
}

// kindNames are each kind's table and how people read its records.
var kindNames = map[Kind]struct{ table, plural string }{
	Person:      {"people", "people"},
	SaaSUser:    {"saas_users", "SaaS users"},
	Application: {"applications", "applications"},
	Invoice:     {"invoices", "invoices"},
	Contract:    {"contracts", "contracts"},
}

// Plural is how people read the kind's records: "people", "SaaS users",
// "applications", "invoices", "contracts".
func (k Kind) Plural() string {
	if n, ok := kindNames[k]; ok {
		return n.plural
	}
	return "people"
}

func (k Kind) table() string {
	if n, ok := kindNames[k]; ok {
		return n.table
	}
	return "people"
}

// Existing is what the store holds for a key, for diffing.
type Existing struct {
	Found   bool
	ID      int64
	Hash    int64 // DataHash of the stored data
	HasHash bool  // false for a record written before hashes were kept
	Active  bool  // the stored status is active
	// Seen is whether the latest successful run saw the record
	// (seen_until is NULL); CreatedNow, whether this run created it (a
	// source listing a user twice, on two pages).
	Seen, CreatedNow bool
}

// DataHash is the 64-bit FNV-1a hash of a record's canonical data. Equal
// hashes are taken as equal data: a collision would only hide one update,
// with a chance of 2^-64 per changed record.
func DataHash[T ~string | ~[]byte](data T) int64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(data); i++ {
		h ^= uint64(data[i])
		h *= 1099511628211
	}
	return int64(h)
}

// FieldChange is one field's change; Field "" with New = the whole record
// stands for a creation.
type FieldChange struct {
	Field    string
	Old, New string
}

// Write is one record to insert (Create) or update.
type Write struct {
	Kind        Kind
	Application string // "" for people
	Key         string
	ID          int64  // the stored record's, for an update
	Data        string // canonical JSON of the mapped fields; a creation with Packed and Hash may leave it out
	Hash        int64  // DataHash(Data) when the caller has it; 0: the store computes it
	Packed      Packed // Data packed (Packer) when the caller has it
	Create      bool
	Status      string // for a creation; for an update, a status to set ("" keeps it)
	Changes     []FieldChange
}

// Seen marks a stored record as present in this run's fetch; Active is
// whether the source says it is active.
type Seen struct {
	Kind        Kind
	Application string
	Key         string
	Existing    Existing
	Active      bool
}

// ErrNotFresh is returned by ApplyPage when a page written without
// lookups (the integration had no records of the kind when the run began)
// meets a record this run already created: a source listing a user on two
// pages. Nothing of the page was written; diff it again with Lookup, which
// now queries the store.
var ErrNotFresh = errors.New("store: the source repeats a record of an earlier page")

// Sync is one run's session on a dedicated connection. The ids of the
// records the fetch saw are a bitmap per kind (128 KiB a million records),
// and the few records whose status or seen bookkeeping changes go to a
// TEMP table: deactivation never needs every key in memory.
type Sync struct {
	conn        *sql.Conn
	integration string
	runID       string
	runNum      int64 // the run's num (created_run); 0 for a dry run with no run row
	dryRun      bool
	dryRows     int                  // rows in TEMP dry (dry.go)
	plans       map[Scope]StatusPlan // from Plan, reused by Commit
	kinds       map[Scope]*kindState // per kind and, for SaaS users, application
	deliverTo   []string             // destinations Commit queues the run's changes for
	partial     bool                 // a push: see Partial
	stmts       *stmtCache
	layouts     *layouts
	packer      Packer
	// The layout of the last write and its id: a page's writes mostly
	// share one, and the engine's Packer hands the same one on.
	lastLayout   *layout
	lastLayoutID int64
}

// DeliverTo names the destinations the run's changes are queued for when
// Commit records it: in the same transaction, so that a change applied is
// a change that will be delivered.
func (y *Sync) DeliverTo(destinations []string) { y.deliverTo = destinations }

// Partial marks the session as a push: what it lists is some records, not
// the integration's whole list. The status changes of Plan and Commit then
// cover the listed records only (one listed inactive is deactivated, one
// listed active reactivated); a record is never deactivated for being
// missing. The seen bookkeeping behind $sync_time is a run's.
func (y *Sync) Partial() { y.partial = true }

// listed is the condition on TEMP delta that limits status changes to the
// listed records in a partial session.
func (y *Sync) listed() string {
	if y.partial {
		return ` AND seen = 1`
	}
	return ``
}

// kindState is what the run knows of one scope's records (one kind; for
// SaaS users, of one application).
type kindState struct {
	checked bool   // fresh is known
	fresh   bool   // no records of the kind when the run began: nothing to look up
	created int    // records this run inserted
	seen    bitmap // ids of stored records the fetch listed
	// createdActive is how many of this run's creations are active now;
	// activeSeen, how many distinct records in seen were active in the
	// store (before the run: the run changes no status of a record it did
	// not create until it commits). See Sync.missing.
	createdActive int
	activeSeen    int
	scanned       bool // the last Plan scanned the scope (tests)
	guessSkip     int  // pages Lookup still looks up without guessSQL
}

func (y *Sync) kind(k Kind, application string) *kindState {
	sc := Scope{Kind: k, Application: application}
	ks := y.kinds[sc]
	if ks == nil {
		ks = &kindState{}
		y.kinds[sc] = ks
	}
	return ks
}

// BeginSync opens a session for one run. Close it when done.
func (s *Store) BeginSync(ctx context.Context, integration, runID string, dryRun bool) (*Sync, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: sync %s: %w", integration, err)
	}
	// TEMP lives in this connection only, spills to a temp file when large.
	_, err = conn.ExecContext(ctx, `
CREATE TEMP TABLE IF NOT EXISTS delta (
	kind TEXT NOT NULL, id INTEGER NOT NULL, application TEXT NOT NULL, key TEXT NOT NULL, status TEXT NOT NULL,
	seen INTEGER NOT NULL, seen_active INTEGER NOT NULL, seen_until_null INTEGER NOT NULL,
	PRIMARY KEY (kind, id)) WITHOUT ROWID;
DELETE FROM temp.delta;`)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("store: sync %s: delta table: %w", integration, err)
	}
	if dryRun {
		if _, err := conn.ExecContext(ctx, dryTable); err != nil {
			conn.Close()
			return nil, fmt.Errorf("store: sync %s: dry table: %w", integration, err)
		}
	}
	var num sql.NullInt64
	err = conn.QueryRowContext(ctx, `SELECT num FROM runs WHERE id = ?`, runID).Scan(&num)
	if err != nil && (!errors.Is(err, sql.ErrNoRows) || !dryRun) {
		conn.Close()
		return nil, fmt.Errorf("store: sync %s: run %s: %w", integration, runID, err)
	}
	return &Sync{conn: conn, integration: integration, runID: runID, runNum: num.Int64, dryRun: dryRun, kinds: map[Scope]*kindState{},
		stmts: &s.stmts, layouts: &s.layouts}, nil
}

// Close drops the session's temp state and returns the connection.
func (y *Sync) Close() error {
	_, err := y.conn.ExecContext(context.Background(), `DROP TABLE IF EXISTS temp.delta; DROP TABLE IF EXISTS temp.dry`)
	if cerr := y.conn.Close(); err == nil {
		err = cerr
	}
	return err
}

// where selects one kind's records of the integration (alias t).
func (y *Sync) where(kind Kind, application string) (string, []any) {
	if kind == SaaSUser {
		return `t.integration = ? AND t.application = ?`, []any{y.integration, application}
	}
	return `t.integration = ?`, []any{y.integration}
}
