package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// beginRun starts run id of integration and its session, closed when t
// ends.
func beginRun(t *testing.T, st *Store, integration, id string) *Sync {
	t.Helper()
	ctx := context.Background()
	if err := st.StartRun(ctx, Run{ID: id, Integration: integration, Trigger: "manual", StartedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	y, err := st.BeginSync(ctx, integration, id, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { y.Close() })
	return y
}

// syncRun runs one sync through the store's API the way the engine does:
// look the keys up, create the missing, mark the found seen, plan, commit.
func syncRun(t *testing.T, st *Store, id string, keys []string, inactive map[string]bool) StatusPlan {
	t.Helper()
	ctx := context.Background()
	run := Run{ID: id, Integration: "acme", Trigger: "manual", StartedAt: time.Now()}
	if err := st.StartRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	y, err := st.BeginSync(ctx, "acme", id, false)
	if err != nil {
		t.Fatal(err)
	}
	defer y.Close()
	for len(keys) > 0 {
		page := keys[:min(len(keys), 4)]
		keys = keys[len(page):]
		ex, err := y.Lookup(ctx, Person, "", page)
		if err != nil {
			t.Fatal(err)
		}
		var writes []Write
		var seen []Seen
		for i, k := range page {
			if !ex[i].Found {
				writes = append(writes, Write{Kind: Person, Key: k, Data: `{"email":"` + k + `"}`, Create: true, Status: Active})
				continue
			}
			seen = append(seen, Seen{Kind: Person, Key: k, Existing: ex[i], Active: !inactive[k]})
		}
		if err := y.ApplyPage(ctx, writes, seen); err != nil {
			t.Fatal(err)
		}
	}
	p, err := y.Plan(ctx, Person, "")
	if err != nil {
		t.Fatal(err)
	}
	run.Outcome, run.FinishedAt = OutcomeSuccess, time.Now()
	if err := y.Commit(ctx, run, "", []Scope{{Kind: Person}}, true); err != nil {
		t.Fatal(err)
	}
	return p
}

func keysN(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("u%03d@x", i))
	}
	return out
}

// The records a fetch did not list are found batch by batch (here 7 at a
// time, over 25 records), whatever the batch boundaries; a run that
// listed everybody scans nothing and plans nothing.
func TestPlanFindsTheMissingAcrossBatches(t *testing.T) {
	defer func(n int) { missingBatch = n }(missingBatch)
	missingBatch = 7
	st, err := Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if p := syncRun(t, st, "r1", keysN(0, 25), nil); p.Deactivate != 0 || p.newlyMissing != 0 {
		t.Fatalf("first sync plan = %+v", p)
	}
	if p := syncRun(t, st, "r2", keysN(0, 25), nil); p.Deactivate+p.Reactivate+p.newlyMissing+p.returning != 0 {
		t.Fatalf("no-change plan = %+v; want nothing", p)
	}
	// Missing: 0, 6, 7, 13, 14, 24 (on both sides of every batch edge);
	// listed inactive: 3.
	var listed []string
	gone := map[string]bool{}
	for i, k := range keysN(0, 25) {
		switch i {
		case 0, 6, 7, 13, 14, 24:
			gone[k] = true
		default:
			listed = append(listed, k)
		}
	}
	p := syncRun(t, st, "r3", listed, map[string]bool{"u003@x": true})
	if p.Deactivate != 7 || p.Active != 25 || p.newlyMissing != 6 || len(p.Staged) != 7 {
		t.Fatalf("plan = %+v; want 7 of 25 deactivated, 6 newly missing", p)
	}
	got := map[string]bool{}
	err = st.Records(context.Background(), "acme", Person, func(r Record) error {
		if r.Status == Inactive {
			got[r.Key] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	gone["u003@x"] = true
	if len(got) != len(gone) {
		t.Fatalf("inactive = %v, want %v", got, gone)
	}
	for k := range gone {
		if !got[k] {
			t.Errorf("%s should be inactive", k)
		}
	}
	// They come back: reactivated, and nobody is missing any more.
	if p := syncRun(t, st, "r4", keysN(0, 25), nil); p.Reactivate != 7 || p.Deactivate != 0 || p.returning != 6 {
		t.Errorf("return plan = %+v; want 7 reactivated, 6 returning", p)
	}
}

// A creation's status is bound as whether it is active: an inactive one
// is stored inactive, deactivated when it was created; an active one has
// no deactivation time; a status that is neither is refused.
func TestCreationStatus(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	y := beginRun(t, st, "acme", "r1")
	bad := []Write{{Kind: Person, Key: "c", Data: `{}`, Create: true, Status: "gone"}}
	if err := y.ApplyPage(ctx, bad, nil); err == nil || !strings.Contains(err.Error(), `"gone"`) {
		t.Errorf("a creation with status gone: %v; want an error naming it", err)
	}
	ws := []Write{
		{Kind: Person, Key: "a", Data: `{}`, Create: true, Status: Active},
		{Kind: Person, Key: "b", Data: `{}`, Create: true, Status: Inactive},
		{Kind: SaaSUser, Application: "Acme", Key: "a", Data: `{}`, Create: true, Status: Inactive},
	}
	if err := y.ApplyPage(ctx, ws, nil); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range []Kind{Person, SaaSUser} {
		err := st.Records(ctx, "acme", k, func(r Record) error {
			deact := "-"
			if !r.DeactivatedAt.IsZero() {
				deact = "at creation"
				if !r.DeactivatedAt.Equal(r.CreatedAt) {
					deact = r.DeactivatedAt.String() + " != " + r.CreatedAt.String()
				}
			}
			got = append(got, string(k)+" "+r.Key+" "+r.Status+" "+deact)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"person a active -", "person b inactive at creation", "saas_user a inactive at creation"}
	if !slices.Equal(got, want) {
		t.Errorf("records %q; want %q", got, want)
	}
}
