package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
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

// StatusOf is the status of a record that is active or not.
func StatusOf(active bool) string {
	if active {
		return Active
	}
	return Inactive
}

func (k Kind) table() string {
	if k == SaaSUser {
		return "saas_users"
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
	ID          int64  // the stored record's, for an update
	Data        string // canonical JSON of the mapped fields
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
	dryRun      bool
	dryRows     int                  // rows in TEMP dry (dry.go)
	plans       map[Scope]StatusPlan // from Plan, reused by Commit
	kinds       map[Kind]*kindState
	deliverTo   []string // destinations Commit queues the run's changes for
}

// DeliverTo names the destinations the run's changes are queued for when
// Commit records it: in the same transaction, so that a change applied is
// a change that will be delivered.
func (y *Sync) DeliverTo(destinations []string) { y.deliverTo = destinations }

// kindState is what the run knows of one kind's records.
type kindState struct {
	checked bool   // fresh is known
	fresh   bool   // no records of the kind when the run began: nothing to look up
	created int    // records this run inserted
	seen    bitmap // ids of stored records the fetch listed
}

func (y *Sync) kind(k Kind) *kindState {
	if y.kinds[k] == nil {
		y.kinds[k] = &kindState{}
	}
	return y.kinds[k]
}

// bitmap is a set of record ids, in chunks of 65,536 ids (8 KiB) made as
// ids arrive: a million dense ids take 128 KiB, and a stray large id costs
// one chunk, not the range below it.
type bitmap struct {
	chunks map[int64]*[1024]uint64
	n      int // distinct ids added
}

func (b *bitmap) add(id int64) (had bool) {
	if b.chunks == nil {
		b.chunks = map[int64]*[1024]uint64{}
	}
	c := b.chunks[id>>16]
	if c == nil {
		c = new([1024]uint64)
		b.chunks[id>>16] = c
	}
	w, m := &c[(id>>6)&1023], uint64(1)<<(id&63)
	had = *w&m != 0
	*w |= m
	if !had {
		b.n++
	}
	return had
}

func (b *bitmap) has(id int64) bool {
	c := b.chunks[id>>16]
	return c != nil && c[(id>>6)&1023]&(uint64(1)<<(id&63)) != 0
}

func (b *bitmap) count() int { return b.n }

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
	return &Sync{conn: conn, integration: integration, runID: runID, dryRun: dryRun, kinds: map[Kind]*kindState{}}, nil
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

// Lookup returns the stored state of the given keys of one kind, in the
// keys' order. A kind that had no records when the run began is not
// queried until ApplyPage reports ErrNotFresh.
func (y *Sync) Lookup(ctx context.Context, kind Kind, application string, keys []string) ([]Existing, error) {
	out := make([]Existing, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	fail := func(err error) ([]Existing, error) { return nil, fmt.Errorf("store: lookup %s: %w", kind, err) }
	ks := y.kind(kind)
	where, args := y.where(kind, application)
	if !ks.checked {
		var some bool
		if err := y.conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM `+kind.table()+` t WHERE `+where+`)`, args...).Scan(&some); err != nil {
			return fail(err)
		}
		ks.checked, ks.fresh = true, !some
	}
	if ks.fresh {
		return out, nil
	}
	js, err := json.Marshal(keys)
	if err != nil {
		return fail(err)
	}
	rows, err := y.conn.QueryContext(ctx, lookupSQL(kind, where), append([]any{y.runID, string(js)}, args...)...)
	if err != nil {
		return fail(err)
	}
	defer rows.Close()
	for rows.Next() {
		var packed int64
		var e Existing
		var hash sql.NullInt64
		if err := rows.Scan(&packed, &e.ID, &hash); err != nil {
			return fail(err)
		}
		i := packed >> 3
		if i < 0 || i >= int64(len(out)) {
			return fail(fmt.Errorf("key index %d out of range", i))
		}
		e.Found, e.Hash, e.HasHash = true, hash.Int64, hash.Valid
		e.Active, e.Seen, e.CreatedNow = packed&1 != 0, packed&2 != 0, packed&4 != 0
		out[i] = e
	}
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	if y.dryRows > 0 {
		if err := y.lookupDry(ctx, kind, application, string(js), out); err != nil {
			return fail(err)
		}
	}
	return out, nil
}

// lookupSQL is Lookup's query: parameters run id, the keys as a JSON
// array, then where's. The answer names each key by its index in the
// array, with three flags in its low bits (SQLite's | and << bind alike:
// parenthesized): three integer columns a record, as the pure-Go driver
// pays per column. CROSS JOIN keeps the keys the outer loop (SQLite does
// not reorder it): one index probe a key, whatever the planner guesses of
// json_each; TestLookupPlan holds it to that.
func lookupSQL(kind Kind, where string) string {
	return `SELECT (j.key << 3) | (t.status = 'active') | ((t.seen_until IS NULL) << 1) | ((t.created_run IS ?) << 2), t.id, t.data_hash
		FROM json_each(?) j CROSS JOIN ` + kind.table() + ` t ON ` + where + ` AND t.key = j.value`
}

// LookupData returns the stored data of the given records: for the few
// whose hash did not match, to diff them field by field.
func (y *Sync) LookupData(ctx context.Context, kind Kind, ids []int64) (map[int64]string, error) {
	out := make(map[int64]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	fail := func(err error) (map[int64]string, error) {
		return nil, fmt.Errorf("store: lookup %s data: %w", kind, err)
	}
	js, err := json.Marshal(ids)
	if err != nil {
		return fail(err)
	}
	rows, err := y.conn.QueryContext(ctx, `SELECT id, data FROM `+kind.table()+` WHERE id IN (SELECT value FROM json_each(?))`, string(js))
	if err != nil {
		return fail(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var d string
		if err := rows.Scan(&id, &d); err != nil {
			return fail(err)
		}
		out[id] = d
	}
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	if y.dryRows > 0 {
		if err := y.lookupDataDry(ctx, kind, ids, out); err != nil {
			return fail(err)
		}
	}
	return out, nil
}

// ApplyPage writes one page's records and marks its records seen, in one
// transaction. In a dry run the writes go to TEMP dry (dry.go) and the
// seen marks are kept as in a real run (in memory and TEMP).
func (y *Sync) ApplyPage(ctx context.Context, writes []Write, seen []Seen) error {
	tx, err := y.conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: apply page: %w", err)
	}
	defer tx.Rollback()
	var created map[Kind]int
	switch {
	case len(writes) == 0:
	case y.dryRun:
		if err := y.writeDry(ctx, tx, writes); err != nil {
			return err
		}
	default:
		if created, err = y.write(ctx, tx, writes); err != nil {
			return err
		}
	}
	if err := y.markSeen(ctx, tx, seen); err != nil {
		return fmt.Errorf("store: mark seen: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: apply page: %w", err)
	}
	for k, n := range created {
		y.kind(k).created += n
	}
	for _, s := range seen {
		if !s.Existing.CreatedNow {
			y.kind(s.Kind).seen.add(s.Existing.ID)
		}
	}
	return nil
}

// multiInsert is a multi-row INSERT: with the pure-Go SQLite every statement
// and every bound value costs, so a page is a handful of statements and a
// value common to all rows (the integration, the run, the time) is bound
// once per statement.
type multiInsert struct {
	into   string // INSERT INTO t (cols): the consts' columns, then the rows'
	tail   string // after the statement's SELECT (an ON CONFLICT clause)
	consts []any
	cols   int // values a row
}

// insert inserts the rows whose own values are args (cols a row) and
// returns how many were inserted.
func (r multiInsert) insert(ctx context.Context, tx *sql.Tx, args []any) (int64, error) {
	const perStmt = 200
	var full *sql.Stmt
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	var inserted int64
	for len(args) > 0 {
		n := min(len(args)/r.cols, perStmt)
		chunk := append(append(make([]any, 0, n*r.cols+len(r.consts)), args[:n*r.cols]...), r.consts...)
		args = args[n*r.cols:]
		var err error
		var res sql.Result
		if n == perStmt {
			if full == nil {
				if full, err = tx.PrepareContext(ctx, r.sql(n)); err != nil {
					return inserted, err
				}
			}
			res, err = full.ExecContext(ctx, chunk...)
		} else {
			res, err = tx.ExecContext(ctx, r.sql(n), chunk...)
		}
		if err != nil {
			return inserted, err
		}
		if n, err := res.RowsAffected(); err == nil {
			inserted += n
		}
	}
	return inserted, nil
}

// sql is the statement for n rows. The rows' values are plain ?s; the
// consts come after them, numbered: the driver looks every parameter's
// name up in a list of the named ones, so those must stay few.
func (r multiInsert) sql(n int) string {
	var b strings.Builder
	b.WriteString("WITH v AS (VALUES ")
	row := "(?" + strings.Repeat(",?", r.cols-1) + ")"
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(row)
	}
	b.WriteString(") ")
	b.WriteString(r.into)
	b.WriteString(" SELECT ")
	for i := range r.consts {
		fmt.Fprintf(&b, "?%d, ", n*r.cols+i+1)
	}
	for i := range r.cols {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "column%d", i+1)
	}
	b.WriteString(" FROM v WHERE true") // WHERE: the parser's cue that ON CONFLICT is an upsert
	b.WriteString(r.tail)
	return b.String()
}

// write applies a page's writes and returns the records created per kind.
func (y *Sync) write(ctx context.Context, tx *sql.Tx, writes []Write) (map[Kind]int, error) {
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
			changes = append(changes, string(w.Kind), w.Application, w.Key, c.Field, nullable(c.Old), nullable(c.New))
		}
		if w.Create {
			var deact any
			if w.Status == Inactive {
				deact = now
			}
			// seen_until NULL: seen by the latest success, which this run
			// becomes; if it fails, FinishRun marks its creations unseen.
			if w.Kind == SaaSUser {
				saas = append(saas, w.Application, w.Key, w.Data, DataHash([]byte(w.Data)), w.Status, deact)
			} else {
				people = append(people, w.Key, w.Data, DataHash([]byte(w.Data)), w.Status, deact)
			}
			continue
		}
		if upd == nil {
			upd = map[Kind]*sql.Stmt{}
		}
		st := upd[w.Kind]
		if st == nil {
			var err error
			if st, err = tx.PrepareContext(ctx, `UPDATE `+w.Kind.table()+` SET data = ?, data_hash = ?, updated_at = ? WHERE id = ?`); err != nil {
				return nil, fmt.Errorf("store: update %s: %w", w.Kind, err)
			}
			upd[w.Kind] = st
		}
		if _, err := st.ExecContext(ctx, w.Data, DataHash([]byte(w.Data)), now, w.ID); err != nil {
			return nil, fmt.Errorf("store: update %s %q: %w", w.Kind, w.Key, err)
		}
		if w.Status != "" {
			// Only for a record this run created and the source listed
			// again with another status (the run's end leaves it alone).
			_, err := tx.ExecContext(ctx, `UPDATE `+w.Kind.table()+` SET status = ?, deactivated_at = CASE WHEN ? = 'inactive' THEN ? END WHERE id = ?`, w.Status, w.Status, now, w.ID)
			if err != nil {
				return nil, fmt.Errorf("store: update %s %q: %w", w.Kind, w.Key, err)
			}
		}
	}
	created := map[Kind]int{}
	create := func(kind Kind, r multiInsert, args []any) error {
		if len(args) == 0 {
			return nil
		}
		// Without lookups (fresh), a key this run already created is not
		// inserted again: the short count says so (ErrNotFresh), the
		// transaction is rolled back, and the page is diffed with lookups.
		if y.kind(kind).fresh {
			r.tail = " ON CONFLICT DO NOTHING"
		}
		n, err := r.insert(ctx, tx, args)
		if err != nil {
			return fmt.Errorf("store: create %s: %w", kind, err)
		}
		if want := int64(len(args) / r.cols); n != want {
			y.kind(kind).fresh = false
			return ErrNotFresh
		}
		created[kind] = int(n)
		return nil
	}
	consts := []any{y.integration, y.runID, now}
	err := create(Person, multiInsert{
		into:   `INSERT INTO people (integration, created_run, created_at, key, data, data_hash, status, deactivated_at)`,
		consts: consts, cols: 5,
	}, people)
	if err != nil {
		return nil, err
	}
	err = create(SaaSUser, multiInsert{
		into:   `INSERT INTO saas_users (integration, created_run, created_at, application, key, data, data_hash, status, deactivated_at)`,
		consts: consts, cols: 6,
	}, saas)
	if err != nil {
		return nil, err
	}
	_, err = multiInsert{
		into:   `INSERT INTO changes (integration, run_id, at, kind, application, key, field, old, new)`,
		consts: consts, cols: 6,
	}.insert(ctx, tx, changes)
	if err != nil {
		return nil, fmt.Errorf("store: change history: %w", err)
	}
	return created, nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// markSeen keeps, of a page's seen records, those whose status or seen
// bookkeeping the end of the run may change (TEMP delta); the rest are only
// bits in the run's bitmap (set by ApplyPage once the page is committed). A
// record listed twice gets a delta row either way, so the last listing is
// the one that counts.
func (y *Sync) markSeen(ctx context.Context, tx *sql.Tx, seen []Seen) error {
	var marks []any
	for _, s := range seen {
		e := s.Existing
		if e.CreatedNow {
			continue
		}
		if e.Active == s.Active && e.Seen && !y.kind(s.Kind).seen.has(e.ID) {
			continue
		}
		marks = append(marks, string(s.Kind), e.ID, s.Application, s.Key, StatusOf(e.Active), 1, s.Active, e.Seen)
	}
	_, err := multiInsert{
		into: `INSERT OR REPLACE INTO temp.delta (kind, id, application, key, status, seen, seen_active, seen_until_null)`,
		cols: 8,
	}.insert(ctx, tx, marks)
	return err
}
