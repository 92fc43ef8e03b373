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
	var created, createdActive map[Kind]int
	switch {
	case len(writes) == 0:
	case y.dryRun:
		if err := y.writeDry(ctx, tx, writes); err != nil {
			return err
		}
	default:
		if created, createdActive, err = y.write(ctx, tx, writes); err != nil {
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
	for k, n := range createdActive {
		y.kind(k).createdActive += n
	}
	for _, s := range seen {
		if s.Existing.CreatedNow {
			continue
		}
		// Distinct ids, active in the store (not at the source: a
		// reactivation is no active record listed): see Sync.missing.
		ks := y.kind(s.Kind)
		if !ks.seen.add(s.Existing.ID) && s.Existing.Active {
			ks.activeSeen++
		}
	}
	return nil
}

// write applies a page's writes and returns, per kind, the records
// created and the change in how many of this run's creations are active.
// The scopes' counts of active records change with them (counts.go).
func (y *Sync) write(ctx context.Context, tx *sql.Tx, writes []Write) (created, createdActive map[Kind]int, err error) {
	now := timeText(time.Now())
	type scope struct {
		kind Kind
		app  string
	}
	active := map[scope]int{} // per scope, the change in active records
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
			// Counted by the table the row goes to (people for every kind
			// but SaaS users, below); the transaction rolls back on any
			// failure, ErrNotFresh included.
			if w.Kind == SaaSUser {
				saas = append(saas, w.Application, w.Key, w.Data, DataHash([]byte(w.Data)), w.Status, deact)
			} else {
				people = append(people, w.Key, w.Data, DataHash([]byte(w.Data)), w.Status, deact)
			}
			if w.Status == Active {
				k, app := Person, ""
				if w.Kind == SaaSUser {
					k, app = SaaSUser, w.Application
				}
				active[scope{k, app}]++
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
				return nil, nil, fmt.Errorf("store: update %s: %w", w.Kind, err)
			}
			upd[w.Kind] = st
		}
		if _, err := st.ExecContext(ctx, w.Data, DataHash([]byte(w.Data)), now, w.ID); err != nil {
			return nil, nil, fmt.Errorf("store: update %s %q: %w", w.Kind, w.Key, err)
		}
		if w.Status != "" {
			// Only for a record this run created and the source listed
			// again with another status (the run's end leaves it alone).
			// A row whose status really changed moves the count.
			res, err := tx.ExecContext(ctx, `UPDATE `+w.Kind.table()+` SET status = ?, deactivated_at = CASE WHEN ? = 'inactive' THEN ? END WHERE id = ? AND status <> ?`,
				w.Status, w.Status, now, w.ID, w.Status)
			if err != nil {
				return nil, nil, fmt.Errorf("store: update %s %q: %w", w.Kind, w.Key, err)
			}
			if n, err := res.RowsAffected(); err != nil {
				return nil, nil, fmt.Errorf("store: update %s %q: %w", w.Kind, w.Key, err)
			} else if n > 0 {
				d := 1
				if w.Status != Active {
					d = -1
				}
				active[scope{w.Kind, w.Application}] += d
			}
		}
	}
	created = map[Kind]int{}
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
	err = create(Person, multiInsert{
		into:   `INSERT INTO people (integration, created_run, created_at, key, data, data_hash, status, deactivated_at)`,
		consts: consts, cols: 5,
	}, people)
	if err != nil {
		return nil, nil, err
	}
	err = create(SaaSUser, multiInsert{
		into:   `INSERT INTO saas_users (integration, created_run, created_at, application, key, data, data_hash, status, deactivated_at)`,
		consts: consts, cols: 6,
	}, saas)
	if err != nil {
		return nil, nil, err
	}
	_, err = multiInsert{
		into:   `INSERT INTO changes (integration, run_id, at, kind, application, key, field, old, new)`,
		consts: consts, cols: 6,
	}.insert(ctx, tx, changes)
	if err != nil {
		return nil, nil, fmt.Errorf("store: change history: %w", err)
	}
	createdActive = map[Kind]int{}
	for sc, n := range active {
		if err := addActive(ctx, tx, y.integration, sc.kind, sc.app, n); err != nil {
			return nil, nil, err
		}
		createdActive[sc.kind] += n
	}
	return created, createdActive, nil
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
