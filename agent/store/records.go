package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Record is a stored person or SaaS user.
type Record struct {
	ID            int64
	Kind          Kind
	Integration   string
	Application   string
	Key           string
	Fields        map[string]string // mapped fields, without the user./saas_user. prefix
	Status        string
	DeactivatedAt time.Time
	CreatedRun    string    // the run that created it
	CreatedAt     time.Time // when it was created (an application's first_seen)
	// LastSync is the last successful run that saw the record; nil when
	// none has. It feeds the $sync_time and $credential_name tracking fields.
	LastSync *Run
}

// recordReader scans records and resolves each one's last successful run,
// reading every run once.
type recordReader struct {
	s           *Store
	integration string
	latest      *Run
	runs        map[string]*Run
	runIDs      map[int64]string // created_run's num to the run's id
}

func (s *Store) recordReader(ctx context.Context, integration string) (*recordReader, error) {
	rr := &recordReader{s: s, integration: integration, runs: map[string]*Run{}, runIDs: map[int64]string{}}
	// The layouts up front: reading one while the records' rows are open
	// would take a second connection, and a store in memory has one.
	if err := s.layouts.load(ctx, s.db); err != nil {
		return nil, err
	}
	latest, err := s.LastRun(ctx, integration, OutcomeSuccess)
	switch {
	case err == nil:
		rr.latest = &latest
	case !errors.Is(err, ErrNotFound):
		return nil, err
	}
	return rr, nil
}

func (rr *recordReader) lastSync(ctx context.Context, seen sql.NullString) (*Run, error) {
	switch {
	case !seen.Valid:
		return rr.latest, nil
	case seen.String == "":
		return nil, nil
	}
	if r, ok := rr.runs[seen.String]; ok {
		return r, nil
	}
	r, err := rr.s.Run(ctx, seen.String)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	var p *Run
	if err == nil {
		p = &r
	}
	rr.runs[seen.String] = p
	return p, nil
}

// query selects the records of the kind matching where (which names the
// integration: "integration = ?" or, to keep SQLite off the key index,
// "+integration = ?"; the integration is the first argument) and calls fn
// for each.
func (rr *recordReader) query(ctx context.Context, kind Kind, where string, args []any, fn func(Record) error) error {
	rows, err := rr.s.db.QueryContext(ctx, recordSQL(kind, where), append([]any{rr.integration}, args...)...)
	if err != nil {
		return fmt.Errorf("store: %s records of %s: %w", kind, rr.integration, err)
	}
	defer rows.Close()
	for rows.Next() {
		r := Record{Kind: kind, Integration: rr.integration}
		var layout, created int64
		var data string
		var seen sql.NullString
		var deact, createdRun sql.NullInt64
		if err := rows.Scan(&r.ID, &r.Application, &r.Key, &layout, &data, &r.Status, &deact, &seen, &createdRun, &created); err != nil {
			return fmt.Errorf("store: %s records of %s: %w", kind, rr.integration, err)
		}
		l, err := rr.s.layouts.get(ctx, rr.s.db, layout)
		if err == nil {
			data, err = unpack(l, r.Key, data)
		}
		if err == nil {
			err = json.Unmarshal([]byte(data), &r.Fields)
		}
		if err != nil {
			return fmt.Errorf("store: %s %q: data: %w", kind, r.Key, err)
		}
		r.DeactivatedAt = msTime(deact)
		r.CreatedAt = msTime(sql.NullInt64{Int64: created, Valid: true})
		if r.CreatedRun, err = rr.runID(ctx, createdRun); err != nil {
			return err
		}
		if r.LastSync, err = rr.lastSync(ctx, seen); err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// runID is the id of the run whose num is created_run ("" for none).
func (rr *recordReader) runID(ctx context.Context, num sql.NullInt64) (string, error) {
	if !num.Valid {
		return "", nil
	}
	id, ok := rr.runIDs[num.Int64]
	if ok {
		return id, nil
	}
	err := rr.s.db.QueryRowContext(ctx, `SELECT id FROM runs WHERE num = ?`, num.Int64).Scan(&id)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("store: run %d: %w", num.Int64, err)
	}
	rr.runIDs[num.Int64] = id
	return id, nil
}

// recordSQL selects the records of the kind that match where.
func recordSQL(kind Kind, where string) string {
	app := "''"
	if kind == SaaSUser {
		app = "application"
	}
	return `SELECT id, ` + app + `, key, layout, data, status, deactivated_at, seen_until, created_run, created_at FROM ` + kind.table() + ` WHERE ` + where
}

// afterSQL is RecordsAfter's condition. The id range is the rowid's:
// with the key index, SQLite would read every record of the integration
// to sort them by id, at every call (TestDeliveryQueryPlans).
const afterSQL = `+integration = ? AND id > ? AND id <= ? ORDER BY id LIMIT ?`

// Records streams the integration's records of one kind, ordered by key.
func (s *Store) Records(ctx context.Context, integration string, kind Kind, fn func(Record) error) error {
	rr, err := s.recordReader(ctx, integration)
	if err != nil {
		return err
	}
	// The ORDER BY is the key index's order, so nothing is sorted (an
	// ORDER BY on the constant '' made SQLite sort every record).
	order := "key"
	if kind == SaaSUser {
		order = "application, key"
	}
	return rr.query(ctx, kind, `integration = ? ORDER BY `+order, nil, fn)
}

// RecordsAfter returns up to limit records of the kind with an id above
// after and, when upTo > 0, at most upTo, in id order.
func (s *Store) RecordsAfter(ctx context.Context, integration string, kind Kind, after, upTo int64, limit int) ([]Record, error) {
	rr, err := s.recordReader(ctx, integration)
	if err != nil {
		return nil, err
	}
	if upTo <= 0 {
		upTo = 1<<63 - 1
	}
	out := make([]Record, 0, limit)
	err = rr.query(ctx, kind, afterSQL, []any{after, upTo, limit}, func(r Record) error {
		out = append(out, r)
		return nil
	})
	return out, err
}

// RecordsByKey returns the integration's records of the kind (of the
// application, for SaaS users) with those keys, by key; absent keys are
// left out.
func (s *Store) RecordsByKey(ctx context.Context, integration string, kind Kind, application string, keys []string) (map[string]Record, error) {
	out := make(map[string]Record, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	rr, err := s.recordReader(ctx, integration)
	if err != nil {
		return nil, err
	}
	js, err := json.Marshal(keys)
	if err != nil {
		return nil, err
	}
	where, args := `integration = ? AND key IN (SELECT value FROM json_each(?))`, []any{string(js)}
	if kind == SaaSUser {
		where, args = `integration = ? AND application = ? AND key IN (SELECT value FROM json_each(?))`, []any{application, string(js)}
	}
	err = rr.query(ctx, kind, where, args, func(r Record) error {
		out[r.Key] = r
		return nil
	})
	return out, err
}

// Change is one row of the change history.
type Change struct {
	Integration string
	RunID       string
	Kind        Kind
	Application string
	Key         string
	Field       string
	Old, New    string
	At          time.Time
	// Event and Actor are what the push that made the change named
	// (store.Run.Event, Actor); "" for a change of another run.
	Event, Actor string
}

// ChangeQuery selects rows of the change history; its zero value selects
// every row.
type ChangeQuery struct {
	Integration string    // "" = every integration
	Key         string    // "" = every record
	Since       time.Time // zero = from the start; else changes at or after it
	Limit       int       // > 0: only the newest Limit rows (still listed oldest first)
}

// Changes lists an integration's change history, oldest first; key "" means
// all records. See History.
func (s *Store) Changes(ctx context.Context, integration, key string) ([]Change, error) {
	return s.History(ctx, ChangeQuery{Integration: integration, Key: key})
}

// History lists the change history q selects, oldest first. A record's
// creation is its created_run (field "" and new "created"), kept on the
// record rather than as a history row of its own.
func (s *Store) History(ctx context.Context, q ChangeQuery) ([]Change, error) {
	// Each part filters on its own columns, so the key indexes serve it.
	var where []string
	var args []any
	if q.Integration != "" {
		where, args = append(where, "integration = ?"), append(args, q.Integration)
	}
	if q.Key != "" {
		where, args = append(where, "key = ?"), append(args, q.Key)
	}
	var all []any
	// cond is a part's WHERE; a record's time is milliseconds, the
	// history's text.
	cond := func(at string, extra ...string) string {
		w := append(append([]string{}, where...), extra...)
		all = append(all, args...)
		if !q.Since.IsZero() {
			w = append(w, at+" >= ?")
			if at == "at" {
				all = append(all, timeText(q.Since))
			} else {
				all = append(all, q.Since.UnixMilli())
			}
		}
		if len(w) == 0 {
			return ""
		}
		return " WHERE " + strings.Join(w, " AND ")
	}
	// The history's rows, then the creations of each kind (a creation is
	// its record's created_run, not a row of its own).
	discovery := []Kind{Application, Invoice, Contract}
	created := `(SELECT id FROM runs WHERE num = created_run), `
	at := textSQL("created_at")
	order, limit := "ASC", ""
	if q.Limit > 0 {
		order, limit = "DESC", fmt.Sprintf(" LIMIT %d", q.Limit)
	}
	query := `SELECT h.integration, h.run_id, h.kind, h.application, h.key, h.field, h.old, h.new, h.at, coalesce(r.event, ''), coalesce(r.actor, '')
		FROM (
			SELECT integration, run_id, kind, application, key, field, coalesce(old, '') AS old, coalesce(new, '') AS new, at, 1 AS ord, id
				FROM changes` + cond("at") + `
			UNION ALL
			SELECT integration, ` + created + `'person', '', key, '', '', 'created', ` + at + `, 0, 0
				FROM people` + cond("created_at", "created_run IS NOT NULL") + `
			UNION ALL
			SELECT integration, ` + created + `'saas_user', application, key, '', '', 'created', ` + at + `, 0, 0
				FROM saas_users` + cond("created_at", "created_run IS NOT NULL")
	for _, k := range discovery {
		query += `
			UNION ALL
			SELECT integration, ` + created + `'` + string(k) + `', '', key, '', '', 'created', ` + at + `, 0, 0
				FROM ` + k.table() + cond("created_at", "created_run IS NOT NULL")
	}
	query += `
		) h LEFT JOIN runs r ON r.id = h.run_id
		ORDER BY h.at ` + order + `, h.ord ` + order + `, h.id ` + order + `, h.kind ` + order + `, h.key ` + order + limit
	what := "change history"
	if q.Integration != "" {
		what = "changes of " + q.Integration
	}
	out, err := collect(ctx, s.db, what, scanChange, query, all...)
	if err == nil && q.Limit > 0 {
		slices.Reverse(out)
	}
	return out, err
}

func scanChange(r rowScanner) (Change, error) {
	var c Change
	var at string
	err := r.Scan(&c.Integration, &c.RunID, &c.Kind, &c.Application, &c.Key, &c.Field, &c.Old, &c.New, &at, &c.Event, &c.Actor)
	c.At = parseTime(sql.NullString{String: at, Valid: true})
	return c, err
}
