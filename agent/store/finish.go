package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// StatusPlan is what the end of a complete fetch would change for one kind.
type StatusPlan struct {
	Active     int      // active records before the change
	Deactivate int      // active records missing from the fetch or inactive at the source
	Reactivate int      // inactive records seen active
	Staged     []string // the first keys that would be deactivated, for the report

	// The seen bookkeeping the commit will do; zero means nothing to write.
	newlyMissing int // not seen now, seen by the previous success
	returning    int // seen now, not seen by the previous success
}

// stagedLimit bounds the keys a plan lists.
const stagedLimit = 50

// scope is the WHERE clause selecting one kind's records of the
// integration, with its arguments.
// Records this run created are left out: they were seen, need no status
// change and no seen bookkeeping, and are not marked in the seen table.
func (y *Sync) scope(kind Kind, application string) (string, []any) {
	if kind == SaaSUser {
		return `t.integration = ? AND t.application = ? AND coalesce(t.created_run, '') <> ?`, []any{y.integration, application, y.runID}
	}
	return `t.integration = ? AND coalesce(t.created_run, '') <> ?`, []any{y.integration, y.runID}
}

// The seen-table joins; t is the target table's alias.
const (
	seenActive = `EXISTS (SELECT 1 FROM temp.seen s WHERE s.kind = ? AND s.application = ? AND s.key = t.key AND s.active = 1)`
	seenAny    = `EXISTS (SELECT 1 FROM temp.seen s WHERE s.kind = ? AND s.application = ? AND s.key = t.key)`
)

// Plan computes the status changes a complete fetch implies, in one scan
// of the integration's records, without writing anything.
// The commit reuses it: the integration's lock keeps anyone else from
// changing these records in between.
func (y *Sync) Plan(ctx context.Context, kind Kind, application string) (StatusPlan, error) {
	p, err := y.plan(ctx, y.conn, kind, application)
	if err == nil {
		if y.plans == nil {
			y.plans = map[Scope]StatusPlan{}
		}
		y.plans[Scope{kind, application}] = p
	}
	return p, err
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (y *Sync) plan(ctx context.Context, db querier, kind Kind, application string) (StatusPlan, error) {
	var p StatusPlan
	where, args := y.scope(kind, application)
	// LEFT JOIN on the seen table's primary key: one probe per record.
	q := `SELECT
		coalesce(sum(t.status = 'active'), 0),
		coalesce(sum(t.status = 'active' AND coalesce(s.active, 0) = 0), 0),
		coalesce(sum(t.status = 'inactive' AND s.active = 1), 0),
		coalesce(sum(s.key IS NULL AND t.seen_until IS NULL), 0),
		coalesce(sum(s.key IS NOT NULL AND t.seen_until IS NOT NULL), 0)
		FROM ` + kind.table() + ` t LEFT JOIN temp.seen s ON s.kind = ? AND s.application = ? AND s.key = t.key
		WHERE ` + where
	all := append([]any{string(kind), application}, args...)
	if err := db.QueryRowContext(ctx, q, all...).Scan(&p.Active, &p.Deactivate, &p.Reactivate, &p.newlyMissing, &p.returning); err != nil {
		return p, fmt.Errorf("store: plan %s: %w", kind, err)
	}
	if p.Deactivate > 0 {
		args = append(args, string(kind), application)
		rows, err := db.QueryContext(ctx, fmt.Sprintf(`SELECT t.key FROM %s t WHERE %s AND t.status = 'active' AND NOT %s ORDER BY t.key LIMIT %d`,
			kind.table(), where, seenActive, stagedLimit), args...)
		if err != nil {
			return p, fmt.Errorf("store: plan %s: %w", kind, err)
		}
		defer rows.Close()
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				return p, fmt.Errorf("store: plan %s: %w", kind, err)
			}
			p.Staged = append(p.Staged, k)
		}
		if err := rows.Err(); err != nil {
			return p, fmt.Errorf("store: plan %s: %w", kind, err)
		}
	}
	return p, nil
}

// Scope names one kind of record the commit covers.
type Scope struct {
	Kind        Kind
	Application string
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
	now := timeText(time.Now())
	for _, sc := range scopes {
		if err := y.commitScope(ctx, tx, sc, prevSuccess, now, applyStatus); err != nil {
			return fmt.Errorf("store: commit run %s: %s: %w", y.runID, sc.Kind, err)
		}
	}
	if err := finishRun(ctx, tx, run); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit run %s: %w", y.runID, err)
	}
	return nil
}

func (y *Sync) commitScope(ctx context.Context, tx *sql.Tx, sc Scope, prevSuccess, now string, applyStatus bool) error {
	p, ok := y.plans[sc]
	if !ok {
		var err error
		if p, err = y.plan(ctx, tx, sc.Kind, sc.Application); err != nil {
			return err
		}
	}
	table := sc.Kind.table()
	where, args := y.scope(sc.Kind, sc.Application)
	seenArgs := []any{string(sc.Kind), sc.Application}
	exec := func(q string, pre ...any) error {
		all := append(append(append([]any{}, pre...), args...), seenArgs...)
		_, err := tx.ExecContext(ctx, q, all...)
		return err
	}
	hist := func(cond, old, new string) error {
		return exec(`INSERT INTO changes (run_id, integration, kind, application, key, field, old, new, at)
			SELECT ?, t.integration, ?, ?, t.key, 'status', ?, ?, ? FROM `+table+` t WHERE `+where+` AND `+cond,
			y.runID, string(sc.Kind), sc.Application, old, new, now)
	}
	if applyStatus && p.Deactivate > 0 {
		deact := `t.status = 'active' AND NOT ` + seenActive
		if err := hist(deact, Active, Inactive); err != nil {
			return fmt.Errorf("deactivation history: %w", err)
		}
		if err := exec(`UPDATE `+table+` AS t SET status = 'inactive', deactivated_at = ?, updated_at = ? WHERE `+where+` AND `+deact, now, now); err != nil {
			return fmt.Errorf("deactivate: %w", err)
		}
	}
	if applyStatus && p.Reactivate > 0 {
		react := `t.status = 'inactive' AND ` + seenActive
		if err := hist(react, Inactive, Active); err != nil {
			return fmt.Errorf("reactivation history: %w", err)
		}
		if err := exec(`UPDATE `+table+` AS t SET status = 'active', deactivated_at = NULL, updated_at = ? WHERE `+where+` AND `+react, now); err != nil {
			return fmt.Errorf("reactivate: %w", err)
		}
	}
	// Records this run did not see were last seen by the previous success.
	if p.newlyMissing > 0 {
		if err := exec(`UPDATE `+table+` AS t SET seen_until = ? WHERE `+where+` AND t.seen_until IS NULL AND NOT `+seenAny, prevSuccess); err != nil {
			return fmt.Errorf("seen bookkeeping: %w", err)
		}
	}
	if p.returning > 0 {
		if err := exec(`UPDATE ` + table + ` AS t SET seen_until = NULL WHERE ` + where + ` AND t.seen_until IS NOT NULL AND ` + seenAny); err != nil {
			return fmt.Errorf("seen bookkeeping: %w", err)
		}
	}
	return nil
}
