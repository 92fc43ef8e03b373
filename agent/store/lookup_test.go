package store

import (
	"context"
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
