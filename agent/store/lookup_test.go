package store

import (
	"context"
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
