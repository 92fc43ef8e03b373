package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Kind is what a record is.
type Kind string

// The record kinds.
const (
	Person   Kind = "person"
	SaaSUser Kind = "saas_user"
)

// Record statuses.
const (
	Active   = "active"
	Inactive = "inactive"
)

func (k Kind) table() string {
	if k == SaaSUser {
		return "saas_users"
	}
	return "people"
}

// Existing is what the store holds for a key, for diffing.
type Existing struct {
	Hash    int64 // DataHash of the stored data
	HasHash bool  // false for a record written before hashes were kept
	Status  string
}

// DataHash is the 64-bit FNV-1a hash of a record's canonical data. Equal
// hashes are taken as equal data: a collision would only hide one update,
// with a chance of 2^-64 per changed record.
func DataHash(data []byte) int64 {
	h := uint64(14695981039346656037)
	for _, c := range data {
		h ^= uint64(c)
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
	Username    string
	Email       string
	Data        string // canonical JSON of the mapped fields
	Create      bool
	Status      string // for a creation
	Changes     []FieldChange
}

// Seen marks a record as present in this run's fetch; Active is whether the
// source says it is active.
type Seen struct {
	Kind        Kind
	Application string
	Key         string
	Active      bool
}

// Sync is one run's session on a dedicated connection: the temp table of
// seen keys lives on it, so deactivation never needs every key in memory.
type Sync struct {
	conn        *sql.Conn
	integration string
	runID       string
	dryRun      bool
	plans       map[Scope]StatusPlan // from Plan, reused by Commit
}

// BeginSync opens a session for one run. Close it when done.
func (s *Store) BeginSync(ctx context.Context, integration, runID string, dryRun bool) (*Sync, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: sync %s: %w", integration, err)
	}
	// TEMP lives in this connection only, spills to a temp file when large.
	_, err = conn.ExecContext(ctx, `
CREATE TEMP TABLE IF NOT EXISTS seen (
	kind TEXT NOT NULL, application TEXT NOT NULL, key TEXT NOT NULL, active INTEGER NOT NULL,
	PRIMARY KEY (kind, application, key)) WITHOUT ROWID;
DELETE FROM temp.seen;
CREATE TEMP TABLE IF NOT EXISTS delta (
	kind TEXT NOT NULL, application TEXT NOT NULL, key TEXT NOT NULL, status TEXT NOT NULL,
	seen INTEGER NOT NULL, seen_active INTEGER NOT NULL, seen_until_null INTEGER NOT NULL,
	PRIMARY KEY (kind, application, key)) WITHOUT ROWID;
DELETE FROM temp.delta;`)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("store: sync %s: seen table: %w", integration, err)
	}
	return &Sync{conn: conn, integration: integration, runID: runID, dryRun: dryRun}, nil
}

// Close drops the session's temp state and returns the connection.
func (y *Sync) Close() error {
	_, err := y.conn.ExecContext(context.Background(), `DROP TABLE IF EXISTS temp.seen; DROP TABLE IF EXISTS temp.delta`)
	if cerr := y.conn.Close(); err == nil {
		err = cerr
	}
	return err
}

// Lookup returns the stored state of the given keys of one kind.
func (y *Sync) Lookup(ctx context.Context, kind Kind, application string, keys []string) (map[string]Existing, error) {
	out := make(map[string]Existing, len(keys))
	err := y.byKeys(ctx, kind, application, "data_hash, status", keys, func(rows *sql.Rows) error {
		var k string
		var e Existing
		var hash sql.NullInt64
		if err := rows.Scan(&k, &hash, &e.Status); err != nil {
			return err
		}
		e.Hash, e.HasHash = hash.Int64, hash.Valid
		out[k] = e
		return nil
	})
	return out, err
}

// LookupData returns the stored data of the given keys: for the few
// records whose hash did not match, to diff them field by field.
func (y *Sync) LookupData(ctx context.Context, kind Kind, application string, keys []string) (map[string]string, error) {
	out := make(map[string]string, len(keys))
	err := y.byKeys(ctx, kind, application, "data", keys, func(rows *sql.Rows) error {
		var k, d string
		if err := rows.Scan(&k, &d); err != nil {
			return err
		}
		out[k] = d
		return nil
	})
	return out, err
}

// byKeys selects key and cols of the given keys of one kind. The keys
// travel as one JSON array (json_each), one parameter instead of a
// thousand.
func (y *Sync) byKeys(ctx context.Context, kind Kind, application, cols string, keys []string, scan func(*sql.Rows) error) error {
	if len(keys) == 0 {
		return nil
	}
	fail := func(err error) error { return fmt.Errorf("store: lookup %s: %w", kind, err) }
	js, err := json.Marshal(keys)
	if err != nil {
		return fail(err)
	}
	args := []any{y.integration}
	q := `SELECT key, ` + cols + ` FROM ` + kind.table() + ` WHERE integration = ?`
	if kind == SaaSUser {
		q += ` AND application = ?`
		args = append(args, application)
	}
	rows, err := y.conn.QueryContext(ctx, q+` AND key IN (SELECT value FROM json_each(?))`, append(args, string(js))...)
	if err != nil {
		return fail(err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fail(err)
		}
	}
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	return nil
}

// ApplyPage writes one page's records and marks its keys seen, in one
// transaction. In a dry run only the seen marks are kept (in TEMP).
func (y *Sync) ApplyPage(ctx context.Context, writes []Write, seen []Seen) error {
	tx, err := y.conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: apply page: %w", err)
	}
	defer tx.Rollback()
	if !y.dryRun && len(writes) > 0 {
		if err := y.write(ctx, tx, writes); err != nil {
			return err
		}
	}
	if err := markSeen(ctx, tx, seen); err != nil {
		return fmt.Errorf("store: mark seen: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: apply page: %w", err)
	}
	return nil
}

// insertRows runs head + VALUES with many rows per statement: with the
// pure-Go SQLite every statement costs, so a page is a handful of them.
func insertRows(ctx context.Context, tx *sql.Tx, head string, cols int, args []any) error {
	const perStmt = 200
	var full *sql.Stmt
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	for len(args) > 0 {
		n := min(len(args)/cols, perStmt)
		chunk := args[:n*cols]
		args = args[n*cols:]
		row := "(?" + strings.Repeat(",?", cols-1) + ")"
		q := head + " VALUES " + row + strings.Repeat(","+row, n-1)
		var err error
		if n == perStmt {
			if full == nil {
				if full, err = tx.PrepareContext(ctx, q); err != nil {
					return err
				}
			}
			_, err = full.ExecContext(ctx, chunk...)
		} else {
			_, err = tx.ExecContext(ctx, q, chunk...)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (y *Sync) write(ctx context.Context, tx *sql.Tx, writes []Write) error {
	now := timeText(time.Now())
	var people, saas, changes []any
	var upd map[Kind]*sql.Stmt
	defer func() {
		for _, st := range upd {
			st.Close()
		}
	}()
	for _, w := range writes {
		for _, c := range w.Changes {
			changes = append(changes, y.runID, y.integration, string(w.Kind), w.Application, w.Key, c.Field, nullable(c.Old), nullable(c.New), now)
		}
		if w.Create {
			var deact any
			if w.Status == Inactive {
				deact = now
			}
			// seen_until NULL: seen by the latest success, which this run
			// becomes; if it fails, FinishRun marks its creations unseen.
			if w.Kind == SaaSUser {
				saas = append(saas, y.integration, w.Application, w.Key, w.Username, w.Email, w.Data, DataHash([]byte(w.Data)), w.Status, deact, y.runID, now, now)
			} else {
				people = append(people, y.integration, w.Key, w.Username, w.Email, w.Data, DataHash([]byte(w.Data)), w.Status, deact, y.runID, now, now)
			}
			continue
		}
		if upd == nil {
			upd = map[Kind]*sql.Stmt{}
		}
		st := upd[w.Kind]
		if st == nil {
			q := `UPDATE people SET username = ?, email = ?, data = ?, data_hash = ?, updated_at = ? WHERE integration = ? AND key = ?`
			if w.Kind == SaaSUser {
				q = `UPDATE saas_users SET username = ?, email = ?, data = ?, data_hash = ?, updated_at = ? WHERE integration = ? AND application = ? AND key = ?`
			}
			var err error
			if st, err = tx.PrepareContext(ctx, q); err != nil {
				return fmt.Errorf("store: update %s: %w", w.Kind, err)
			}
			upd[w.Kind] = st
		}
		args := []any{w.Username, w.Email, w.Data, DataHash([]byte(w.Data)), now, y.integration}
		if w.Kind == SaaSUser {
			args = append(args, w.Application)
		}
		if _, err := st.ExecContext(ctx, append(args, w.Key)...); err != nil {
			return fmt.Errorf("store: update %s %q: %w", w.Kind, w.Key, err)
		}
	}
	if err := insertRows(ctx, tx, `INSERT INTO people (integration, key, username, email, data, data_hash, status, deactivated_at, created_run, created_at, updated_at)`, 11, people); err != nil {
		return fmt.Errorf("store: create people: %w", err)
	}
	if err := insertRows(ctx, tx, `INSERT INTO saas_users (integration, application, key, username, email, data, data_hash, status, deactivated_at, created_run, created_at, updated_at)`, 12, saas); err != nil {
		return fmt.Errorf("store: create saas users: %w", err)
	}
	if err := insertRows(ctx, tx, `INSERT INTO changes (run_id, integration, kind, application, key, field, old, new, at)`, 9, changes); err != nil {
		return fmt.Errorf("store: change history: %w", err)
	}
	return nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// markSeen inserts a page's seen marks with one statement per kind: the
// keys travel as one JSON array that SQLite unpacks (json_each), which
// costs far less than binding four parameters a record.
func markSeen(ctx context.Context, tx *sql.Tx, seen []Seen) error {
	for len(seen) > 0 {
		kind, app := seen[0].Kind, seen[0].Application
		n := 1
		for n < len(seen) && seen[n].Kind == kind && seen[n].Application == app {
			n++
		}
		keys := make([]string, n)
		active := make([]byte, n)
		for i, s := range seen[:n] {
			keys[i] = s.Key
			active[i] = '0'
			if s.Active {
				active[i] = '1'
			}
		}
		seen = seen[n:]
		js, err := json.Marshal(keys)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT OR REPLACE INTO temp.seen (kind, application, key, active)
			SELECT ?, ?, k.value, substr(?, k.key + 1, 1) = '1' FROM json_each(?) k`, string(kind), app, string(active), string(js))
		if err != nil {
			return err
		}
	}
	return nil
}
