package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
)

// A dry run writes nothing to the store, yet must count as the real run
// does: a user listed on two pages is created once, then unchanged or
// updated, and a record updated by one page is compared with that update
// by the next. So its writes go to TEMP dry instead (this connection
// only; it spills to a temp file, so a dry first sync stays flat in
// memory), and Lookup and LookupData read through it. A record the dry
// run created has a negative id there (-dry.id); a stored record it
// updated keeps its id (dry.ref).

const dryTable = `
CREATE TEMP TABLE IF NOT EXISTS dry (
	id INTEGER PRIMARY KEY, kind TEXT NOT NULL, application TEXT NOT NULL, key TEXT NOT NULL,
	ref INTEGER NOT NULL, data TEXT NOT NULL, data_hash INTEGER NOT NULL, status TEXT NOT NULL,
	UNIQUE (kind, application, key));
DELETE FROM temp.dry;`

// writeDry is write for a dry run, into TEMP dry. As in write, a
// creation that meets one of this run's (without lookups) is ErrNotFresh.
func (y *Sync) writeDry(ctx context.Context, tx *sql.Tx, writes []Write) error {
	for _, w := range writes {
		hash := w.hash()
		var err error
		switch {
		case w.Create:
			var res sql.Result
			res, err = tx.ExecContext(ctx, `INSERT INTO temp.dry (kind, application, key, ref, data, data_hash, status) VALUES (?, ?, ?, 0, ?, ?, ?) ON CONFLICT DO NOTHING`,
				string(w.Kind), w.Application, w.Key, w.Data, hash, w.Status)
			if err == nil {
				n, _ := res.RowsAffected()
				switch ks := y.kind(w.Kind, w.Application); {
				case n == 1:
					y.dryRows++
				case ks.fresh:
					ks.fresh = false
					return ErrNotFresh
				default:
					err = fmt.Errorf("created twice")
				}
			}
		case w.ID < 0:
			_, err = tx.ExecContext(ctx, `UPDATE temp.dry SET data = ?, data_hash = ?, status = coalesce(nullif(?, ''), status) WHERE id = ?`,
				w.Data, hash, w.Status, -w.ID)
		default:
			_, err = tx.ExecContext(ctx, `INSERT INTO temp.dry (kind, application, key, ref, data, data_hash, status) VALUES (?, ?, ?, ?, ?, ?, '')
				ON CONFLICT DO UPDATE SET data = excluded.data, data_hash = excluded.data_hash`,
				string(w.Kind), w.Application, w.Key, w.ID, w.Data, hash)
			y.dryRows++
		}
		if err != nil {
			return fmt.Errorf("store: dry run: %s %q: %w", w.Kind, w.Key, err)
		}
	}
	return nil
}

// lookupDry lays this dry run's writes over Lookup's answer.
func (y *Sync) lookupDry(ctx context.Context, kind Kind, application string, keys string, out []Existing) error {
	rows, err := y.conn.QueryContext(ctx, `SELECT j.key, d.id, d.ref, d.data_hash, d.status = 'active'
		FROM json_each(?) j CROSS JOIN temp.dry d ON d.kind = ? AND d.application = ? AND d.key = j.value`, keys, string(kind), application)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var i, id, ref, hash int64
		var active bool
		if err := rows.Scan(&i, &id, &ref, &hash, &active); err != nil {
			return err
		}
		if i < 0 || i >= int64(len(out)) {
			return fmt.Errorf("key index %d out of range", i)
		}
		e := &out[i]
		if ref == 0 {
			*e = Existing{Found: true, ID: -id, Active: active, CreatedNow: true}
		}
		e.Hash, e.HasHash = hash, true
	}
	return rows.Err()
}

// lookupDataDry lays this dry run's writes over LookupData's answer.
func (y *Sync) lookupDataDry(ctx context.Context, kind Kind, ids []int64, out map[int64]string) error {
	js, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	rows, err := y.conn.QueryContext(ctx, `SELECT CASE WHEN ref = 0 THEN -id ELSE ref END AS rid, data FROM temp.dry
		WHERE kind = ? AND rid IN (SELECT value FROM json_each(?))`, string(kind), string(js))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var d string
		if err := rows.Scan(&id, &d); err != nil {
			return err
		}
		out[id] = d
	}
	return rows.Err()
}
