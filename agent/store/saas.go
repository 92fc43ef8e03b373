package store

import (
	"context"
	"fmt"
	"strings"
)

// The reads behind `agent status`'s record counts and `agent report saas`:
// a few grouped queries over every integration, each one pass over its
// table (fieldSQL reads the mapped fields out of data).

// KindCount is how many records of one kind an integration holds.
type KindCount struct {
	Active   int `json:"active"`
	Inactive int `json:"inactive"`
}

// CountByStatus counts every integration's records of every kind, by
// status: one grouped query per table, a scan of the table (NOT INDEXED:
// through the key index, every row's status is one more lookup, 4x
// slower).
// An integration without records of a kind has no entry for it.
func (s *Store) CountByStatus(ctx context.Context) (map[string]map[Kind]KindCount, error) {
	out := map[string]map[Kind]KindCount{}
	for _, k := range Kinds {
		rows, err := s.db.QueryContext(ctx, `SELECT integration, sum(status = 'active'), count(*) FROM `+k.table()+` NOT INDEXED GROUP BY integration`)
		if err != nil {
			return nil, fmt.Errorf("store: count %s: %w", k.table(), err)
		}
		for rows.Next() {
			var in string
			var active, all int
			if err := rows.Scan(&in, &active, &all); err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: count %s: %w", k.table(), err)
			}
			if out[in] == nil {
				out[in] = map[Kind]KindCount{}
			}
			out[in][k] = KindCount{Active: active, Inactive: all - active}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("store: count %s: %w", k.table(), err)
		}
	}
	return out, nil
}

// CatalogueApp is one application of the catalogue (any integration).
type CatalogueApp struct {
	Integration, Name, Status string
}

// CatalogueApps lists the applications table: each record's name and status.
func (s *Store) CatalogueApps(ctx context.Context) ([]CatalogueApp, error) {
	f, err := s.layouts.fieldSQL(ctx, s.db, "applications", "name")
	if err != nil {
		return nil, err
	}
	return collect(ctx, s.db, "application catalogue", func(r rowScanner) (CatalogueApp, error) {
		var a CatalogueApp
		err := r.Scan(&a.Integration, &a.Name, &a.Status)
		return a, err
	}, `SELECT integration, coalesce(`+f[0]+`, ''), status FROM applications ORDER BY integration, key`)
}

// AppUsage is the SaaS users of one application (as the saas_users
// application column spells it), over every integration.
type AppUsage struct {
	Application      string
	Active, Inactive int
	// Idle[i] is how many active users had no activity on or after the
	// day idleSince[i] (YYYY-MM-DD): last_activity (RFC 3339, stored in
	// UTC, its day the first ten characters) before that day, empty or
	// not a time.
	Idle []int
}

// SaaSUsage counts the SaaS users of each application, in one grouped
// query; idleSince are the days (YYYY-MM-DD) of the idle counts.
func (s *Store) SaaSUsage(ctx context.Context, idleSince ...string) ([]AppUsage, error) {
	f, err := s.layouts.fieldSQL(ctx, s.db, "saas_users", "last_activity")
	if err != nil {
		return nil, err
	}
	var cols strings.Builder
	args := make([]any, len(idleSince))
	for i, d := range idleSince {
		fmt.Fprintf(&cols, ", coalesce(sum(act AND (d IS NULL OR d < ?%d)), 0)", i+1)
		args[i] = d
	}
	// The subqueries' LIMIT -1 keeps SQLite from flattening them into the
	// sums, which would read last_activity out of data once per sum: each
	// row's day is computed once (4x faster over 100k users).
	q := `SELECT application, coalesce(sum(act), 0), coalesce(sum(NOT act), 0)` + cols.String() + `
		FROM (SELECT application, act,
				CASE WHEN la GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*' THEN substr(la, 1, 10) END AS d
			FROM (SELECT application, status = 'active' AS act,
					CASE WHEN status = 'active' THEN ` + f[0] + ` END AS la
				FROM saas_users NOT INDEXED LIMIT -1)
			LIMIT -1)
		GROUP BY application ORDER BY application`
	return collect(ctx, s.db, "SaaS usage", func(r rowScanner) (AppUsage, error) {
		u := AppUsage{Idle: make([]int, len(idleSince))}
		dest := []any{&u.Application, &u.Active, &u.Inactive}
		for i := range u.Idle {
			dest = append(dest, &u.Idle[i])
		}
		err := r.Scan(dest...)
		return u, err
	}, q, args...)
}

// InvoiceLine is one invoice's application and, when its invoice date
// falls in the window asked for, its amount and currency as stored.
type InvoiceLine struct {
	Integration, Key string
	Application      string
	InWindow         bool
	Amount, Currency string
}

// Invoices lists every invoice's application, and whether its invoice
// date's day (UTC) is after from and at most to (both YYYY-MM-DD).
func (s *Store) Invoices(ctx context.Context, from, to string) ([]InvoiceLine, error) {
	f, err := s.layouts.fieldSQL(ctx, s.db, "invoices", "application", "invoice_date", "amount", "currency")
	if err != nil {
		return nil, err
	}
	return collect(ctx, s.db, "invoices", func(r rowScanner) (InvoiceLine, error) {
		var l InvoiceLine
		err := r.Scan(&l.Integration, &l.Key, &l.Application, &l.InWindow, &l.Amount, &l.Currency)
		return l, err
	}, `SELECT integration, key, application, coalesce(d > ?1 AND d <= ?2, 0), amount, currency
		FROM (SELECT integration, key, coalesce(`+f[0]+`, '') AS application,
			date(`+f[1]+`) AS d,
			coalesce(`+f[2]+`, '') AS amount, coalesce(`+f[3]+`, '') AS currency
			FROM invoices)
		ORDER BY integration, key`, from, to)
}

// ContractTerm is one contract's application, seats and term: Start and
// End are the days (YYYY-MM-DD, UTC; "" when empty or not a time), EndAt
// the end as stored.
type ContractTerm struct {
	Integration, Key string
	Application      string
	Seats            string
	Start, End       string
	EndAt            string
}

// Contracts lists every contract's application, seats and term.
func (s *Store) Contracts(ctx context.Context) ([]ContractTerm, error) {
	f, err := s.layouts.fieldSQL(ctx, s.db, "contracts", "application", "seats", "start", "end")
	if err != nil {
		return nil, err
	}
	return collect(ctx, s.db, "contracts", func(r rowScanner) (ContractTerm, error) {
		var c ContractTerm
		err := r.Scan(&c.Integration, &c.Key, &c.Application, &c.Seats, &c.Start, &c.End, &c.EndAt)
		return c, err
	}, `SELECT integration, key, coalesce(`+f[0]+`, ''), coalesce(`+f[1]+`, ''),
		coalesce(date(`+f[2]+`), ''), coalesce(date(`+f[3]+`), ''), coalesce(`+f[3]+`, '')
		FROM contracts ORDER BY integration, key`)
}
