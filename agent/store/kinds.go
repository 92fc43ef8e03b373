package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// SaaSApplications lists the applications the integration's SaaS users
// have in the store, sorted: with those a run sees, the scopes of a
// roster across applications.
func (y *Sync) SaaSApplications(ctx context.Context) ([]string, error) {
	rows, err := y.conn.QueryContext(ctx, `SELECT DISTINCT application FROM saas_users WHERE integration = ? ORDER BY application`, y.integration)
	if err != nil {
		return nil, fmt.Errorf("store: SaaS applications of %s: %w", y.integration, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, fmt.Errorf("store: SaaS applications of %s: %w", y.integration, err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// ActiveTotal counts the integration's active records of a kind, across
// applications, but for those this run created: the mass-deactivation
// guard's base when a kind spans several scopes.
func (y *Sync) ActiveTotal(ctx context.Context, kind Kind) (int, error) {
	var n int
	err := y.conn.QueryRowContext(ctx, `SELECT count(*) FROM `+kind.table()+` WHERE integration = ? AND status = 'active' AND created_run IS NOT ?`,
		y.integration, y.runNum).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count active %s: %w", kind, err)
	}
	return n, nil
}

// Catalogue maps the key of every stored application, of any
// integration, to its name (its display name, else the key, when it has
// none). When integrations disagree about a key, an active application
// wins over an inactive one, then the integration first by name.
func (s *Store) Catalogue(ctx context.Context) (map[string]string, error) {
	if err := s.layouts.load(ctx, s.db); err != nil { // as recordReader does
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT key, layout, data FROM applications ORDER BY status = 'active', integration DESC`)
	if err != nil {
		return nil, fmt.Errorf("store: application catalogue: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var key, data string
		var layout int64
		if err := rows.Scan(&key, &layout, &data); err != nil {
			return nil, fmt.Errorf("store: application catalogue: %w", err)
		}
		l, err := s.layouts.get(ctx, s.db, layout)
		if err == nil {
			data, err = unpack(l, key, data)
		}
		if err != nil {
			return nil, fmt.Errorf("store: application catalogue: %q: %w", key, err)
		}
		var f map[string]string
		json.Unmarshal([]byte(data), &f) // a record without data is named by its key
		name := f["name"]
		if name == "" {
			name = f["display_name"]
		}
		if name == "" {
			name = key
		}
		out[key] = name
	}
	return out, rows.Err()
}

// RenameApplication moves the integration's SaaS users of application
// from to application to, recording the move in the history, unless to
// already has SaaS users of the integration (then nothing moves: the run
// sees them under to, and those under from go missing as usual). A roster
// across applications stores an instance id it cannot resolve as the
// application's name; once the catalogue knows the id, its accounts keep
// their identity instead of being deactivated and created again.
func (y *Sync) RenameApplication(ctx context.Context, from, to string) (int, error) {
	tx, err := y.conn.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store: rename application %q: %w", from, err)
	}
	defer tx.Rollback()
	var taken bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM saas_users WHERE integration = ? AND application = ?)`, y.integration, to).Scan(&taken); err != nil {
		return 0, fmt.Errorf("store: rename application %q: %w", from, err)
	}
	if taken {
		return 0, nil
	}
	t := time.Now()
	now := timeText(t)
	_, err = tx.ExecContext(ctx, `INSERT INTO changes (integration, run_id, at, kind, application, key, field, old, new)
		SELECT integration, ?, ?, 'saas_user', ?, key, 'application', application, ? FROM saas_users WHERE integration = ? AND application = ?`,
		y.runID, now, to, to, y.integration, from)
	if err != nil {
		return 0, fmt.Errorf("store: rename application %q: history: %w", from, err)
	}
	var active int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM saas_users WHERE integration = ? AND application = ? AND status = 'active'`, y.integration, from).Scan(&active); err != nil {
		return 0, fmt.Errorf("store: rename application %q: %w", from, err)
	}
	res, err := tx.ExecContext(ctx, `UPDATE saas_users SET application = ?, updated_at = ? WHERE integration = ? AND application = ?`, to, t.UnixMilli(), y.integration, from)
	if err != nil {
		return 0, fmt.Errorf("store: rename application %q: %w", from, err)
	}
	n, _ := res.RowsAffected()
	// The active accounts' count moves with them (counts.go).
	if err := addActive(ctx, tx, y.integration, SaaSUser, from, -active); err != nil {
		return 0, err
	}
	if err := addActive(ctx, tx, y.integration, SaaSUser, to, active); err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("store: rename application %q: %w", from, err)
	}
	return int(n), nil
}

// RenamedApplications maps each of names that a catalogue application was
// once called (its history has a change of field name from it) to that
// application's key, the latest rename winning: where a name went.
func (s *Store) RenamedApplications(ctx context.Context, names []string) (map[string]string, error) {
	out := map[string]string{}
	for _, name := range names {
		var key string
		err := s.db.QueryRowContext(ctx, `SELECT key FROM changes INDEXED BY changes_application_renames
			WHERE kind = 'application' AND field = 'name' AND old = ? ORDER BY id DESC LIMIT 1`, name).Scan(&key)
		switch {
		case err == nil:
			out[name] = key
		case !errors.Is(err, sql.ErrNoRows):
			return nil, fmt.Errorf("store: renames of application %q: %w", name, err)
		}
	}
	return out, nil
}
