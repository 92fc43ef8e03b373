package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
)

// Lookup returns the stored state of the given keys of one kind, in the
// keys' order. A kind that had no records when the run began is not
// queried until ApplyPage reports ErrNotFresh.
func (y *Sync) Lookup(ctx context.Context, kind Kind, application string, keys []string) ([]Existing, error) {
	out := make([]Existing, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	fail := func(err error) ([]Existing, error) { return nil, fmt.Errorf("store: lookup %s: %w", kind, err) }
	ks := y.kind(kind, application)
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
