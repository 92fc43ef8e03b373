package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// E-mail states of a notification.
const (
	EmailNone    = "none"    // nobody to mail, or no [smtp] host
	EmailPending = "pending" // to be sent, or retried after a failed attempt (EmailError says why)
	EmailSent    = "sent"
	EmailFailed  = "failed" // given up after the last attempt
)

// PendingEmails returns the notifications whose e-mail is due at now: not
// sent yet, and past the retry time of the last failed attempt. Oldest
// first; limit <= 0 means all. The retry time is compared in SQL (times are
// stored at a fixed width), so a limit never hides a due message behind
// ones that are waiting.
func (s *Store) PendingEmails(ctx context.Context, now time.Time, limit int) ([]Notification, error) {
	q := `SELECT ` + notificationColumns + ` FROM notifications
		WHERE email_status = ? AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY id`
	if limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", limit)
	}
	return s.queryNotifications(ctx, "pending e-mails", q, EmailPending, timeText(now))
}

// ClaimEmail takes the e-mail of notification id for one sender until
// until, when it is pending and due at now, and reports whether it did.
// The service and `agent run-now` may both find a message pending; only
// the one whose claim succeeds sends it. EmailSentAt or
// EmailAttemptFailed settles a claim; one never settled (the sender died)
// lapses at until, and the message is due again.
func (s *Store) ClaimEmail(ctx context.Context, id int64, now, until time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx,
		`UPDATE notifications SET next_attempt_at = ?
		WHERE id = ? AND email_status = ? AND (next_attempt_at IS NULL OR next_attempt_at <= ?)`,
		timeText(until), id, EmailPending, timeText(now))
	if err != nil {
		return false, fmt.Errorf("store: notification %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: notification %d: %w", id, err)
	}
	return n == 1, nil
}

// EmailSentAt records a delivered e-mail.
func (s *Store) EmailSentAt(ctx context.Context, id int64, at time.Time) error {
	_, err := s.db.ExecContext(ctx,
		`UPDATE notifications SET email_status = ?, email_error = '', attempts = attempts + 1, delivered_at = ?, next_attempt_at = NULL WHERE id = ?`,
		EmailSent, timeText(at), id)
	if err != nil {
		return fmt.Errorf("store: notification %d: %w", id, err)
	}
	return nil
}

// EmailAttemptFailed records a failed delivery attempt and its error. The
// e-mail stays pending until retryAt; a zero retryAt gives up (failed).
func (s *Store) EmailAttemptFailed(ctx context.Context, id int64, reason string, retryAt time.Time) error {
	status, next := EmailPending, sql.NullString{}
	if retryAt.IsZero() {
		status = EmailFailed
	} else {
		next = sql.NullString{String: timeText(retryAt), Valid: true}
	}
	_, err := s.db.ExecContext(ctx,
		`UPDATE notifications SET email_status = ?, email_error = ?, attempts = attempts + 1, next_attempt_at = ? WHERE id = ?`,
		status, reason, next, id)
	if err != nil {
		return fmt.Errorf("store: notification %d: %w", id, err)
	}
	return nil
}

// RaiseIncident opens the incident key of integration and, only when it
// was not open already, puts n in the inbox: one message per event, however
// often the event repeats until ResolveIncidents closes it. It returns the
// new message's id, or 0 when the incident was open.
func (s *Store) RaiseIncident(ctx context.Context, integration, key string, n Notification) (int64, error) {
	at := n.CreatedAt
	if at.IsZero() {
		at = time.Now()
	}
	res, err := s.db.ExecContext(ctx,
		`INSERT INTO incidents (integration, key, opened_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
		integration, key, timeText(at))
	if err != nil {
		return 0, fmt.Errorf("store: incident %s/%s: %w", integration, key, err)
	}
	if k, err := res.RowsAffected(); err != nil || k == 0 {
		return 0, err
	}
	id, err := s.AddNotification(ctx, n)
	if err != nil {
		// Without its message the incident must not stay open.
		s.db.ExecContext(context.WithoutCancel(ctx), `DELETE FROM incidents WHERE integration = ? AND key = ?`, integration, key)
		return 0, err
	}
	return id, nil
}

// ResolveIncidents closes the open incidents of integration whose keys
// match (nil matches every key) and returns the keys it closed.
func (s *Store) ResolveIncidents(ctx context.Context, integration string, match func(key string) bool) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT key FROM incidents WHERE integration = ? ORDER BY key`, integration)
	if err != nil {
		return nil, fmt.Errorf("store: incidents of %s: %w", integration, err)
	}
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: incidents of %s: %w", integration, err)
		}
		if match == nil || match(k) {
			keys = append(keys, k)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: incidents of %s: %w", integration, err)
	}
	for _, k := range keys {
		if _, err := s.db.ExecContext(ctx, `DELETE FROM incidents WHERE integration = ? AND key = ?`, integration, k); err != nil {
			return nil, fmt.Errorf("store: incident %s/%s: %w", integration, k, err)
		}
	}
	return keys, nil
}
