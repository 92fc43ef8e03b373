package engine

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/vendors"
)

// TestFailedRunCountsWhatWasCommitted: a write that fails mid-run (the
// disk full; here a trigger that raises SQLite's own error on one record)
// leaves a report, and a runs row, counting only what was committed.
func TestFailedRunCountsWhatWasCommitted(t *testing.T) {
	renamed := users(10)
	for _, u := range renamed {
		u["name"] = "New " + u["name"].(string)
	}
	tests := []struct {
		name    string
		mode    string
		prior   []vendors.Record // a successful run before, if any
		recs    []vendors.Record
		trigger string // the failing write
		want    store.Counts
		saas    *store.Counts
		stored  int // people
	}{
		{"first sync, full on page 3", ModeUsers, nil, users(10),
			`BEFORE INSERT ON people WHEN NEW.key = 'user5@example.com'`,
			store.Counts{Fetched: 4, Created: 4}, nil, 4},
		{"first sync, full on page 3's SaaS users", ModeSaaSUsers, nil, users(10),
			`BEFORE INSERT ON saas_users WHEN NEW.key = 'user5@example.com'`,
			store.Counts{Fetched: 4, Created: 4}, &store.Counts{Fetched: 4, Created: 4}, 4},
		{"resync, full on an update on page 3", ModeUsers, users(10), renamed,
			`BEFORE UPDATE OF data ON people WHEN NEW.key = 'user5@example.com'`,
			store.Counts{Fetched: 4, Updated: 4}, nil, 10},
		{"full at the end, on the deactivations", ModeUsers, users(10), users(9),
			`BEFORE UPDATE OF status ON people WHEN NEW.status = 'inactive'`,
			store.Counts{Fetched: 9, Unchanged: 9}, nil, 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t)
			sp := spec(t, tc.mode)
			if tc.prior != nil {
				runOK(t, st, sp, pages{recs: tc.prior})
			}
			db, err := sql.Open("sqlite", st.Path())
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Exec(`CREATE TRIGGER full ` + tc.trigger + ` BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`); err != nil {
				t.Fatal(err)
			}
			rep := Run(ctx, st, sp, pages{recs: tc.recs}, Options{})
			if rep.Outcome != store.OutcomeFailed || !strings.Contains(rep.Error, "disk is full") {
				t.Fatalf("outcome %s: %s", rep.Outcome, rep.Error)
			}
			if rep.Counts != tc.want {
				t.Errorf("counts = %+v, want %+v (committed)", rep.Counts, tc.want)
			}
			if tc.saas != nil && *rep.SaaSCounts != *tc.saas {
				t.Errorf("saas counts = %+v, want %+v (committed)", *rep.SaaSCounts, *tc.saas)
			}
			runs, err := st.Runs(ctx, "acme", 1)
			if err != nil || len(runs) != 1 || runs[0].Outcome != store.OutcomeFailed || runs[0].Counts != rep.Counts {
				t.Errorf("runs row = %+v, %v; want failed with the report's counts", runs, err)
			}
			if got := statuses(t, st, store.Person); len(got) != tc.stored || countInactive(got) != 0 {
				t.Errorf("%d people stored, %d inactive; want %d, 0", len(got), countInactive(got), tc.stored)
			}
		})
	}
}
