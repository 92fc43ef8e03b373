package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// StatusPlan is what the end of a complete fetch would change for one kind.
type StatusPlan struct {
	Active     int      // active records before the run (counted only when something would be deactivated)
	Deactivate int      // active records missing from the fetch or inactive at the source
	Reactivate int      // inactive records seen active
	Staged     []string // the first keys that would be deactivated, for the report

	// The seen bookkeeping the commit will do; zero means nothing to write.
	newlyMissing int // not seen now, seen by the previous success
	returning    int // seen now, not seen by the previous success
}

// stagedLimit bounds the keys a plan lists.
const stagedLimit = 50

// Scope names one kind of record the commit covers (for SaaS users, of
// one application).
type Scope struct {
	Kind        Kind
	Application string
	// KeepMissing: a record the fetch did not list keeps its status
	// (invoices, contracts) instead of being deactivated.
	KeepMissing bool
	// EndedBefore (a date, YYYY-MM-DD), with KeepMissing: a record the
	// fetch did not list whose data's "end" is before that date becomes
	// inactive all the same (a contract ends by its end date).
	EndedBefore string
}

// scope is the WHERE clause selecting one kind's records of the
// integration, with its arguments. Records this run created are left out:
// they were seen, need no status change and no seen bookkeeping.
func (y *Sync) scope(kind Kind, application string) (string, []any) {
	where, args := y.where(kind, application)
	return where + ` AND t.created_run IS NOT ?`, append(args, y.runNum)
}

type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Plan computes the status changes a complete fetch implies, without
// touching the store. The pages left in TEMP delta the listed records
// whose status or bookkeeping changes; Plan adds the records the fetch did
// not list (missing), which it scans the scope for only when the run saw
// fewer of its active records than the store keeps. The commit reuses the
// plan: the integration's lock keeps anyone else from changing these
// records in between.
func (y *Sync) Plan(ctx context.Context, kind Kind, application string) (StatusPlan, error) {
	return y.PlanScope(ctx, Scope{Kind: kind, Application: application})
}

// PlanScope is Plan for a scope with its own rule for missing records.
func (y *Sync) PlanScope(ctx context.Context, sc Scope) (StatusPlan, error) {
	p, err := y.plan(ctx, y.conn, sc)
	if err == nil {
		if y.plans == nil {
			y.plans = map[Scope]StatusPlan{}
		}
		y.plans[sc] = p
	}
	return p, err
}

func (y *Sync) plan(ctx context.Context, db querier, sc Scope) (StatusPlan, error) {
	var p StatusPlan
	kind, application := sc.Kind, sc.Application
	fail := func(err error) (StatusPlan, error) { return p, fmt.Errorf("store: plan %s: %w", kind, err) }
	active, err := y.missing(ctx, db, sc)
	if err != nil {
		return fail(err)
	}
	listed := y.listed()
	err = db.QueryRowContext(ctx, `SELECT
		coalesce(sum(status = 'active' AND seen_active = 0`+listed+`), 0),
		coalesce(sum(status = 'inactive' AND seen_active = 1`+listed+`), 0),
		coalesce(sum(seen = 0 AND seen_until_null = 1), 0),
		coalesce(sum(seen = 1 AND seen_until_null = 0), 0)
		FROM temp.delta WHERE kind = ? AND application = ?`, string(kind), application).
		Scan(&p.Deactivate, &p.Reactivate, &p.newlyMissing, &p.returning)
	if err != nil {
		return fail(err)
	}
	if p.Deactivate == 0 {
		return p, nil
	}
	// The guard's base: the active records before the run (kept).
	p.Active = active
	rows, err := db.QueryContext(ctx, fmt.Sprintf(`SELECT key FROM temp.delta WHERE kind = ? AND application = ? AND status = 'active' AND seen_active = 0`+listed+` ORDER BY key LIMIT %d`, stagedLimit),
		string(kind), application)
	if err != nil {
		return fail(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return fail(err)
		}
		p.Staged = append(p.Staged, k)
	}
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	return p, nil
}

// missingBatch is how many stored ids missing reads at a time.
var missingBatch = 10_000

// missing puts into TEMP delta the records of the scope the fetch did not
// list and whose status or bookkeeping that changes: active ones (to be
// deactivated, or in a scope that keeps its missing records, marked seen
// as they stand but for those ended before sc.EndedBefore), and inactive
// ones the latest success saw (seen_until NULL: their seen_until becomes
// that success). It returns the scope's active records before the run,
// this run's creations left out.
//
// Whether anybody active is missing is a comparison of counts: the
// scope's kept count (active_counts, exact in every transaction) less
// the active records this run created, against the distinct ids the run
// listed that were active in the store. Every other listing counts for
// nothing: a record listed twice is one id, a reactivated one was
// inactive, this run's creations have no id in the bitmap, and a
// record a failed run created (seen_until empty) is active and counted on
// both sides like any other. Only when the counts differ (or the scope
// keeps its missing records, which are few: invoices, contracts) is the
// scope scanned; otherwise the inactive records to mark unseen are read
// from their partial index (migration 11), which holds the few the latest
// success saw.
func (y *Sync) missing(ctx context.Context, db querier, sc Scope) (active int, err error) {
	kind, application := sc.Kind, sc.Application
	ks := y.kind(kind, application)
	kept, err := keptActive(ctx, db, y.integration, kind, application)
	if err != nil {
		return 0, err
	}
	active = kept - ks.createdActive
	where, args := y.scope(kind, application)
	table := kind.table()
	cond := ` AND (t.status = 'active' OR t.seen_until IS NULL)`
	from := table + ` t`
	if ks.activeSeen == active && !sc.KeepMissing {
		cond = ` AND t.status = 'inactive' AND t.seen_until IS NULL`
		from = table + ` t INDEXED BY ` + table + `_seen_inactive`
		ks.scanned = false
	} else {
		ks.scanned = true
	}
	// stays is whether a missing record is taken as listed active.
	stays, staysArgs := `0`, []any(nil)
	switch {
	case sc.KeepMissing && sc.EndedBefore != "":
		f, err := y.layouts.fieldSQL(ctx, db, "t", "end")
		if err != nil {
			return 0, err
		}
		stays = `(t.status = 'active' AND NOT (coalesce(` + f[0] + `, '') <> '' AND substr(` + f[0] + `, 1, 10) < ?))`
		staysArgs = []any{sc.EndedBefore}
	case sc.KeepMissing:
		stays = `(t.status = 'active')`
	}
	var ids []int64
	flush := func() error {
		if len(ids) == 0 {
			return nil
		}
		js, err := json.Marshal(ids)
		if err != nil {
			return err
		}
		ids = ids[:0]
		_, err = db.ExecContext(ctx, `INSERT OR REPLACE INTO temp.delta (kind, id, application, key, status, seen, seen_active, seen_until_null)
			SELECT ?, t.id, ?, t.key, t.status, 0, `+stays+`, t.seen_until IS NULL FROM `+table+` t WHERE t.id IN (SELECT value FROM json_each(?))`,
			append([]any{string(kind), application}, append(staysArgs, string(js))...)...)
		return err
	}
	// One pass; the ids found go to TEMP delta in batches while the scan
	// goes on (same connection, another table): even a source that lost
	// every user costs a bounded list here.
	var size int64 // a scan's guess of the scope's records: its active ones
	if ks.scanned {
		size = int64(kept)
	}
	err = y.eachID(ctx, db, from, where+cond, args, size, func(id int64) error {
		if !ks.seen.has(id) {
			if ids = append(ids, id); len(ids) == missingBatch {
				return flush()
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return active, flush()
}

// scanChunk is how many rowids eachID reads a query when it walks the
// table (a variable for the tests).
var scanChunk int64 = 1 << 16

// eachID calls fn with the id of every record of from (alias t) meeting
// where. A scope of size records that fills a good part of its table
// (wide) is read by walking the table in rowid chunks, each chunk's ids
// coming back as one text: the pure-Go driver costs about a microsecond a
// row, which was most of a 1,000,000-record scan. Otherwise, through the
// key index, a row an id.
func (y *Sync) eachID(ctx context.Context, db querier, from, where string, args []any, size int64, fn func(int64) error) error {
	var maxID int64
	wide := false
	if size > 0 {
		if err := db.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM `+strings.Fields(from)[0]).Scan(&maxID); err != nil {
			return err
		}
		wide = size*4 >= maxID
	}
	if !wide {
		rows, err := db.QueryContext(ctx, `SELECT t.id FROM `+from+` WHERE `+where, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			if err := fn(id); err != nil {
				return err
			}
		}
		return rows.Err()
	}
	// The unary + keeps SQLite on the rowid range, off the key index.
	q := `SELECT group_concat(t.id) FROM ` + from + ` WHERE t.id > ? AND t.id <= ? AND ` + strings.Replace(where, "t.integration = ?", "+t.integration = ?", 1)
	for lo := int64(0); lo < maxID; lo += scanChunk {
		var list sql.NullString
		if err := db.QueryRowContext(ctx, q, append([]any{lo, lo + scanChunk}, args...)...).Scan(&list); err != nil {
			return err
		}
		for s := list.String; s != ""; {
			var field string
			field, s, _ = strings.Cut(s, ",")
			id, err := strconv.ParseInt(field, 10, 64)
			if err != nil {
				return fmt.Errorf("scan answer: %w", err)
			}
			if err := fn(id); err != nil {
				return err
			}
		}
	}
	return nil
}

// Commit ends a successful run in one transaction: when applyStatus, the
// deactivations and reactivations the fetch implies (with their history);
// the seen bookkeeping behind $sync_time; and the run row itself.
// prevSuccess is the id of the integration's previous successful run ("" if none).
func (y *Sync) Commit(ctx context.Context, run Run, prevSuccess string, scopes []Scope, applyStatus bool) error {
	if y.dryRun {
		return fmt.Errorf("store: commit of dry run %s", y.runID)
	}
	tx, err := y.conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: commit run %s: %w", y.runID, err)
	}
	defer tx.Rollback()
	now := time.Now()
	for _, sc := range scopes {
		if err := y.commitScope(ctx, tx, sc, prevSuccess, now, applyStatus); err != nil {
			return fmt.Errorf("store: commit run %s: %s: %w", y.runID, sc.Kind, err)
		}
	}
	if err := finishRun(ctx, tx, run); err != nil {
		return err
	}
	if err := queue(ctx, tx, y.integration, y.runID, y.deliverTo, time.Now()); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit run %s: %w", y.runID, err)
	}
	return nil
}

// commitScope applies one scope's plan; every statement works on the few
// keys in the delta table, found through the primary key.
func (y *Sync) commitScope(ctx context.Context, tx *sql.Tx, sc Scope, prevSuccess string, t time.Time, applyStatus bool) error {
	now, ms := timeText(t), t.UnixMilli() // the history's time, the records'
	p, ok := y.plans[sc]
	if !ok {
		var err error
		if p, err = y.plan(ctx, tx, sc); err != nil {
			return err
		}
	}
	table := sc.Kind.table()
	// The delta's ids meeting cond, found through the primary key; and
	// how many rows changed.
	update := func(set string, setArgs []any, cond string, also string) (int64, error) {
		args := append(append([]any{}, setArgs...), string(sc.Kind), sc.Application)
		res, err := tx.ExecContext(ctx, `UPDATE `+table+` SET `+set+` WHERE id IN (SELECT id FROM temp.delta WHERE kind = ? AND application = ? AND `+cond+`)`+also, args...)
		if err != nil {
			return 0, err
		}
		return res.RowsAffected()
	}
	hist := func(cond, old, new string) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO changes (run_id, integration, kind, application, key, field, old, new, at)
			SELECT ?, ?, kind, application, key, 'status', ?, ?, ? FROM temp.delta WHERE kind = ? AND application = ? AND `+cond+` ORDER BY key`,
			y.runID, y.integration, old, new, now, string(sc.Kind), sc.Application)
		return err
	}
	deact, react := `status = 'active' AND seen_active = 0`+y.listed(), `status = 'inactive' AND seen_active = 1`+y.listed()
	if applyStatus && p.Deactivate > 0 {
		if err := hist(deact, Active, Inactive); err != nil {
			return fmt.Errorf("deactivation history: %w", err)
		}
		// The rows that were active are the ones the count loses.
		n, err := update(`status = 'inactive', deactivated_at = ?, updated_at = ?`, []any{ms, ms}, deact, ` AND status = 'active'`)
		if err == nil {
			err = addActive(ctx, tx, y.integration, sc.Kind, sc.Application, -int(n))
		}
		if err != nil {
			return fmt.Errorf("deactivate: %w", err)
		}
	}
	if applyStatus && p.Reactivate > 0 {
		if err := hist(react, Inactive, Active); err != nil {
			return fmt.Errorf("reactivation history: %w", err)
		}
		n, err := update(`status = 'active', deactivated_at = NULL, updated_at = ?`, []any{ms}, react, ` AND status = 'inactive'`)
		if err == nil {
			err = addActive(ctx, tx, y.integration, sc.Kind, sc.Application, int(n))
		}
		if err != nil {
			return fmt.Errorf("reactivate: %w", err)
		}
	}
	// Records this run did not see were last seen by the previous success.
	if p.newlyMissing > 0 {
		if _, err := update(`seen_until = ?`, []any{prevSuccess}, `seen = 0 AND seen_until_null = 1`, ``); err != nil {
			return fmt.Errorf("seen bookkeeping: %w", err)
		}
	}
	if p.returning > 0 {
		if _, err := update(`seen_until = NULL`, nil, `seen = 1 AND seen_until_null = 0`, ``); err != nil {
			return fmt.Errorf("seen bookkeeping: %w", err)
		}
	}
	return nil
}
