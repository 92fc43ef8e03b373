package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

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

// write applies a page's writes and returns the records created per kind.
func (y *Sync) write(ctx context.Context, tx *sql.Tx, writes []Write) (map[Kind]int, error) {
	now := timeText(time.Now())
	var saas, changes []any
	rows := map[Kind][]any{} // creations of the kinds shaped like people, by kind
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
				rows[w.Kind] = append(rows[w.Kind], w.Key, w.Data, DataHash([]byte(w.Data)), w.Status, deact)
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
	for _, k := range Kinds {
		if k == SaaSUser {
			continue
		}
		err := create(k, multiInsert{
			into:   `INSERT INTO ` + k.table() + ` (integration, created_run, created_at, key, data, data_hash, status, deactivated_at)`,
			consts: consts, cols: 5,
		}, rows[k])
		if err != nil {
			return nil, err
		}
	}
	err := create(SaaSUser, multiInsert{
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
