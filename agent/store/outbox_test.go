package store

import (
	"strings"
	"testing"
)

// TestDeliveryQueryPlans: a delivery reads its ranges through the rowid.
// The integration's indexes would make every batch of a snapshot, and every
// look at the history queue, read all of the integration's records or
// history (a 1M snapshot went quadratic that way).
func TestDeliveryQueryPlans(t *testing.T) {
	st := openTest(t)
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
			plan := queryPlan(t, st, tc.sql, tc.args...)
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
