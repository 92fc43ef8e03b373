package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// historyLines reads the whole history of the run, limit rows a page.
func historyLines(t *testing.T, st *Store, runID string, limit int) []string {
	t.Helper()
	var out []string
	var cur HistoryCursor
	for pages := 0; ; pages++ {
		cs, next, more, err := st.RunHistory(context.Background(), runID, cur, limit)
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) > limit || (more && len(cs) < limit) || pages > 100 {
			t.Fatalf("history page of %d rows, more %v", len(cs), more)
		}
		for _, c := range cs {
			if c.RunID != runID {
				t.Errorf("history of %s holds a change of run %s", runID, c.RunID)
			}
			out = append(out, fmt.Sprintf("%s %s %s:%s>%s", c.Kind, c.Key, c.Field, c.Old, c.New))
		}
		if !more {
			return out
		}
		cur = next
	}
}

// A run's history is its own creations and changes, paged, whatever
// another integration's run wrote at the same time (its rows lie inside
// the range and are filtered out).
func TestRunHistoryPages(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	syncRun(t, st, "r1", keysN(0, 5), nil)

	// r2 deactivates u003 and u004; meanwhile "other" creates a record
	// and changes a field.
	if err := st.StartRun(ctx, Run{ID: "o1", Integration: "other", Trigger: "manual", StartedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	oy, err := st.BeginSync(ctx, "other", "o1", false)
	if err != nil {
		t.Fatal(err)
	}
	defer oy.Close()
	if err := oy.ApplyPage(ctx, []Write{{Kind: Person, Key: "z@x", Data: `{"email":"z@x"}`, Create: true, Status: Active}}, nil); err != nil {
		t.Fatal(err)
	}
	syncRun(t, st, "r2", keysN(0, 3), nil)
	if _, err := st.db.ExecContext(ctx, `INSERT INTO changes (run_id, integration, kind, key, field, old, new, at) VALUES ('o1', 'other', 'person', 'z@x', 'title', 'a', 'b', 'now')`); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishRun(ctx, Run{ID: "o1", Integration: "other", Outcome: OutcomeSuccess, FinishedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}

	want := []string{"person u000@x :>created", "person u001@x :>created", "person u002@x :>created", "person u003@x :>created", "person u004@x :>created"}
	for _, limit := range []int{1, 2, 5, 10} {
		if got := historyLines(t, st, "r1", limit); !slices.Equal(got, want) {
			t.Errorf("r1 history, %d a page = %q; want %q", limit, got, want)
		}
	}
	if got, want := historyLines(t, st, "r2", 10), []string{"person u003@x status:active>inactive", "person u004@x status:active>inactive"}; !slices.Equal(got, want) {
		t.Errorf("r2 history = %q; want %q", got, want)
	}
	for _, limit := range []int{1, 2, 3} {
		if got, want := historyLines(t, st, "o1", limit), []string{"person z@x :>created", "person z@x title:a>b"}; !slices.Equal(got, want) {
			t.Errorf("o1 history, %d a page = %q; want %q", limit, got, want)
		}
	}
	if _, _, _, err := st.RunHistory(ctx, "nope", HistoryCursor{}, 10); !errors.Is(err, ErrNotFound) {
		t.Errorf("history of an unknown run: %v; want ErrNotFound", err)
	}

	// Each part is a rowid range search in rowid order: no scan, no sort.
	for _, q := range historyParts {
		plan := queryPlan(t, st, q, "r1", 0, 10, 5, 1)
		if len(plan) != 1 || !strings.HasPrefix(plan[0], "SEARCH ") || !strings.Contains(plan[0], "USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)") {
			t.Errorf("history plan %q; want one rowid range SEARCH", plan)
		}
	}
}

// The migration gives the runs of an older store the ranges of what each
// wrote: their history reads as it did through the run ids.
func TestMigrationRecordsRunRanges(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	writeOldStore(t, dir, 7, `INSERT INTO runs (id, integration, trigger_kind, started_at, outcome) VALUES
	('r1', 'acme', 'manual', '2026-01-01', 'success'), ('r2', 'acme', 'manual', '2026-01-02', 'success'),
	('r3', 'acme', 'manual', '2026-01-03', 'failed'), ('r4', 'acme', 'manual', '2026-01-04', 'running');
INSERT INTO people (integration, key, data, status, created_run, created_at) VALUES
	('acme', 'a@x', '{}', 'active', 'r1', 'now'), ('acme', 'b@x', '{}', 'active', 'r1', 'now'), ('acme', 'c@x', '{}', 'active', 'r2', 'now');
INSERT INTO changes (run_id, integration, kind, key, field, old, new, at) VALUES
	('r2', 'acme', 'person', 'a@x', 'title', 'x', 'y', 'now'), ('r4', 'acme', 'person', 'b@x', 'title', 'p', 'q', 'now');`)
	st, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for run, want := range map[string][]string{
		"r1": {"person a@x :>created", "person b@x :>created"},
		"r2": {"person c@x :>created", "person a@x title:x>y"},
		"r3": nil,
		"r4": {"person b@x title:p>q"},
	} {
		if got := historyLines(t, st, run, 10); !slices.Equal(got, want) {
			t.Errorf("%s history after the migration = %q; want %q", run, got, want)
		}
	}
}

func TestRunsAndNotificationsPages(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 5 {
		for _, in := range []string{"acme", "other"} {
			if err := st.StartRun(ctx, Run{ID: fmt.Sprintf("%s-%d", in, i), Integration: in, Trigger: "manual", StartedAt: t0.Add(time.Duration(i) * time.Hour)}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := st.AddNotification(ctx, Notification{Integration: "acme", Event: "run_failed", Subject: fmt.Sprint("n", i)}); err != nil {
			t.Fatal(err)
		}
	}
	runs, err := st.RunsPage(ctx, "acme", 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range runs {
		ids = append(ids, r.ID)
	}
	if want := []string{"acme-2", "acme-1"}; !slices.Equal(ids, want) {
		t.Errorf("runs page = %q; want %q", ids, want)
	}
	ns, err := st.NotificationsPage(ctx, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	var subj []string
	for _, n := range ns {
		subj = append(subj, n.Subject)
	}
	if want := []string{"n3", "n2"}; !slices.Equal(subj, want) {
		t.Errorf("notifications page = %q; want %q", subj, want)
	}
}
