package store

import (
	"context"
	"slices"
	"testing"
	"time"
)

// listing is one record a test run lists: its key and its status at the
// source.
type listing struct {
	key    string
	active bool
}

func on(keys ...string) []listing {
	out := make([]listing, len(keys))
	for i, k := range keys {
		out[i] = listing{k, true}
	}
	return out
}

func off(keys ...string) []listing {
	out := on(keys...)
	for i := range out {
		out[i].active = false
	}
	return out
}

// runOpts is how listRun ends.
type runOpts struct {
	dry     bool
	fail    bool // the run fails after its pages: no commit, FinishRun failed
	partial bool // a push
	prev    string
}

// listRun is one run through the store's API, as the engine diffs: a key
// not found is created with its listed status; one this run created and
// lists again with another status gets that status (a write); any other
// is seen. It returns the plan and whether the plan scanned the scope.
func listRun(t *testing.T, st *Store, id string, pages [][]listing, o runOpts) (StatusPlan, bool) {
	t.Helper()
	ctx := context.Background()
	run := Run{ID: id, Integration: "acme", Trigger: "manual", StartedAt: time.Now()}
	if !o.dry {
		if err := st.StartRun(ctx, run); err != nil {
			t.Fatal(err)
		}
	}
	y, err := st.BeginSync(ctx, "acme", id, o.dry)
	if err != nil {
		t.Fatal(err)
	}
	defer y.Close()
	if o.partial {
		y.Partial()
	}
	for _, page := range pages {
		keys := make([]string, len(page))
		for i, l := range page {
			keys[i] = l.key
		}
		ex, err := y.Lookup(ctx, Person, "", keys)
		if err != nil {
			t.Fatal(err)
		}
		var writes []Write
		var seen []Seen
		for i, l := range page {
			data := `{"email":"` + l.key + `"}`
			switch e := ex[i]; {
			case !e.Found:
				writes = append(writes, Write{Kind: Person, Key: l.key, Data: data, Create: true, Status: StatusOf(l.active)})
			case e.CreatedNow:
				if e.Active != l.active {
					writes = append(writes, Write{Kind: Person, Key: l.key, ID: e.ID, Data: data, Status: StatusOf(l.active)})
				}
			default:
				seen = append(seen, Seen{Kind: Person, Key: l.key, Existing: e, Active: l.active})
			}
		}
		if err := y.ApplyPage(ctx, writes, seen); err != nil {
			t.Fatal(err)
		}
	}
	if o.fail {
		run.Outcome, run.FinishedAt, run.Error = OutcomeFailed, time.Now(), "the source failed"
		if err := st.FinishRun(ctx, run); err != nil {
			t.Fatal(err)
		}
		return StatusPlan{}, false
	}
	p, err := y.Plan(ctx, Person, "")
	if err != nil {
		t.Fatal(err)
	}
	scanned := y.kind(Person, "").scanned
	if !o.dry {
		run.Outcome, run.FinishedAt = OutcomeSuccess, time.Now()
		if err := y.Commit(ctx, run, o.prev, []Scope{{Kind: Person}}, true); err != nil {
			t.Fatal(err)
		}
	}
	return p, scanned
}

// statuses is every person's status and seen_until, by key.
func statuses(t *testing.T, st *Store) map[string]string {
	t.Helper()
	out := map[string]string{}
	rows, err := st.db.Query(`SELECT key, status, coalesce(seen_until, 'NULL') FROM people WHERE integration = 'acme'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, s, seen string
		if err := rows.Scan(&k, &s, &seen); err != nil {
			t.Fatal(err)
		}
		out[k] = s + " " + seen
	}
	return out
}

// The end of a run skips the scan for missing records only when the
// count of distinct listed records active in the store equals the kept
// count less this run's active creations. Each case would deactivate too
// few if that comparison counted the wrong records (a wrong skip leaves a
// missing person active); want says what every record must end as, and
// scan whether the scope must be scanned (a scan where none is needed is
// only slower, but the cases say which path they test).
func TestSkipTheMissingScanOnlyWhenNobodyIsMissing(t *testing.T) {
	type step struct {
		pages [][]listing
		o     runOpts
	}
	cases := []struct {
		name  string
		setup []step // run r0, r1, ... before the tested run
		pages [][]listing
		o     runOpts
		scan  bool
		plan  [2]int            // deactivate, reactivate
		want  map[string]string // status and seen_until after the tested run ("" = not checked)
	}{
		{name: "nobody missing", setup: []step{{pages: [][]listing{on("a", "b", "c")}}},
			pages: [][]listing{on("a", "b"), on("c")},
			want:  map[string]string{"a": "active NULL", "b": "active NULL", "c": "active NULL"}},
		{name: "one missing", setup: []step{{pages: [][]listing{on("a", "b", "c")}}},
			pages: [][]listing{on("a", "c")}, o: runOpts{prev: "r0"}, scan: true, plan: [2]int{1, 0},
			want: map[string]string{"a": "active NULL", "b": "inactive r0", "c": "active NULL"}},
		{name: "listed twice, another missing", setup: []step{{pages: [][]listing{on("a", "b", "c")}}},
			pages: [][]listing{on("a", "c"), on("a")}, o: runOpts{prev: "r0"}, scan: true, plan: [2]int{1, 0},
			want: map[string]string{"a": "active NULL", "b": "inactive r0", "c": "active NULL"}},
		{name: "listed twice, active then inactive", setup: []step{{pages: [][]listing{on("a", "b", "c")}}},
			pages: [][]listing{on("a", "b"), off("a"), on("c")}, plan: [2]int{1, 0},
			want: map[string]string{"a": "inactive NULL", "b": "active NULL", "c": "active NULL"}},
		{name: "reactivated while another is missing", setup: []step{
			{pages: [][]listing{on("a", "b", "c")}},
			{pages: [][]listing{on("a", "b")}, o: runOpts{prev: "r0"}}, // c deactivated, seen until r0
		},
			pages: [][]listing{on("a", "c")}, o: runOpts{prev: "r1"}, scan: true, plan: [2]int{1, 1},
			want: map[string]string{"a": "active NULL", "b": "inactive r1", "c": "active NULL"}},
		{name: "created active while another is missing", setup: []step{{pages: [][]listing{on("a", "b")}}},
			pages: [][]listing{on("a", "d")}, o: runOpts{prev: "r0"}, scan: true, plan: [2]int{1, 0},
			want: map[string]string{"a": "active NULL", "b": "inactive r0", "d": "active NULL"}},
		{name: "created inactive while another is missing", setup: []step{{pages: [][]listing{on("a", "b")}}},
			pages: [][]listing{on("a"), off("d")}, o: runOpts{prev: "r0"}, scan: true, plan: [2]int{1, 0},
			want: map[string]string{"a": "active NULL", "b": "inactive r0", "d": "inactive NULL"}},
		{name: "created active, listed inactive later, another missing", setup: []step{{pages: [][]listing{on("a", "b")}}},
			pages: [][]listing{on("a", "d"), off("d")}, o: runOpts{prev: "r0"}, scan: true, plan: [2]int{1, 0},
			want: map[string]string{"a": "active NULL", "b": "inactive r0", "d": "inactive NULL"}},
		{name: "created inactive, listed active later, another missing", setup: []step{{pages: [][]listing{on("a", "b")}}},
			pages: [][]listing{on("a"), off("d"), on("d")}, o: runOpts{prev: "r0"}, scan: true, plan: [2]int{1, 0},
			want: map[string]string{"a": "active NULL", "b": "inactive r0", "d": "active NULL"}},
		{name: "created and flipped, nobody missing", setup: []step{{pages: [][]listing{on("a", "b")}}},
			pages: [][]listing{on("a", "d"), off("d"), on("b"), off("e"), on("e")},
			want:  map[string]string{"a": "active NULL", "b": "active NULL", "d": "inactive NULL", "e": "active NULL"}},
		{name: "created by a failed run, missing now", setup: []step{
			{pages: [][]listing{on("a", "b")}},
			{pages: [][]listing{on("a", "b", "e")}, o: runOpts{fail: true}}, // e: active, seen_until ''
		},
			pages: [][]listing{on("a", "b")}, o: runOpts{prev: "r0"}, scan: true, plan: [2]int{1, 0},
			want: map[string]string{"a": "active NULL", "b": "active NULL", "e": "inactive "}},
		{name: "created by a failed run, listed now, another missing", setup: []step{
			{pages: [][]listing{on("a", "b")}},
			{pages: [][]listing{on("a", "b", "e")}, o: runOpts{fail: true}},
		},
			pages: [][]listing{on("a", "e")}, o: runOpts{prev: "r0"}, scan: true, plan: [2]int{1, 0},
			want: map[string]string{"a": "active NULL", "b": "inactive r0", "e": "active NULL"}},
		{name: "created by a failed run, listed now, nobody missing", setup: []step{
			{pages: [][]listing{on("a", "b")}},
			{pages: [][]listing{on("a", "b", "e")}, o: runOpts{fail: true}},
		},
			pages: [][]listing{on("a", "e", "b")},
			want:  map[string]string{"a": "active NULL", "b": "active NULL", "e": "active NULL"}},
		{name: "inactive seen by the last success, not listed now", setup: []step{
			{pages: [][]listing{on("a", "b"), off("c")}}, // c: inactive, seen_until NULL
		},
			pages: [][]listing{on("a", "b")}, o: runOpts{prev: "r0"},
			want: map[string]string{"a": "active NULL", "b": "active NULL", "c": "inactive r0"}},
		{name: "inactive not seen by the last success, listed now", setup: []step{
			{pages: [][]listing{on("a", "b"), off("c")}},
			{pages: [][]listing{on("a", "b")}, o: runOpts{prev: "r0"}}, // c: seen until r0
		},
			pages: [][]listing{on("a", "b"), off("c")}, o: runOpts{prev: "r1"},
			want: map[string]string{"a": "active NULL", "b": "active NULL", "c": "inactive NULL"}},
		{name: "dry run, one missing", setup: []step{{pages: [][]listing{on("a", "b", "c")}}},
			pages: [][]listing{on("a", "d"), on("c")}, o: runOpts{dry: true}, scan: true, plan: [2]int{1, 0},
			want: map[string]string{"a": "active NULL", "b": "active NULL", "c": "active NULL"}},
		{name: "dry run, created inactive, one missing", setup: []step{{pages: [][]listing{on("a", "b")}}},
			pages: [][]listing{on("a"), off("d")}, o: runOpts{dry: true}, scan: true, plan: [2]int{1, 0},
			want: map[string]string{"a": "active NULL", "b": "active NULL"}},
		{name: "push of one inactive", setup: []step{{pages: [][]listing{on("a", "b", "c")}}},
			pages: [][]listing{off("b")}, o: runOpts{partial: true, prev: "r0"}, scan: true, plan: [2]int{1, 0},
			want: map[string]string{"a": "active r0", "b": "inactive NULL", "c": "active r0"}},
		{name: "push of one new", setup: []step{{pages: [][]listing{on("a", "b")}}},
			pages: [][]listing{on("d")}, o: runOpts{partial: true, prev: "r0"}, scan: true,
			want: map[string]string{"a": "active r0", "b": "active r0", "d": "active NULL"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := openTest(t)
			for i, s := range c.setup {
				listRun(t, st, "r"+string(rune('0'+i)), s.pages, s.o)
			}
			p, scanned := listRun(t, st, "now", c.pages, c.o)
			if scanned != c.scan {
				t.Errorf("scanned the scope: %v, want %v", scanned, c.scan)
			}
			if got := [2]int{p.Deactivate, p.Reactivate}; got != c.plan {
				t.Errorf("plan deactivates, reactivates %v; want %v (%+v)", got, c.plan, p)
			}
			if got := statuses(t, st); len(got) != len(c.want) {
				t.Errorf("records %v; want %v", got, c.want)
			} else {
				for k, w := range c.want {
					if got[k] != w {
						t.Errorf("%s: %q; want %q", k, got[k], w)
					}
				}
			}
			if err := st.CheckActiveCounts(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
}

// The guard's base is the kept count: the active records before the run,
// this run's creations left out.
func TestPlanActiveIsTheKeptCount(t *testing.T) {
	st := openTest(t)
	listRun(t, st, "r0", [][]listing{on("a", "b", "c", "d"), off("x")}, runOpts{})
	p, _ := listRun(t, st, "r1", [][]listing{on("a", "e", "f"), off("g")}, runOpts{prev: "r0", dry: true})
	if p.Active != 4 || p.Deactivate != 3 {
		t.Errorf("plan %+v; want 3 of 4 active deactivated", p)
	}
}

// Migration 11 counts the records an older store holds, per integration,
// kind and application.
func TestMigrationCountsActiveRecords(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	writeOldStore(t, dir, 10, `INSERT INTO people (integration, key, data, status, seen_until, created_at) VALUES
	('acme', 'a', '{}', 'active', NULL, 'now'), ('acme', 'b', '{}', 'inactive', NULL, 'now'), ('acme', 'c', '{}', 'active', 'r1', 'now'),
	('other', 'a', '{}', 'inactive', 'r1', 'now');
INSERT INTO saas_users (integration, application, key, data, status, created_at) VALUES
	('acme', 'X', 'a', '{}', 'active', 'now'), ('acme', 'Y', 'a', '{}', 'active', 'now'), ('acme', 'Y', 'b', '{}', 'active', 'now');
INSERT INTO invoices (integration, key, data, status, created_at) VALUES ('acme', 'i1', '{}', 'active', 'now');`)
	st, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var got []string
	rows, err := st.db.QueryContext(ctx, `SELECT integration || ' ' || kind || ' ' || application || ' ' || active FROM active_counts ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		rows.Scan(&s)
		got = append(got, s)
	}
	want := []string{"acme invoice  1", "acme person  2", "acme saas_user X 1", "acme saas_user Y 2"}
	if !slices.Equal(got, want) {
		t.Errorf("active_counts %q; want %q", got, want)
	}
	if err := st.CheckActiveCounts(ctx); err != nil {
		t.Error(err)
	}
	// The inactive records the latest success saw are in their index.
	plan := queryPlan(t, st, `SELECT t.id FROM people t INDEXED BY people_seen_inactive WHERE t.integration = ? AND t.status = 'inactive' AND t.seen_until IS NULL`, "acme")
	if len(plan) != 1 || plan[0] != "SEARCH t USING INDEX people_seen_inactive (integration=?)" {
		t.Errorf("plan %q", plan)
	}
}

// CheckActiveCounts reports a count that no longer matches the records.
func TestCheckActiveCountsFindsADifference(t *testing.T) {
	st := openTest(t)
	listRun(t, st, "r0", [][]listing{on("a", "b")}, runOpts{})
	if err := st.CheckActiveCounts(context.Background()); err != nil {
		t.Fatal(err)
	}
	st.db.Exec(`UPDATE people SET status = 'inactive' WHERE key = 'a'`)
	if err := st.CheckActiveCounts(context.Background()); err == nil {
		t.Error("a status changed behind the count's back: no error")
	}
	st.db.Exec(`UPDATE people SET status = 'active' WHERE key = 'a'`)
}
