package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// A key lookup is one index probe a key, for both kinds: json_each is the
// outer loop and the record is found through its key index, never by a
// scan of the table (which a planner choice once did, after a killed run).
func TestLookupPlan(t *testing.T) {
	st := openTest(t)
	syncRun(t, st, "r1", keysN(0, 50), nil)
	y, err := st.BeginSync(context.Background(), "acme", "r2", true)
	if err != nil {
		t.Fatal(err)
	}
	defer y.Close()
	for _, tc := range []struct {
		kind  Kind
		app   string
		index string
	}{{Person, "", "people_by_key"}, {SaaSUser, "Acme", "saas_users_by_key"}} {
		where, args := y.where(tc.kind, tc.app)
		plan := queryPlan(t, st, lookupSQL(tc.kind, where), append([]any{"r2", `["u001@x"]`}, args...)...)
		if len(plan) != 2 || !strings.HasPrefix(plan[0], "SCAN j") || !strings.HasPrefix(plan[1], "SEARCH t USING INDEX "+tc.index+" (") {
			t.Errorf("%s lookup plan = %q; want SCAN j, then SEARCH t USING INDEX %s", tc.kind, plan, tc.index)
		}
		// The guess: the first key through the index, once; every key by rowid.
		plan = queryPlan(t, st, guessSQL(tc.kind, where), append(append([]any{"r2", `["u001@x"]`}, args...), args...)...)
		if len(plan) != 4 || !strings.HasPrefix(plan[0], "SCAN j") || !strings.HasPrefix(plan[1], "SEARCH t USING INTEGER PRIMARY KEY (rowid=?)") ||
			!strings.HasPrefix(plan[2], "SCALAR SUBQUERY") || !strings.Contains(plan[3], "INDEX "+tc.index+" (") {
			t.Errorf("%s guess plan = %q; want SCAN j, SEARCH t by rowid, a scalar subquery through %s", tc.kind, plan, tc.index)
		}
	}
}

// The missing-records scan reads the same ids whichever way it goes: a
// row an id through the key index (a scope that is a small part of its
// table), or the table's rowid chunks, one text a chunk (a scope that
// fills it), whatever the chunk size; and the chunks are rowid ranges,
// never the key index.
func TestEachIDBothWays(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	syncRun(t, st, "r1", keysN(0, 40), map[string]bool{"u003@x": true, "u017@x": true})
	y, err := st.BeginSync(ctx, "acme", "r2", true)
	if err != nil {
		t.Fatal(err)
	}
	defer y.Close()
	where, args := y.scope(Person, "")
	where += ` AND (t.status = 'active' OR t.seen_until IS NULL)`
	collect := func(size int64) []int64 {
		var ids []int64
		if err := y.eachID(ctx, y.conn, "people t", where, args, size, func(id int64) error {
			ids = append(ids, id)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		slices.Sort(ids)
		return ids
	}
	byIndex := collect(0)
	if len(byIndex) != 40 {
		t.Fatalf("by the index: %d ids, want 40 (38 active, 2 inactive seen by r1)", len(byIndex))
	}
	defer func(n int64) { scanChunk = n }(scanChunk)
	for _, chunk := range []int64{1, 7, 40, 1 << 16} {
		scanChunk = chunk
		if got := collect(1000); !slices.Equal(got, byIndex) {
			t.Errorf("chunks of %d: %v, want %v", chunk, got, byIndex)
		}
	}
	q := `SELECT group_concat(t.id) FROM people t WHERE t.id > ? AND t.id <= ? AND ` + strings.Replace(where, "t.integration = ?", "+t.integration = ?", 1)
	plan := queryPlan(t, st, q, append([]any{0, 100}, args...)...)
	if len(plan) != 1 || !strings.HasPrefix(plan[0], "SEARCH t USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)") {
		t.Errorf("chunk plan = %q; want a rowid range", plan)
	}
}

// Lookup's guess by rowid (guessSQL) answers what the key index answers,
// whatever the order the keys come in: the stored order, reversed, with
// records gone or unknown keys in between, a first key it does not know;
// and with another integration's records, of the same keys, stored in
// between (at the very ids it guesses).
func TestLookupGuessesOnlyWhatTheIndexFinds(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	keys := keysN(0, 60)
	// acme and other store the same keys, a page of 10 each in turn,
	// other a page ahead: after acme's u000-u009 come other's u010-u019,
	// where a guess from acme's u005 looks for acme's u010.
	syncs := []*Sync{beginRun(t, st, "acme", "acme1"), beginRun(t, st, "other", "other1")}
	for p := 0; p < len(keys); p += 10 {
		for i, y := range syncs {
			var ws []Write
			q := (p + 10*i) % len(keys)
			for _, k := range keys[q : q+10] {
				ws = append(ws, Write{Kind: Person, Key: k, Data: `{"email":"` + k + `"}`, Create: true, Status: Active})
			}
			if err := y.ApplyPage(ctx, ws, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	rev := slices.Clone(keys)
	slices.Reverse(rev)
	var gaps, unknown []string
	for i, k := range keys {
		if i%7 != 3 {
			gaps = append(gaps, k)
		}
		unknown = append(unknown, k)
		if i%5 == 0 {
			unknown = append(unknown, fmt.Sprintf("new%d@x", i))
		}
	}
	for _, tc := range []struct {
		name  string
		keys  []string
		pause bool // the guess misses most: the next pages are not guessed
	}{
		{"the stored order", keys, false},
		{"pages across the stored ones", keys[5:], false},
		{"reversed", rev, true},
		{"records gone", gaps, true},
		{"unknown keys between", unknown, true},
		{"an unknown first key", append([]string{"zzz@x"}, keys...), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			y, err := st.BeginSync(ctx, "acme", "r-"+tc.name, true)
			if err != nil {
				t.Fatal(err)
			}
			defer y.Close()
			where, args := y.where(Person, "")
			for p := 0; p < len(tc.keys); p += 10 {
				page := tc.keys[p:min(p+10, len(tc.keys))]
				got, err := y.Lookup(ctx, Person, "", page)
				if err != nil {
					t.Fatal(err)
				}
				js, _ := json.Marshal(page)
				var found sql.NullString
				if err := y.conn.QueryRowContext(ctx, lookupSQL(Person, where), append([]any{y.runNum, string(js)}, args...)...).Scan(&found); err != nil {
					t.Fatal(err)
				}
				want := make([]Existing, len(page))
				if err := parseLookup(found.String, want); err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got, want) {
					t.Fatalf("page %q:\n got %+v\nwant %+v", page, got, want)
				}
				if p == 0 {
					if paused := y.kind(Person, "").guessSkip > 0; paused != tc.pause {
						t.Errorf("after the first page, guessing paused = %v; want %v", paused, tc.pause)
					}
				}
			}
		})
	}
}
