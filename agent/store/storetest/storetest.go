// Package storetest fills a store through its own sync API, as the engine
// does, for the tests of the packages that read it (export, report,
// status): a record written here has the ids, statuses, seen bookkeeping
// and run history a real run leaves.
package storetest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/agentsync/agent/agent/store"
)

// Rec is one record a run lists.
type Rec struct {
	Kind        store.Kind
	Application string // SaaS users only
	Key         string
	Fields      map[string]string // without the target prefix; custom fields as "custom.x"
	Inactive    bool              // inactive at the source
}

// Open opens a store in a fresh folder, closed when t ends (after checking
// its kept counts of active records against the records).
func Open(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Whatever the runs did, the store's counts of active records
		// still match the records.
		if err := st.CheckActiveCounts(context.Background()); err != nil {
			t.Error(err)
		}
		st.Close()
	})
	return st
}

type scope struct {
	kind store.Kind
	app  string
}

// Sync records one successful run of the integration, started at started,
// whose complete fetch listed recs: new keys are created, changed ones
// updated, and, in each kind (and application) recs names, a stored record
// missing from recs is deactivated, one listed inactive too, one listed
// active again reactivated.
func Sync(t testing.TB, st *store.Store, integration, runID string, started time.Time, recs []Rec) {
	t.Helper()
	ctx := context.Background()
	prev := ""
	if last, err := st.LastRun(ctx, integration, store.OutcomeSuccess); err == nil {
		prev = last.ID
	}
	run := store.Run{ID: runID, Integration: integration, Trigger: "manual", StartedAt: started}
	if err := st.StartRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	y, err := st.BeginSync(ctx, integration, runID, false)
	if err != nil {
		t.Fatal(err)
	}
	defer y.Close()
	var order []scope
	groups := map[scope][]Rec{}
	for _, r := range recs {
		sc := scope{r.Kind, r.Application}
		if _, ok := groups[sc]; !ok {
			order = append(order, sc)
		}
		groups[sc] = append(groups[sc], r)
	}
	var scopes []store.Scope
	for _, sc := range order {
		rs := groups[sc]
		keys := make([]string, len(rs))
		for i, r := range rs {
			keys[i] = r.Key
		}
		ex, err := y.Lookup(ctx, sc.kind, sc.app, keys)
		if err != nil {
			t.Fatal(err)
		}
		var writes []store.Write
		var seen []store.Seen
		for i, r := range rs {
			data, err := json.Marshal(r.Fields)
			if err != nil {
				t.Fatal(err)
			}
			if r.Fields == nil {
				data = []byte("{}")
			}
			if !ex[i].Found {
				writes = append(writes, store.Write{Kind: r.Kind, Application: r.Application, Key: r.Key, Data: string(data),
					Create: true, Status: store.StatusOf(!r.Inactive)})
				continue
			}
			if ex[i].Hash != store.DataHash(data) {
				writes = append(writes, store.Write{Kind: r.Kind, Application: r.Application, Key: r.Key, ID: ex[i].ID, Data: string(data)})
			}
			seen = append(seen, store.Seen{Kind: r.Kind, Application: r.Application, Key: r.Key, Existing: ex[i], Active: !r.Inactive})
		}
		if err := y.ApplyPage(ctx, writes, seen); err != nil {
			t.Fatal(err)
		}
		if _, err := y.Plan(ctx, sc.kind, sc.app); err != nil {
			t.Fatal(err)
		}
		scopes = append(scopes, store.Scope{Kind: sc.kind, Application: sc.app})
	}
	run.Outcome, run.FinishedAt = store.OutcomeSuccess, started.Add(time.Second)
	if err := y.Commit(ctx, run, prev, scopes, true); err != nil {
		t.Fatal(err)
	}
}
