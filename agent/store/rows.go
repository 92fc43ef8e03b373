package store

import (
	"context"
	"fmt"
)

// rowScanner is a row or rows, for the scan functions of collect and
// QueryRow alike.
type rowScanner interface{ Scan(dest ...any) error }

// collect runs q and scans every row with scan; what names the list in
// errors.
func collect[T any](ctx context.Context, db querier, what string, scan func(rowScanner) (T, error), q string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("store: %s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	return out, nil
}
