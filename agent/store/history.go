package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// The pages of the status page: bounded reads, a page at a time, each
// through an index or a rowid range, whatever the store holds.

// HistoryCursor is where a page of a run's history ended: the part
// (0 its people created, 1 its SaaS users created, 2 its changes) and
// the last id read in it. The zero value is the start.
type HistoryCursor struct {
	Part int
	ID   int64
}

// historyParts are the three parts of a run's history, in the order they
// are read, each selecting Change's columns from one table by rowid
// range: ?1 the run, ?2 and ?3 the range, ?4 the limit, ?5 the run's num
// (which its records name).
var historyParts = [3]string{
	`SELECT ?1, 'person', '', key, '', '', 'created', ` + textSQL("created_at") + `, 0, id
		FROM people WHERE id > ?2 AND id <= ?3 AND created_run = ?5 ORDER BY id LIMIT ?4`,
	`SELECT ?1, 'saas_user', application, key, '', '', 'created', ` + textSQL("created_at") + `, 1, id
		FROM saas_users WHERE id > ?2 AND id <= ?3 AND created_run = ?5 ORDER BY id LIMIT ?4`,
	`SELECT run_id, kind, application, key, field, coalesce(old, ''), coalesce(new, ''), at, 2, id
		FROM changes WHERE id > ?2 AND id <= ?3 AND run_id = ?1 AND ?5 IS ?5 ORDER BY id LIMIT ?4`,
}

// RunHistory returns a page of one run's history after the cursor: the
// records it created (field "", new "created"), then its changes, in the
// order they were written, at most limit of them, the cursor of the
// page's end, and whether more follow. It reads the rowid ranges the run
// recorded (migration 8) from the cursor on, never the whole history nor
// an offset's worth of rows: what other runs wrote meanwhile is skipped,
// nothing else is read. ErrNotFound when there is no such run.
func (s *Store) RunHistory(ctx context.Context, runID string, after HistoryCursor, limit int) ([]Change, HistoryCursor, bool, error) {
	fail := func(err error) ([]Change, HistoryCursor, bool, error) {
		return nil, after, false, fmt.Errorf("store: history of run %s: %w", runID, err)
	}
	var from, to [3]sql.NullInt64
	var num sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT from_person, from_saas, from_change, to_person, to_saas, to_change, num FROM runs WHERE id = ?`, runID).
		Scan(&from[0], &from[1], &from[2], &to[0], &to[1], &to[2], &num)
	if errors.Is(err, sql.ErrNoRows) {
		return fail(ErrNotFound)
	}
	if err != nil {
		return fail(err)
	}
	type row struct {
		c    Change
		part int
		id   int64
	}
	var out []row
	for part := max(after.Part, 0); part < len(historyParts) && len(out) <= limit; part++ {
		lo, hi := from[part].Int64, int64(1<<63-1) // a run still going has no end yet
		if to[part].Valid {
			hi = to[part].Int64
		}
		if part == after.Part {
			lo = max(lo, after.ID)
		}
		rows, err := collect(ctx, s.db, "history of run "+runID, func(r rowScanner) (row, error) {
			var x row
			var at string
			err := r.Scan(&x.c.RunID, &x.c.Kind, &x.c.Application, &x.c.Key, &x.c.Field, &x.c.Old, &x.c.New, &at, &x.part, &x.id)
			x.c.At = parseTime(sql.NullString{String: at, Valid: true})
			return x, err
		}, historyParts[part], runID, lo, hi, limit+1-len(out), num)
		if err != nil {
			return nil, after, false, err
		}
		out = append(out, rows...)
	}
	more := len(out) > limit
	out = out[:min(len(out), limit)]
	cs := make([]Change, len(out))
	next := after
	for i, x := range out {
		cs[i] = x.c
		next = HistoryCursor{Part: x.part, ID: x.id}
	}
	return cs, next, more, nil
}

// RunsPage lists the integration's runs newest first, offset runs skipped,
// at most limit, through runs_by_integration.
func (s *Store) RunsPage(ctx context.Context, integration string, limit, offset int) ([]Run, error) {
	return s.queryRuns(ctx, "runs of "+integration, `SELECT `+runColumns+` FROM runs WHERE integration = ?
		ORDER BY started_at DESC, id DESC LIMIT ? OFFSET ?`, integration, limit, offset)
}

// NotificationsPage lists the inbox newest first, offset messages skipped,
// at most limit.
func (s *Store) NotificationsPage(ctx context.Context, limit, offset int) ([]Notification, error) {
	return s.queryNotifications(ctx, "notifications", `SELECT `+notificationColumns+` FROM notifications
		ORDER BY id DESC LIMIT ? OFFSET ?`, limit, offset)
}
