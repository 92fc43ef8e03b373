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
	var created, createdActive map[Scope]int
	// The layouts this transaction adds: known to the store once it
	// commits, forgotten by the packer if it does not.
	pending := map[string]int64{}
	committed := false
	defer func() {
		if !committed && len(pending) > 0 {
			y.lastLayout = nil
		}
	}()
	switch {
	case len(writes) == 0:
	case y.dryRun:
		if err := y.writeDry(ctx, tx, writes); err != nil {
			return err
		}
	default:
		if created, createdActive, err = y.write(ctx, tx, writes, pending); err != nil {
			return err
		}
	}
	if err := y.markSeen(ctx, tx, seen); err != nil {
		return fmt.Errorf("store: mark seen: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: apply page: %w", err)
	}
	committed = true
	y.layouts.learn(pending)
	for sc, n := range created {
		y.kind(sc.Kind, sc.Application).created += n
	}
	for sc, n := range createdActive {
		y.kind(sc.Kind, sc.Application).createdActive += n
	}
	var ks *kindState
	var last Scope
	for _, s := range seen {
		if s.Existing.CreatedNow {
			continue
		}
		if ks == nil || s.Kind != last.Kind || s.Application != last.Application {
			last = Scope{Kind: s.Kind, Application: s.Application}
			ks = y.kind(s.Kind, s.Application)
		}
		// Distinct ids, active in the store (not at the source: a
		// reactivation is no active record listed): see Sync.missing.
		if !ks.seen.add(s.Existing.ID) && s.Existing.Active {
			ks.activeSeen++
		}
	}
	return nil
}

// write applies a page's writes and returns, per scope, the records
// created and the change in how many of this run's creations are active.
// The scopes' counts of active records change with them (counts.go).
func (y *Sync) write(ctx context.Context, tx *sql.Tx, writes []Write, pending map[string]int64) (created, createdActive map[Scope]int, err error) {
	t := time.Now()
	now, ms := timeText(t), t.UnixMilli() // the history's time, the records'
	active := map[Scope]int{}             // per scope, the change in active records
	var people, changes []any
	// The creations of the other scopes (SaaS users by application, the
	// SaaS discovery kinds), in the order they first come.
	var others map[Scope][]any
	var order []Scope
	var upd map[Kind]*sql.Stmt
	defer func() {
		for _, st := range upd {
			st.Close()
		}
	}()
	for i, w := range writes {
		for _, c := range w.Changes {
			changes = append(changes, string(w.Kind), w.Application, w.Key, c.Field, nullable(c.Old), nullable(c.New))
		}
		layout, data, err := y.pack(ctx, tx, w, pending)
		if err != nil {
			return nil, nil, err
		}
		if w.Create {
			// The status as an integer (createSel makes it the text, and
			// the deactivation time of an inactive one): a text bound is
			// a copy, an integer is not.
			act := w.Status == Active
			if !act && w.Status != Inactive {
				return nil, nil, fmt.Errorf("store: create %s %q: status %q", w.Kind, w.Key, w.Status)
			}
			// seen_until NULL: seen by the latest success, which this run
			// becomes; if it fails, FinishRun marks its creations unseen.
			switch w.Kind {
			case Person:
				if people == nil {
					// Room for the rest of the page: a first sync creates them all.
					people = make([]any, 0, 5*(len(writes)-i))
				}
				people = append(people, w.Key, layout, data, w.hash(), act)
			case SaaSUser:
				sc := y.other(&others, &order, w.Kind, w.Application)
				others[sc] = append(others[sc], w.Application, w.Key, layout, data, w.hash(), act)
			default:
				sc := y.other(&others, &order, w.Kind, "")
				others[sc] = append(others[sc], w.Key, layout, data, w.hash(), act)
			}
			// The transaction rolls back on any failure, ErrNotFresh included.
			if w.Status == Active {
				active[Scope{Kind: w.Kind, Application: w.Application}]++
			}
			continue
		}
		if upd == nil {
			upd = map[Kind]*sql.Stmt{}
		}
		st := upd[w.Kind]
		if st == nil {
			var err error
			if st, err = tx.PrepareContext(ctx, `UPDATE `+w.Kind.table()+` SET layout = ?, data = ?, data_hash = ?, updated_at = ? WHERE id = ?`); err != nil {
				return nil, nil, fmt.Errorf("store: update %s: %w", w.Kind, err)
			}
			upd[w.Kind] = st
		}
		if _, err := st.ExecContext(ctx, layout, data, w.hash(), ms, w.ID); err != nil {
			return nil, nil, fmt.Errorf("store: update %s %q: %w", w.Kind, w.Key, err)
		}
		if w.Status != "" {
			// Only for a record this run created and the source listed
			// again with another status (the run's end leaves it alone).
			// A row whose status really changed moves the count.
			res, err := tx.ExecContext(ctx, `UPDATE `+w.Kind.table()+` SET status = ?, deactivated_at = CASE WHEN ? = 'inactive' THEN ? END WHERE id = ? AND status <> ?`,
				w.Status, w.Status, ms, w.ID, w.Status)
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
				active[Scope{Kind: w.Kind, Application: w.Application}] += d
			}
		}
	}
	created = map[Scope]int{}
	create := func(sc Scope, r multiInsert, args []any) error {
		if len(args) == 0 {
			return nil
		}
		// Without lookups (fresh), a key this run already created is not
		// inserted again: the short count says so (ErrNotFresh), the
		// transaction is rolled back, and the page is diffed with lookups.
		ks := y.kind(sc.Kind, sc.Application)
		if ks.fresh {
			r.tail = " ON CONFLICT DO NOTHING"
		}
		n, err := r.insert(ctx, tx, args)
		if err != nil {
			return fmt.Errorf("store: create %s: %w", sc.Kind, err)
		}
		if want := int64(len(args) / r.cols); n != want {
			ks.fresh = false
			return ErrNotFresh
		}
		created[sc] = int(n)
		return nil
	}
	consts := []any{y.integration, y.runNum, ms}
	err = create(Scope{Kind: Person}, multiInsert{
		into:   `INSERT INTO people (integration, created_run, created_at, key, layout, data, data_hash, status, deactivated_at)`,
		consts: consts, cols: 5, cache: y.stmts, sel: createSel(5),
	}, people)
	if err != nil {
		return nil, nil, err
	}
	for _, sc := range order {
		r := multiInsert{
			into:   `INSERT INTO ` + sc.Kind.table() + ` (integration, created_run, created_at, key, layout, data, data_hash, status, deactivated_at)`,
			consts: consts, cols: 5, cache: y.stmts, sel: createSel(5),
		}
		if sc.Kind == SaaSUser {
			r.into, r.cols, r.sel = `INSERT INTO saas_users (integration, created_run, created_at, application, key, layout, data, data_hash, status, deactivated_at)`, 6, createSel(6)
		}
		if err := create(sc, r, others[sc]); err != nil {
			return nil, nil, err
		}
	}
	_, err = multiInsert{
		into:   `INSERT INTO changes (integration, run_id, at, kind, application, key, field, old, new)`,
		consts: []any{y.integration, y.runID, now}, cols: 6, cache: y.stmts,
	}.insert(ctx, tx, changes)
	if err != nil {
		return nil, nil, fmt.Errorf("store: change history: %w", err)
	}
	createdActive = map[Scope]int{}
	for sc, n := range active {
		if err := addActive(ctx, tx, y.integration, sc.Kind, sc.Application, n); err != nil {
			return nil, nil, err
		}
		createdActive[sc] += n
	}
	return created, createdActive, nil
}

// other is the scope of a creation that is not a person's, noted in order
// the first time.
func (y *Sync) other(m *map[Scope][]any, order *[]Scope, kind Kind, application string) Scope {
	sc := Scope{Kind: kind, Application: application}
	if *m == nil {
		*m = map[Scope][]any{}
	}
	if _, ok := (*m)[sc]; !ok {
		*order = append(*order, sc)
		(*m)[sc] = nil
	}
	return sc
}

// hash is the Write's DataHash, computed when the caller left it out.
func (w *Write) hash() int64 {
	if w.Hash != 0 {
		return w.Hash
	}
	return DataHash(w.Data)
}

// pack is a write's data as stored: its layout and its values (layout.go),
// packed by the engine already or here.
func (y *Sync) pack(ctx context.Context, tx *sql.Tx, w Write, pending map[string]int64) (int64, string, error) {
	pk := w.Packed
	if pk.l == nil {
		if pk = y.packer.Pack([]byte(w.Data), w.Key); pk.l == nil {
			return rawLayout, w.Data, nil
		}
	}
	if pk.l == y.lastLayout {
		return y.lastLayoutID, pk.data, nil
	}
	id, err := y.layouts.id(ctx, tx, pk.l, pending)
	if err != nil {
		return 0, "", err
	}
	y.lastLayout, y.lastLayoutID = pk.l, id
	return id, pk.data, nil
}

// createSel is what a creation's row of cols values becomes: the values
// as they are but the last, whether it is active, which gives the status
// and, for an inactive one, its deactivation time (the creation's: const
// {2}).
func createSel(cols int) []string {
	var sel []string
	for i := 1; i < cols; i++ {
		sel = append(sel, fmt.Sprintf("column%d", i))
	}
	last := fmt.Sprintf("column%d", cols)
	return append(sel, `CASE `+last+` WHEN 1 THEN '`+Active+`' ELSE '`+Inactive+`' END`, `CASE `+last+` WHEN 1 THEN NULL ELSE {2} END`)
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
	var ks *kindState
	var last Scope
	for _, s := range seen {
		e := s.Existing
		if e.CreatedNow {
			continue
		}
		if ks == nil || s.Kind != last.Kind || s.Application != last.Application {
			last = Scope{Kind: s.Kind, Application: s.Application}
			ks = y.kind(s.Kind, s.Application)
		}
		if e.Active == s.Active && e.Seen && !ks.seen.has(e.ID) {
			continue
		}
		marks = append(marks, string(s.Kind), e.ID, s.Application, s.Key, StatusOf(e.Active), 1, s.Active, e.Seen)
	}
	_, err := multiInsert{
		into: `INSERT OR REPLACE INTO temp.delta (kind, id, application, key, status, seen, seen_active, seen_until_null)`,
		cols: 8, // not cached: TEMP is the connection's own

	}.insert(ctx, tx, marks)
	return err
}
