package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// ScheduledSince records that the service runs integration on the schedule
// spec and returns since when: the first time it was recorded with this
// spec (a changed spec starts again at now). A scheduled time before that
// was never the service's to run, so it cannot have been missed.
func (s *Store) ScheduledSince(ctx context.Context, integration, spec string, now time.Time) (time.Time, error) {
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO schedules (integration, spec, since) VALUES (?, ?, ?)
		ON CONFLICT (integration) DO UPDATE SET spec = excluded.spec, since = excluded.since WHERE schedules.spec <> excluded.spec`,
		integration, spec, timeText(now))
	if err != nil {
		return time.Time{}, fmt.Errorf("store: schedule of %s: %w", integration, err)
	}
	var since string
	if err := s.db.QueryRowContext(ctx, `SELECT since FROM schedules WHERE integration = ?`, integration).Scan(&since); err != nil {
		return time.Time{}, fmt.Errorf("store: schedule of %s: %w", integration, err)
	}
	return parseTime(sql.NullString{String: since, Valid: true}), nil
}

// RunningRuns lists the runs recorded as running, oldest first: runs in
// progress, or left by a process that died (see FailInterrupted).
func (s *Store) RunningRuns(ctx context.Context) ([]Run, error) {
	return s.queryRuns(ctx, "running runs", `SELECT `+runColumns+` FROM runs WHERE outcome = ? ORDER BY started_at, id`, OutcomeRunning)
}
