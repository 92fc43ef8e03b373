package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
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
	// First where the records most likely are (guessSQL), then through
	// the key index for the keys not found there.
	rest, restJS := keys, js
	var restAt []int // rest's places in keys; nil: the same
	if ks.guessSkip > 0 {
		ks.guessSkip--
	} else if len(keys) > 1 {
		if err := y.answer(ctx, guessSQL(kind, where), append(append([]any{y.runNum, string(js)}, args...), args...), out); err != nil {
			return fail(err)
		}
		rest, restAt = nil, []int{}
		for i, e := range out {
			if !e.Found {
				rest, restAt = append(rest, keys[i]), append(restAt, i)
			}
		}
		if 2*len(rest) > len(keys) {
			// Not in the source's order here: probe the next pages'
			// keys through the index only, then try again.
			ks.guessSkip = guessPause
		}
		if len(rest) > 0 {
			if restJS, err = json.Marshal(rest); err != nil {
				return fail(err)
			}
		}
	}
	if len(rest) > 0 {
		sub := out
		if restAt != nil {
			sub = make([]Existing, len(rest))
		}
		if err := y.answer(ctx, lookupSQL(kind, where), append([]any{y.runNum, string(restJS)}, args...), sub); err != nil {
			return fail(err)
		}
		for j, i := range restAt {
			out[i] = sub[j]
		}
	}
	if y.dryRows > 0 {
		if err := y.lookupDry(ctx, kind, application, string(js), out); err != nil {
			return fail(err)
		}
	}
	return out, nil
}

// lookupAnswer is what lookupSQL and guessSQL answer: ?1 is the run's
// num, ?2 the keys as a JSON array. The answer is one text of
// "packed,id,hash;" a record found: packed is the key's index in the array
// with three flags in its low bits (SQLite's | and << bind alike:
// parenthesized), and hash is empty when the record has none. One row a
// page, because the pure-Go driver's cost is per row and per column, and
// a page's lookups are mostly unchanged records.
const lookupAnswer = `SELECT group_concat(((j.key << 3) | (t.status = 'active') | ((t.seen_until IS NULL) << 1) | ((t.created_run IS ?1) << 2)) || ',' || t.id || ',' || coalesce(t.data_hash, ''), ';')`

// lookupSQL is Lookup's query through the key index; where's arguments
// follow ?1 and ?2. CROSS JOIN keeps the keys the outer loop (SQLite does
// not reorder it): one index probe a key, whatever the planner guesses of
// json_each; TestLookupPlan holds it to that.
func lookupSQL(kind Kind, where string) string {
	return lookupAnswer + `
		FROM json_each(?2) j CROSS JOIN ` + kind.table() + ` t ON ` + where + ` AND t.key = j.value`
}

// guessSQL is lookupSQL where the records most likely are: a resync
// lists its records in the order a first sync stored them, one after the
// other, so the page's first key is found through the key index and each
// other key at that record's id plus its place in the page, by rowid,
// without a probe of the key index. where comes twice: its arguments too.
// A record is taken only when its key and scope are the ones asked for,
// so a wrong guess finds nothing, and Lookup asks the key index for what
// was not found.
func guessSQL(kind Kind, where string) string {
	return lookupAnswer + `
		FROM json_each(?2) j CROSS JOIN ` + kind.table() + ` t
		ON t.id = (SELECT t.id FROM ` + kind.table() + ` t WHERE ` + where + ` AND t.key = json_extract(?2, '$[0]')) + j.key
		AND t.key = j.value AND ` + where
}

// answer runs a lookup query and reads its answer into out, by key index.
func (y *Sync) answer(ctx context.Context, query string, args []any, out []Existing) error {
	var found sql.NullString
	if err := y.conn.QueryRowContext(ctx, query, args...).Scan(&found); err != nil {
		return err
	}
	return parseLookup(found.String, out)
}

// guessPause is how many pages Lookup probes through the key index alone
// after a page whose records were mostly not where guessSQL looked.
const guessPause = 8

// parseLookup reads lookupAnswer's text into out, by key index.
func parseLookup(s string, out []Existing) error {
	for len(s) > 0 {
		var rec string
		var ok bool
		rec, s, _ = strings.Cut(s, ";")
		var f [3]string
		f[0], rec, ok = strings.Cut(rec, ",")
		if ok {
			f[1], f[2], ok = strings.Cut(rec, ",")
		}
		if !ok {
			return fmt.Errorf("lookup answer %q: want packed,id,hash", rec)
		}
		packed, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return fmt.Errorf("lookup answer: %w", err)
		}
		i := packed >> 3
		if i < 0 || i >= int64(len(out)) {
			return fmt.Errorf("key index %d out of range", i)
		}
		e := Existing{Found: true, Active: packed&1 != 0, Seen: packed&2 != 0, CreatedNow: packed&4 != 0}
		if e.ID, err = strconv.ParseInt(f[1], 10, 64); err != nil {
			return fmt.Errorf("lookup answer: %w", err)
		}
		if f[2] != "" {
			if e.Hash, err = strconv.ParseInt(f[2], 10, 64); err != nil {
				return fmt.Errorf("lookup answer: %w", err)
			}
			e.HasHash = true
		}
		out[i] = e
	}
	return nil
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
	rows, err := y.conn.QueryContext(ctx, `SELECT id, key, layout, data FROM `+kind.table()+` WHERE id IN (SELECT value FROM json_each(?))`, string(js))
	if err != nil {
		return fail(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, layout int64
		var key, d string
		if err := rows.Scan(&id, &key, &layout, &d); err != nil {
			return fail(err)
		}
		l, err := y.layouts.get(ctx, y.conn, layout)
		if err == nil {
			d, err = unpack(l, key, d)
		}
		if err != nil {
			return fail(fmt.Errorf("%q: %w", key, err))
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
