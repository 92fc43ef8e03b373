package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// Notification is an entry of the in-app inbox; e-mail delivery state
// travels with it so a failed send is visible and retried.
type Notification struct {
	ID          int64
	CreatedAt   time.Time
	Integration string
	Event       string // run_failed, run_overdue, run_missed, recovered, config_invalid...
	Subject     string
	Body        string
	Recipients  []string
	EmailStatus string // none | pending | sent | failed
	EmailError  string
	Attempts    int
	DeliveredAt time.Time
}

// AddNotification puts a message in the inbox and returns its id.
func (s *Store) AddNotification(ctx context.Context, n Notification) (int64, error) {
	rcpt, err := json.Marshal(n.Recipients)
	if err != nil {
		return 0, err
	}
	if n.CreatedAt.IsZero() {
		n.CreatedAt = time.Now()
	}
	if n.EmailStatus == "" {
		n.EmailStatus = "none"
		if len(n.Recipients) > 0 {
			n.EmailStatus = "pending"
		}
	}
	res, err := s.db.ExecContext(ctx,
		`INSERT INTO notifications (created_at, integration, event, subject, body, recipients, email_status) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		timeText(n.CreatedAt), n.Integration, n.Event, n.Subject, n.Body, string(rcpt), n.EmailStatus)
	if err != nil {
		return 0, fmt.Errorf("store: notification: %w", err)
	}
	return res.LastInsertId()
}

// Notifications lists the inbox, newest first; limit <= 0 means all.
func (s *Store) Notifications(ctx context.Context, limit int) ([]Notification, error) {
	q := `SELECT ` + notificationColumns + ` FROM notifications ORDER BY id DESC`
	if limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", limit)
	}
	return s.queryNotifications(ctx, "notifications", q)
}

const notificationColumns = `id, created_at, integration, event, subject, body, recipients, email_status, email_error, attempts, delivered_at`

// queryNotifications runs q, which selects notificationColumns; what
// names the list in errors.
func (s *Store) queryNotifications(ctx context.Context, what, q string, args ...any) ([]Notification, error) {
	return collect(ctx, s.db, what, scanNotification, q, args...)
}

func scanNotification(r rowScanner) (Notification, error) {
	var n Notification
	var created, rcpt string
	var delivered sql.NullString
	if err := r.Scan(&n.ID, &created, &n.Integration, &n.Event, &n.Subject, &n.Body, &rcpt, &n.EmailStatus, &n.EmailError, &n.Attempts, &delivered); err != nil {
		return n, err
	}
	n.CreatedAt = parseTime(sql.NullString{String: created, Valid: true})
	n.DeliveredAt = parseTime(delivered)
	if err := json.Unmarshal([]byte(rcpt), &n.Recipients); err != nil {
		return n, fmt.Errorf("notification %d: recipients: %w", n.ID, err)
	}
	return n, nil
}
