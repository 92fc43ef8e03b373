package store

import (
	"context"
	"strings"
	"testing"
)

// TestDeliveryQueryPlans: a delivery reads its ranges through the rowid.
// The integration's indexes would make every batch of a snapshot, and every
// look at the history queue, read all of the integration's records or
// history (a 1M snapshot went quadratic that way).
func TestDeliveryQueryPlans(t *testing.T) {
	st, err := Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, tc := range []struct {
		name string
		sql  string
		args []any
		want string
	}{
		{"changed records", changedSQL, []any{0, 100, "acme", nil, `["email"]`, 5, 5}, "SEARCH changes USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)"},
		{"people by id", recordSQL(Person, afterSQL), []any{"acme", 0, 100, 10}, "SEARCH people USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)"},
		{"SaaS users by id", recordSQL(SaaSUser, afterSQL), []any{"acme", 0, 100, 10}, "SEARCH saas_users USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := st.db.Query(`EXPLAIN QUERY PLAN `+tc.sql, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			found := false
			for _, p := range plan {
				found = found || p == tc.want
				if strings.Contains(p, "_by_record") || strings.HasPrefix(p, "SCAN people") || strings.HasPrefix(p, "SCAN saas_users") || strings.HasPrefix(p, "SCAN changes") {
					t.Errorf("plan step %q reads more than the range", p)
				}
			}
			if !found {
				t.Errorf("plan = %q; want the step %q", plan, tc.want)
			}
		})
	}
}
