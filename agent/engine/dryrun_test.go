package engine

import (
	"context"
	"fmt"
	"testing"

	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/vendors"
)

// TestDryRunCountsAsTheRealRun: a dry run and then the real run of the
// same source on the same store count alike, also when the source lists
// a user on two pages (the dry run writes nothing, yet must see its own
// creations and updates as the real run sees them in the store).
func TestDryRunCountsAsTheRealRun(t *testing.T) {
	twice := func(base []vendors.Record, n int, edit func(vendors.Record)) []vendors.Record {
		again := user(n, "active")
		if edit != nil {
			edit(again)
		}
		return append(base, again)
	}
	renamed := func(r vendors.Record) { r["name"] = "Renamed" }
	changedTwice := users(6)
	renamed(changedTwice[1])
	tests := []struct {
		name  string
		prior []vendors.Record // a successful run before, if any
		recs  []vendors.Record
	}{
		{"first sync, a user on two pages", nil, twice(users(3), 2, nil)},
		{"first sync, a user on two pages, changed", nil, twice(users(6), 2, renamed)},
		{"first sync, a user on two pages, inactive then active", nil, func() []vendors.Record {
			r := users(6)
			r[1]["status"] = "inactive"
			return twice(r, 2, nil)
		}()},
		{"resync, a new user on two pages", users(4), twice(users(6), 5, nil)},
		{"resync, a user changed on two pages", users(6), twice(changedTwice, 2, renamed)},
		{"resync, a user changed then changed back", users(6), twice(changedTwice, 2, nil)},
	}
	for _, mode := range []string{ModeUsers, ModeSaaSUsers} {
		for _, tc := range tests {
			t.Run(fmt.Sprintf("%s/%s", mode, tc.name), func(t *testing.T) {
				st := openStore(t)
				sp := spec(t, mode)
				sp.MaxDeactivatePercent = 100
				if tc.prior != nil {
					runOK(t, st, sp, pages{recs: tc.prior})
				}
				dry := Run(context.Background(), st, sp, pages{recs: tc.recs}, Options{DryRun: true})
				if dry.Outcome != store.OutcomeSuccess {
					t.Fatalf("dry run: %s: %s", dry.Outcome, dry.Error)
				}
				if n := len(statuses(t, st, store.Person)); n != len(tc.prior) {
					t.Fatalf("the dry run wrote: %d people stored, want %d", n, len(tc.prior))
				}
				real := runOK(t, st, sp, pages{recs: tc.recs})
				if dry.Counts != real.Counts {
					t.Errorf("counts: dry %+v, real %+v", dry.Counts, real.Counts)
				}
				if (dry.SaaSCounts == nil) != (real.SaaSCounts == nil) || dry.SaaSCounts != nil && *dry.SaaSCounts != *real.SaaSCounts {
					t.Errorf("saas counts: dry %+v, real %+v", dry.SaaSCounts, real.SaaSCounts)
				}
			})
		}
	}
}
