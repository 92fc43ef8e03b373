package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Record is a stored person or SaaS user.
type Record struct {
	Kind          Kind
	Integration   string
	Application   string
	Key           string
	Fields        map[string]string // mapped fields, without the user./saas_user. prefix
	Status        string
	DeactivatedAt time.Time
	// LastSync is the last successful run that saw the record; nil when
	// none has. It feeds the $sync_time and $credential_name tracking fields.
	LastSync *Run
}

// Records streams the integration's records of one kind, ordered by key.
func (s *Store) Records(ctx context.Context, integration string, kind Kind, fn func(Record) error) error {
	latest, err := s.LastRun(ctx, integration, OutcomeSuccess)
	var latestPtr *Run
	switch {
	case err == nil:
		latestPtr = &latest
	case !errors.Is(err, ErrNotFound):
		return err
	}
	runs := map[string]*Run{}
	lastSync := func(seen sql.NullString) (*Run, error) {
		switch {
		case !seen.Valid:
			return latestPtr, nil
		case seen.String == "":
			return nil, nil
		}
		if r, ok := runs[seen.String]; ok {
			return r, nil
		}
		r, err := s.Run(ctx, seen.String)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		var p *Run
		if err == nil {
			p = &r
		}
		runs[seen.String] = p
		return p, nil
	}

	// The ORDER BY is the key index's order, so nothing is sorted (an
	// ORDER BY on the constant '' made SQLite sort every record).
	app, order := "''", "key"
	if kind == SaaSUser {
		app, order = "application", "application, key"
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+app+`, key, data, status, deactivated_at, seen_until FROM `+kind.table()+
		` WHERE integration = ? ORDER BY `+order, integration)
	if err != nil {
		return fmt.Errorf("store: %s records of %s: %w", kind, integration, err)
	}
	defer rows.Close()
	for rows.Next() {
		r := Record{Kind: kind, Integration: integration}
		var data string
		var deact, seen sql.NullString
		if err := rows.Scan(&r.Application, &r.Key, &data, &r.Status, &deact, &seen); err != nil {
			return fmt.Errorf("store: %s records of %s: %w", kind, integration, err)
		}
		if err := json.Unmarshal([]byte(data), &r.Fields); err != nil {
			return fmt.Errorf("store: %s %q: data: %w", kind, r.Key, err)
		}
		r.DeactivatedAt = parseTime(deact)
		if r.LastSync, err = lastSync(seen); err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Change is one row of the change history.
type Change struct {
	RunID       string
	Kind        Kind
	Application string
	Key         string
	Field       string
	Old, New    string
	At          time.Time
}

// Changes lists an integration's change history, oldest first; key "" means
// all records. A record's creation is its created_run (field "" and new
// "created"), kept on the record rather than as a history row of its own.
func (s *Store) Changes(ctx context.Context, integration, key string) ([]Change, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT run_id, kind, application, key, field, coalesce(old, ''), coalesce(new, ''), at, 1 AS ord, id
			FROM changes WHERE integration = ? AND (? = '' OR key = ?)
		UNION ALL
		SELECT created_run, 'person', '', key, '', '', 'created', created_at, 0, 0
			FROM people WHERE integration = ? AND (? = '' OR key = ?) AND created_run IS NOT NULL
		UNION ALL
		SELECT created_run, 'saas_user', application, key, '', '', 'created', created_at, 0, 0
			FROM saas_users WHERE integration = ? AND (? = '' OR key = ?) AND created_run IS NOT NULL
		ORDER BY 8, 9, 10`, integration, key, key, integration, key, key, integration, key, key)
	if err != nil {
		return nil, fmt.Errorf("store: changes of %s: %w", integration, err)
	}
	defer rows.Close()
	var out []Change
	for rows.Next() {
		var c Change
		var at string
		var ord, id int64
		if err := rows.Scan(&c.RunID, &c.Kind, &c.Application, &c.Key, &c.Field, &c.Old, &c.New, &at, &ord, &id); err != nil {
			return nil, fmt.Errorf("store: changes of %s: %w", integration, err)
		}
		c.At = parseTime(sql.NullString{String: at, Valid: true})
		out = append(out, c)
	}
	return out, rows.Err()
}
