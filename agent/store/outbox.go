package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// The destinations' queue. What a destination still has to be given of an
// integration is, per kind of id, the range (acked, queued]: changes of
// the history, and creations of people and SaaS users (a creation writes
// no history row). A successful run moves queued to the ids' current ends
// in the transaction that records it, so a change applied is a change
// queued, whatever happens next; a delivery moves acked once the
// destination acknowledged. Ids only grow, and no record is ever deleted,
// so the ranges never lose a change and cost nothing per record.

// Marks are positions in the three id sequences.
type Marks struct {
	Change int64 // changes.id
	Person int64 // people.id
	SaaS   int64 // saas_users.id
}

// DeliveryState is one destination's queue for one integration.
type DeliveryState struct {
	Destination, Integration string
	// Snapshot: the next delivery sends every record first (the first
	// delivery, or `agent deliver --full`).
	Snapshot        bool
	Queued, Acked   Marks
	QueuedRun       string // the latest run that queued
	QueuedAt        time.Time
	LastDeliveredAt time.Time
	LastError       string
	FailingSince    time.Time // zero while the last attempt succeeded
}

// Pending reports whether anything is queued and not acknowledged.
func (d DeliveryState) Pending() bool {
	return d.Snapshot || d.Queued.Change > d.Acked.Change || d.Queued.Person > d.Acked.Person || d.Queued.SaaS > d.Acked.SaaS
}

// queueSQL moves a pair's queued marks to the ids' current ends; a new
// pair starts with a snapshot.
const queueSQL = `INSERT INTO deliveries (destination, integration, queued_change, queued_person, queued_saas, queued_run, queued_at)
	SELECT ?, ?, (SELECT coalesce(max(id), 0) FROM changes), (SELECT coalesce(max(id), 0) FROM people),
		(SELECT coalesce(max(id), 0) FROM saas_users), ?, ? WHERE true
	ON CONFLICT (destination, integration) DO UPDATE SET queued_change = excluded.queued_change,
		queued_person = excluded.queued_person, queued_saas = excluded.queued_saas,
		queued_run = excluded.queued_run, queued_at = excluded.queued_at`

func queue(ctx context.Context, db querier, integration, runID string, destinations []string, at time.Time) error {
	for _, d := range destinations {
		if _, err := db.ExecContext(ctx, queueSQL, d, integration, runID, timeText(at)); err != nil {
			return fmt.Errorf("store: queue %s for destination %s: %w", integration, d, err)
		}
	}
	return nil
}

// QueueSnapshot queues every record of the integration for the
// destination (`agent deliver --full`): the next delivery sends a snapshot
// and then whatever is queued.
func (s *Store) QueueSnapshot(ctx context.Context, destination, integration, runID string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: queue a snapshot of %s for %s: %w", integration, destination, err)
	}
	defer tx.Rollback()
	if err := queue(ctx, tx, integration, runID, []string{destination}, time.Now()); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET snapshot = 1 WHERE destination = ? AND integration = ?`, destination, integration); err != nil {
		return fmt.Errorf("store: queue a snapshot of %s for %s: %w", integration, destination, err)
	}
	return tx.Commit()
}

const deliveryColumns = `destination, integration, snapshot, queued_change, queued_person, queued_saas,
	acked_change, acked_person, acked_saas, queued_run, queued_at, last_delivered_at, last_error, failing_since`

// Deliveries returns the queues of every pair, by destination and integration.
func (s *Store) Deliveries(ctx context.Context) ([]DeliveryState, error) {
	return collect(ctx, s.db, "deliveries", scanDelivery, `SELECT `+deliveryColumns+` FROM deliveries ORDER BY destination, integration`)
}

// Delivery returns one pair's queue; ErrNotFound when nothing was ever queued.
func (s *Store) Delivery(ctx context.Context, destination, integration string) (DeliveryState, error) {
	d, err := scanDelivery(s.db.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE destination = ? AND integration = ?`, destination, integration))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return d, fmt.Errorf("store: delivery of %s to %s: %w", integration, destination, ErrNotFound)
	case err != nil:
		return d, fmt.Errorf("store: delivery of %s to %s: %w", integration, destination, err)
	}
	return d, nil
}

func scanDelivery(r rowScanner) (DeliveryState, error) {
	var d DeliveryState
	var qat, lat, since sql.NullString
	err := r.Scan(&d.Destination, &d.Integration, &d.Snapshot, &d.Queued.Change, &d.Queued.Person, &d.Queued.SaaS,
		&d.Acked.Change, &d.Acked.Person, &d.Acked.SaaS, &d.QueuedRun, &qat, &lat, &d.LastError, &since)
	if err != nil {
		return d, err
	}
	d.QueuedAt, d.LastDeliveredAt, d.FailingSince = parseTime(qat), parseTime(lat), parseTime(since)
	return d, nil
}

// Ack records what the destination acknowledged: the acked marks move up
// to m (never back), the snapshot is done when snapshot says so, and the
// pair's error clears.
func (s *Store) Ack(ctx context.Context, destination, integration string, m Marks, snapshotDone bool, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE deliveries SET acked_change = max(acked_change, ?), acked_person = max(acked_person, ?),
		acked_saas = max(acked_saas, ?), snapshot = CASE WHEN ? THEN 0 ELSE snapshot END,
		last_delivered_at = ?, last_error = '', failing_since = NULL
		WHERE destination = ? AND integration = ?`,
		m.Change, m.Person, m.SaaS, snapshotDone, timeText(at), destination, integration)
	if err != nil {
		return fmt.Errorf("store: acknowledge delivery of %s to %s: %w", integration, destination, err)
	}
	return nil
}

// DeliveryFailed records a failed attempt and returns since when the pair
// has been failing.
func (s *Store) DeliveryFailed(ctx context.Context, destination, integration, reason string, at time.Time) (time.Time, error) {
	var since sql.NullString
	err := s.db.QueryRowContext(ctx, `UPDATE deliveries SET last_error = ?, failing_since = coalesce(failing_since, ?)
		WHERE destination = ? AND integration = ? RETURNING failing_since`,
		reason, timeText(at), destination, integration).Scan(&since)
	if err != nil {
		return time.Time{}, fmt.Errorf("store: record the failed delivery of %s to %s: %w", integration, destination, err)
	}
	return parseTime(since), nil
}

// Pending is a record with changes in a queue's range.
type Pending struct {
	Kind        Kind
	Application string
	Key         string
	ID          int64  // the record's id
	Last        int64  // its last change's id in the range
	RunID       string // the run that made that change
	Status      string // the status the range left it in, "" when its status did not change
}

// Changed lists the records of the integration with a change in (from,
// to] of a field in the kind's list (nil: any field), the record's id at
// most the kind's createdUpTo (later ones are creations, sent whole),
// ordered by their last change.
func (s *Store) Changed(ctx context.Context, integration string, from, to int64, createdUpTo Marks, personFields, saasFields []string) ([]Pending, error) {
	list := func(f []string) any {
		if f == nil {
			return nil
		}
		b, _ := json.Marshal(f)
		return string(b)
	}
	return collect(ctx, s.db, "changes of "+integration+" to deliver", scanPending, changedSQL, from, to, integration, list(personFields), list(saasFields), createdUpTo.Person, createdUpTo.SaaS)
}

// changedSQL lists a queue's changed records: ?1, ?2 the change range,
// ?3 the integration, ?4, ?5 the fields sent (JSON arrays, NULL: all), ?6,
// ?7 the last record ids not sent whole as creations. The range is read
// through the rowid (TestDeliveryQueryPlans): the integration's index
// would read its whole history.
const changedSQL = `WITH w AS (
		SELECT kind, application, key, max(id) AS last, max(CASE WHEN field = 'status' THEN id END) AS st
		FROM changes
		WHERE id > ?1 AND id <= ?2 AND +integration = ?3
			AND CASE kind WHEN 'person' THEN (?4 IS NULL OR field IN (SELECT value FROM json_each(?4)))
				ELSE (?5 IS NULL OR field IN (SELECT value FROM json_each(?5))) END
		GROUP BY kind, application, key)
	SELECT w.kind, w.application, w.key, coalesce(p.id, s.id), w.last,
		(SELECT run_id FROM changes WHERE id = w.last), coalesce((SELECT new FROM changes WHERE id = w.st), '')
	FROM w
	LEFT JOIN people p ON w.kind = 'person' AND p.integration = ?3 AND p.key = w.key
	LEFT JOIN saas_users s ON w.kind = 'saas_user' AND s.integration = ?3 AND s.application = w.application AND s.key = w.key
	WHERE (w.kind = 'person' AND p.id <= ?6) OR (w.kind = 'saas_user' AND s.id <= ?7)
	ORDER BY w.last`

func scanPending(r rowScanner) (Pending, error) {
	var p Pending
	err := r.Scan(&p.Kind, &p.Application, &p.Key, &p.ID, &p.Last, &p.RunID, &p.Status)
	return p, err
}

// CountRecords counts the integration's records of the kind with an id in
// (after, upTo]; upTo <= 0 means no upper bound.
func (s *Store) CountRecords(ctx context.Context, integration string, kind Kind, after, upTo int64) (int, error) {
	if upTo <= 0 {
		upTo = 1<<63 - 1
	}
	// A range of new ids is read through the rowid; all of them, through
	// the integration's index (a count that reads no record).
	cond := `integration = ?`
	if after > 0 {
		cond = `+integration = ?`
	}
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM `+kind.table()+` WHERE `+cond+` AND id > ? AND id <= ?`, integration, after, upTo).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count %s records of %s: %w", kind, integration, err)
	}
	return n, nil
}
