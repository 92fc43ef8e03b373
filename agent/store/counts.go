package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// The store keeps the number of active records of each scope in
// active_counts (migration 11), so that the end of a run can tell without
// a scan that it listed everybody active (Sync.missing). The count changes
// in the transaction of every write that changes it, so a process killed
// at any point leaves it exact:
//
//   - a creation, active or inactive (Sync.write: the page's transaction);
//   - a status set on a record this run created, listed again with
//     another status (Sync.write);
//   - a deactivation or reactivation at the run's end (Sync.commitScope:
//     the commit's transaction; a dry run writes nothing);
//   - a push, which is a run of one page (the same two);
//   - a roster's accounts moving from an instance id to the catalogue's
//     name (Sync.RenameApplication: its transaction);
//   - records are never deleted; marking a failed run's creations unseen
//     (forgetCreations) changes no status.
//
// Writing a status anywhere else must go through addActive, in the same
// transaction; CheckActiveCounts tells when a count went wrong.

// countKey is one row of active_counts: the application is a SaaS user's
// only.
func countKey(kind Kind, application string) (string, string) {
	if kind != SaaSUser {
		application = ""
	}
	return string(kind), application
}

// addActive adds n (which may be negative) to the scope's count of active
// records, in the caller's transaction.
func addActive(ctx context.Context, db execer, integration string, kind Kind, application string, n int) error {
	if n == 0 {
		return nil
	}
	k, app := countKey(kind, application)
	_, err := db.ExecContext(ctx, `INSERT INTO active_counts (integration, kind, application, active) VALUES (?, ?, ?, ?)
		ON CONFLICT DO UPDATE SET active = active + excluded.active`, integration, k, app, n)
	if err != nil {
		return fmt.Errorf("store: active count of %s %s: %w", integration, kind, err)
	}
	return nil
}

// keptActive is the scope's count of active records.
func keptActive(ctx context.Context, db querier, integration string, kind Kind, application string) (int, error) {
	k, app := countKey(kind, application)
	var n int
	err := db.QueryRowContext(ctx, `SELECT active FROM active_counts WHERE integration = ? AND kind = ? AND application = ?`,
		integration, k, app).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return n, err
}

// CheckActiveCounts counts the active records of every scope of every
// integration and compares them with the kept counts; the error lists the
// scopes that differ.
func (s *Store) CheckActiveCounts(ctx context.Context) error {
	type scope struct{ integration, kind, application string }
	kept := map[scope]int{}
	rows, err := s.db.QueryContext(ctx, `SELECT integration, kind, application, active FROM active_counts`)
	if err != nil {
		return fmt.Errorf("store: active counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sc scope
		var n int
		if err := rows.Scan(&sc.integration, &sc.kind, &sc.application, &n); err != nil {
			return fmt.Errorf("store: active counts: %w", err)
		}
		kept[sc] = n
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: active counts: %w", err)
	}
	counted := map[scope]int{}
	for _, kind := range Kinds {
		app := "''"
		if kind == SaaSUser {
			app = "application"
		}
		err := collectEach(ctx, s.db, `SELECT integration, `+app+`, count(*) FROM `+kind.table()+` WHERE status = 'active' GROUP BY 1, 2`,
			func(r *sql.Rows) error {
				sc := scope{kind: string(kind)}
				var n int
				if err := r.Scan(&sc.integration, &sc.application, &n); err != nil {
					return err
				}
				counted[sc] = n
				return nil
			})
		if err != nil {
			return fmt.Errorf("store: count active %s: %w", kind, err)
		}
	}
	var diffs []string
	for sc, n := range counted {
		if kept[sc] != n {
			diffs = append(diffs, fmt.Sprintf("%s %s %q: kept %d, counted %d", sc.integration, sc.kind, sc.application, kept[sc], n))
		}
	}
	for sc, n := range kept {
		if _, ok := counted[sc]; !ok && n != 0 {
			diffs = append(diffs, fmt.Sprintf("%s %s %q: kept %d, counted 0", sc.integration, sc.kind, sc.application, n))
		}
	}
	if len(diffs) > 0 {
		slices.Sort(diffs)
		return fmt.Errorf("store: active counts differ from the records: %s", strings.Join(diffs, "; "))
	}
	return nil
}

func collectEach(ctx context.Context, db querier, q string, fn func(*sql.Rows) error, args ...any) error {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
