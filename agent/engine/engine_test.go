package engine

import (
	"context"
	"fmt"
	"testing"

	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/agent/store/storetest"
	"github.com/agentsync/agent/mapping"
	"github.com/agentsync/agent/vendors"
)

// pages is a test source: it serves its records in pages and, when failAt
// > 0, fails when asked for that page, like a vendor dropping mid-fetch.
type pages struct {
	recs   []vendors.Record
	size   int
	failAt int
}

func (p pages) Fetch(ctx context.Context, yield func(vendors.Page) error) error {
	size := p.size
	if size == 0 {
		size = 2
	}
	for n, i := 1, 0; i < len(p.recs); n, i = n+1, i+size {
		if n == p.failAt {
			return fmt.Errorf("page %d: connection reset", n)
		}
		if err := yield(vendors.Page{Number: n, Records: p.recs[i:min(i+size, len(p.recs))]}); err != nil {
			return err
		}
	}
	return nil
}

func user(id int, status string) vendors.Record {
	return vendors.Record{
		"id": float64(id), "email": fmt.Sprintf("User%d@Example.com", id),
		"name": fmt.Sprintf("User Number%d", id), "status": status, "role": "member",
	}
}

func users(n int) []vendors.Record {
	out := make([]vendors.Record, n)
	for i := range out {
		out[i] = user(i+1, "active")
	}
	return out
}

func spec(t testing.TB, mode string) Spec {
	t.Helper()
	m, err := mapping.Compile(map[string]string{
		"user.email":                      "email | lower",
		"user.full_name":                  "name",
		"user.first_name":                 "name | split_name(first)",
		"user.employee_id":                "id",
		"user.custom.connector_sync_time": "$sync_time",
		"saas_user.role":                  "role",
	})
	if err != nil {
		t.Fatal(err)
	}
	return Spec{
		Integration: "acme", Mode: mode, Application: "Acme", Preference: CreateUpdate,
		Deactivate: true, MaxDeactivatePercent: 20, CredentialName: "acme-prod", Mapping: m,
		Active: Active{Field: "status", InactiveValues: []string{"inactive", "suspended"}},
	}
}

func openStore(t testing.TB) *store.Store { return storetest.Open(t) }

func runOK(t *testing.T, st *store.Store, sp Spec, src Source) Report {
	t.Helper()
	rep := Run(context.Background(), st, sp, src, Options{})
	if rep.Outcome != store.OutcomeSuccess {
		t.Fatalf("run: outcome %s: %s", rep.Outcome, rep.Error)
	}
	return rep
}

// statuses returns key -> status of the stored records of one kind.
func statuses(t *testing.T, st *store.Store, kind store.Kind) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := st.Records(context.Background(), "acme", kind, func(r store.Record) error {
		out[r.Key] = r.Status
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func countInactive(m map[string]string) int {
	n := 0
	for _, s := range m {
		if s == store.Inactive {
			n++
		}
	}
	return n
}

func TestFirstSyncThenNoChange(t *testing.T) {
	st := openStore(t)
	sp := spec(t, ModeUsers)
	first := runOK(t, st, sp, pages{recs: users(10)})
	if want := (store.Counts{Fetched: 10, Created: 10}); first.Counts != want {
		t.Errorf("first run counts = %+v, want %+v", first.Counts, want)
	}
	changes, _ := st.Changes(context.Background(), "acme", "")
	second := runOK(t, st, sp, pages{recs: users(10)})
	if want := (store.Counts{Fetched: 10, Unchanged: 10}); second.Counts != want {
		t.Errorf("second run counts = %+v, want %+v", second.Counts, want)
	}
	after, _ := st.Changes(context.Background(), "acme", "")
	if len(after) != len(changes) {
		t.Errorf("a no-change run wrote %d history rows", len(after)-len(changes))
	}
	if len(changes) != 10 || changes[0].Field != "" || changes[0].New == "" {
		t.Errorf("history of the first run: %d rows, first %+v; want one creation row per record", len(changes), changes[0])
	}
}

func TestDeactivateAndReactivate(t *testing.T) {
	for _, mode := range []string{ModeUsers, ModeSaaSUsers} {
		t.Run(mode, func(t *testing.T) {
			st := openStore(t)
			sp := spec(t, mode)
			runOK(t, st, sp, pages{recs: users(10)})

			changed := users(10)
			changed[3] = user(4, "Suspended")             // inactive at the source (case-insensitive)
			changed = append(changed[:6], changed[7:]...) // user 7 is gone
			rep := runOK(t, st, sp, pages{recs: changed})
			if rep.Counts.Deactivated != 2 || rep.Counts.Reactivated != 0 {
				t.Errorf("counts = %+v, want 2 deactivated", rep.Counts)
			}
			people := statuses(t, st, store.Person)
			if people["user4@example.com"] != store.Inactive || people["user7@example.com"] != store.Inactive || countInactive(people) != 2 {
				t.Errorf("people statuses = %v", people)
			}
			if mode == ModeSaaSUsers {
				if rep.SaaSCounts.Deactivated != 2 {
					t.Errorf("saas counts = %+v, want 2 deactivated", *rep.SaaSCounts)
				}
				if saas := statuses(t, st, store.SaaSUser); countInactive(saas) != 2 || saas["user7@example.com"] != store.Inactive {
					t.Errorf("saas statuses = %v", saas)
				}
			}

			rep = runOK(t, st, sp, pages{recs: users(10)})
			if rep.Counts.Reactivated != 2 || rep.Counts.Deactivated != 0 {
				t.Errorf("restore counts = %+v, want 2 reactivated", rep.Counts)
			}
			if n := countInactive(statuses(t, st, store.Person)); n != 0 {
				t.Errorf("%d people still inactive after restore", n)
			}
			hist, _ := st.Changes(context.Background(), "acme", "user7@example.com")
			var status []string
			for _, c := range hist {
				if c.Field == "status" && c.Kind == store.Person {
					status = append(status, c.Old+"->"+c.New)
				}
			}
			if fmt.Sprint(status) != "[active->inactive inactive->active]" {
				t.Errorf("status history of user7 = %v", status)
			}
		})
	}
}

func TestFailedFetchDeactivatesNobody(t *testing.T) {
	st := openStore(t)
	sp := spec(t, ModeSaaSUsers)
	runOK(t, st, sp, pages{recs: users(10)})
	changed := users(12)
	changed[0]["name"] = "Renamed Person"
	rep := Run(context.Background(), st, sp, pages{recs: changed, failAt: 3}, Options{})
	if rep.Outcome != store.OutcomeFailed || rep.Error == "" {
		t.Fatalf("outcome %s (%q), want failed", rep.Outcome, rep.Error)
	}
	if rep.Counts.Deactivated != 0 || countInactive(statuses(t, st, store.Person)) != 0 || countInactive(statuses(t, st, store.SaaSUser)) != 0 {
		t.Errorf("a failed fetch deactivated someone: %+v", rep.Counts)
	}
	if rep.Counts.Fetched != 4 || rep.Counts.Updated != 1 {
		t.Errorf("the pages before the failure should still apply: %+v", rep.Counts)
	}
	runs, _ := st.Runs(context.Background(), "acme", 1)
	if runs[0].Outcome != store.OutcomeFailed || runs[0].Error != rep.Error {
		t.Errorf("stored run = %+v", runs[0])
	}
}

func TestGuard(t *testing.T) {
	st := openStore(t)
	sp := spec(t, ModeUsers)
	runOK(t, st, sp, pages{recs: users(10)})
	rep := Run(context.Background(), st, sp, pages{recs: users(5)}, Options{})
	if rep.Outcome != store.OutcomeFailed {
		t.Fatalf("outcome %s, want failed", rep.Outcome)
	}
	if rep.Counts.Deactivated != 0 || countInactive(statuses(t, st, store.Person)) != 0 {
		t.Errorf("the guard let deactivations through: %+v", rep.Counts)
	}
	if len(rep.Staged) != 5 || rep.Staged[0] != "user10@example.com" {
		t.Errorf("staged = %v, want the 5 missing users", rep.Staged)
	}
	// At the threshold exactly (2 of 10 = 20%) the run goes through.
	rep = runOK(t, st, sp, pages{recs: users(8)})
	if rep.Counts.Deactivated != 2 {
		t.Errorf("at the threshold: %+v", rep.Counts)
	}
}

func TestZeroUsersAfterSomeFails(t *testing.T) {
	st := openStore(t)
	sp := spec(t, ModeUsers)
	sp.MaxDeactivatePercent = 100 // the completeness rule must hold without the guard
	runOK(t, st, sp, pages{recs: users(3)})
	rep := Run(context.Background(), st, sp, pages{}, Options{})
	if rep.Outcome != store.OutcomeFailed || countInactive(statuses(t, st, store.Person)) != 0 {
		t.Fatalf("outcome %s, %v", rep.Outcome, statuses(t, st, store.Person))
	}
}

func TestPreferences(t *testing.T) {
	tests := []struct {
		name       string
		preference string
		want       store.Counts
		wantName   string
		wantKeys   int
	}{
		{"create_update", CreateUpdate, store.Counts{Fetched: 4, Created: 1, Updated: 1, Unchanged: 2}, "Renamed Person", 4},
		{"create_only", CreateOnly, store.Counts{Fetched: 4, Created: 1, Unchanged: 2, SkippedByPreference: 1}, "User Number1", 4},
		{"update_only", UpdateOnly, store.Counts{Fetched: 4, Updated: 1, Unchanged: 2, SkippedByPreference: 1}, "Renamed Person", 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := openStore(t)
			sp := spec(t, ModeUsers)
			runOK(t, st, sp, pages{recs: users(3)})
			sp.Preference = tc.preference
			next := users(4)
			next[0]["name"] = "Renamed Person"
			rep := runOK(t, st, sp, pages{recs: next})
			if rep.Counts != tc.want {
				t.Errorf("counts = %+v, want %+v", rep.Counts, tc.want)
			}
			got := map[string]string{}
			st.Records(context.Background(), "acme", store.Person, func(r store.Record) error {
				got[r.Key] = r.Fields["full_name"]
				return nil
			})
			if got["user1@example.com"] != tc.wantName || len(got) != tc.wantKeys {
				t.Errorf("records = %v", got)
			}
		})
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	st := openStore(t)
	sp := spec(t, ModeUsers)
	runOK(t, st, sp, pages{recs: users(10)})
	before, _ := st.Runs(context.Background(), "", 0)
	next := users(11)[1:] // user1 gone, user11 new
	rep := Run(context.Background(), st, sp, pages{recs: next}, Options{DryRun: true})
	if rep.Outcome != store.OutcomeSuccess || !rep.DryRun {
		t.Fatalf("outcome %s %q", rep.Outcome, rep.Error)
	}
	if want := (store.Counts{Fetched: 10, Created: 1, Unchanged: 9, Deactivated: 1}); rep.Counts != want {
		t.Errorf("dry-run counts = %+v, want %+v", rep.Counts, want)
	}
	after, _ := st.Runs(context.Background(), "", 0)
	if len(after) != len(before) || countInactive(statuses(t, st, store.Person)) != 0 || len(statuses(t, st, store.Person)) != 10 {
		t.Errorf("a dry run wrote to the store")
	}
}

func TestInvalidAndFiltered(t *testing.T) {
	st := openStore(t)
	sp := spec(t, ModeUsers)
	f, err := mapping.NewFilter("role", "ne", "bot")
	if err != nil {
		t.Fatal(err)
	}
	sp.Filters = []*mapping.Filter{f}
	recs := users(5)
	recs[1]["email"] = nil
	recs[2]["role"] = "bot"
	rep := runOK(t, st, sp, pages{recs: recs})
	if want := (store.Counts{Fetched: 5, Filtered: 1, Invalid: 1, Created: 3}); rep.Counts != want {
		t.Errorf("counts = %+v, want %+v", rep.Counts, want)
	}
}

func TestSyncTimeIsTheLastSuccessfulRunThatSawTheRecord(t *testing.T) {
	st := openStore(t)
	sp := spec(t, ModeUsers)
	first := runOK(t, st, sp, pages{recs: users(5)})
	second := runOK(t, st, sp, pages{recs: users(4)}) // user5 is gone
	Run(context.Background(), st, sp, pages{recs: users(6), failAt: 2}, Options{})
	got := map[string]string{}
	err := st.Records(context.Background(), "acme", store.Person, func(r store.Record) error {
		if r.LastSync != nil {
			got[r.Key] = r.LastSync.ID
		} else {
			got[r.Key] = "none"
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got["user1@example.com"] != second.RunID || got["user5@example.com"] != first.RunID {
		t.Errorf("last sync = %v; want user1 %s, user5 %s", got, second.RunID, first.RunID)
	}
	if len(got) != 5 {
		t.Errorf("records = %v", got)
	}
}

// A bad optional value must not drop the user (which would deactivate
// them): the field keeps its stored value; a bad identity makes the
// record invalid instead of falling back to another key.
func TestFailingFieldKeepsTheUser(t *testing.T) {
	st := openStore(t)
	sp := spec(t, ModeUsers)
	m, err := mapping.Compile(map[string]string{
		"user.email":       "email | lower",
		"user.verified_at": "verified | time",
		"user.full_name":   "name",
	})
	if err != nil {
		t.Fatal(err)
	}
	sp.Mapping = m
	recs := users(5)
	for _, r := range recs {
		r["verified"] = "2024-01-02T03:04:05Z"
	}
	runOK(t, st, sp, pages{recs: recs})

	recs = users(5)
	for _, r := range recs {
		r["verified"] = "2024-01-02T03:04:05Z"
	}
	recs[0]["verified"] = "last tuesday"
	recs[0]["name"] = "Renamed"
	rep := runOK(t, st, sp, pages{recs: recs})
	if rep.Counts.Invalid != 0 || rep.Counts.Deactivated != 0 || rep.Counts.Updated != 1 {
		t.Fatalf("counts = %+v; want the user updated, not dropped", rep.Counts)
	}
	var got map[string]string
	st.Records(context.Background(), "acme", store.Person, func(r store.Record) error {
		if r.Key == "user1@example.com" {
			got = r.Fields
		}
		return nil
	})
	if got["verified_at"] != "2024-01-02T03:04:05Z" || got["full_name"] != "Renamed" {
		t.Errorf("user1 = %v; want verified_at kept and full_name updated", got)
	}
}

// A record created by a run that then fails was never seen by a successful
// run: its $sync_time stays empty until one sees it.
func TestCreatedByAFailedRunHasNoSyncTime(t *testing.T) {
	st := openStore(t)
	sp := spec(t, ModeUsers)
	runOK(t, st, sp, pages{recs: users(2)})
	Run(context.Background(), st, sp, pages{recs: users(6), failAt: 3}, Options{}) // creates users 3 and 4, then fails
	last := map[string]*store.Run{}
	st.Records(context.Background(), "acme", store.Person, func(r store.Record) error {
		last[r.Key] = r.LastSync
		return nil
	})
	if len(last) != 4 || last["user1@example.com"] == nil || last["user3@example.com"] != nil {
		t.Fatalf("last sync after a failed run that created records: %v", last)
	}
	ok := runOK(t, st, sp, pages{recs: users(4)})
	st.Records(context.Background(), "acme", store.Person, func(r store.Record) error {
		if r.LastSync == nil || r.LastSync.ID != ok.RunID {
			t.Errorf("%s: last sync %v, want %s", r.Key, r.LastSync, ok.RunID)
		}
		return nil
	})
}

// A source that lists a user on two pages: the later listing wins, once,
// whether the store was empty (the first sync writes without lookups) or
// not, and the repeat costs nobody their status.
func TestUserRepeatedOnTwoPages(t *testing.T) {
	for _, mode := range []string{ModeUsers, ModeSaaSUsers} {
		for _, first := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/first=%v", mode, first), func(t *testing.T) {
				st := openStore(t)
				sp := spec(t, mode)
				if !first {
					runOK(t, st, sp, pages{recs: users(6)[:4]})
				}
				recs := users(6)
				recs[1]["status"] = "inactive" // the later listing says active: it wins
				again := user(2, "active")
				again["name"] = "Renamed"
				recs = append(recs, again) // page 4: user2 again, after its page 1
				rep := runOK(t, st, sp, pages{recs: recs})
				want := store.Counts{Fetched: 7, Created: 6, Updated: 1}
				if !first {
					want = store.Counts{Fetched: 7, Created: 2, Updated: 1, Unchanged: 4}
				}
				if rep.Counts != want {
					t.Errorf("counts = %+v, want %+v", rep.Counts, want)
				}
				var name string
				n := 0
				st.Records(context.Background(), "acme", store.Person, func(r store.Record) error {
					n++
					if r.Key == "user2@example.com" {
						name = r.Fields["full_name"]
					}
					if r.Status != store.Active {
						t.Errorf("%s is %s", r.Key, r.Status)
					}
					return nil
				})
				if n != 6 || name != "Renamed" {
					t.Errorf("%d people, user2's name %q; want 6 and the later listing", n, name)
				}
				again2 := runOK(t, st, sp, pages{recs: recs})
				if again2.Counts.Deactivated != 0 || again2.Counts.Created != 0 {
					t.Errorf("resync counts = %+v", again2.Counts)
				}
			})
		}
	}
}

// Through the engine, in both modes: a run that lists as many records as
// the store keeps active, but not the same ones, still deactivates the
// missing one (store.Sync.missing skips its scan only when the counts of
// distinct active records agree).
func TestMissingFoundWhateverElseIsListed(t *testing.T) {
	cases := []struct {
		name   string
		before func(t *testing.T, st *store.Store, sp Spec) // after a first sync of users 1-10
		recs   func() []vendors.Record                      // user 10 is not among them
	}{
		{"listed twice", nil, func() []vendors.Record {
			return append(users(9), user(1, "active"))
		}},
		{"reactivated", func(t *testing.T, st *store.Store, sp Spec) {
			runOK(t, st, sp, pages{recs: append(users(2), users(10)[3:]...)}) // user 3 deactivated
		}, func() []vendors.Record { return users(9) }},
		{"created inactive", nil, func() []vendors.Record {
			return append(users(9), user(11, "inactive"))
		}},
		{"created active, then listed inactive", nil, func() []vendors.Record {
			return append(append(users(9), user(11, "active")), user(12, "active"), user(11, "inactive"))
		}},
		{"created by a failed run", func(t *testing.T, st *store.Store, sp Spec) {
			if rep := Run(context.Background(), st, sp, pages{recs: append([]vendors.Record{user(11, "active")}, users(10)...), failAt: 4}, Options{}); rep.Outcome != store.OutcomeFailed {
				t.Fatalf("the failing run: %s", rep.Outcome)
			}
		}, func() []vendors.Record {
			return append(users(9), user(11, "active"))
		}},
	}
	for _, mode := range []string{ModeUsers, ModeSaaSUsers} {
		for _, c := range cases {
			t.Run(mode+"/"+c.name, func(t *testing.T) {
				st := openStore(t)
				sp := spec(t, mode)
				sp.MaxDeactivatePercent = 100
				runOK(t, st, sp, pages{recs: users(10)})
				if c.before != nil {
					c.before(t, st, sp)
				}
				rep := runOK(t, st, sp, pages{recs: c.recs()})
				if rep.Counts.Deactivated < 1 {
					t.Errorf("counts %+v: nobody deactivated", rep.Counts)
				}
				kinds := []store.Kind{store.Person}
				if mode == ModeSaaSUsers {
					kinds = append(kinds, store.SaaSUser)
				}
				for _, k := range kinds {
					if s := statuses(t, st, k); s["user10@example.com"] != store.Inactive {
						t.Errorf("%s user10, missing from the run: %q", k, s["user10@example.com"])
					}
				}
			})
		}
	}
}
