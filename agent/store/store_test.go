package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// openTest opens a store in a fresh folder, closed when t ends.
func openTest(t *testing.T) *Store {
	t.Helper()
	st, err := Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Whatever the test did through the API, the kept counts of
		// active records still match the records (counts.go).
		if err := st.CheckActiveCounts(context.Background()); err != nil {
			t.Error(err)
		}
		st.Close()
	})
	return st
}

// queryPlan is the detail column of EXPLAIN QUERY PLAN for query, a step a line.
func queryPlan(t *testing.T, st *Store, query string, args ...any) []string {
	t.Helper()
	rows, err := st.db.Query(`EXPLAIN QUERY PLAN `+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan
}

// writeOldStore writes, in dir, a store of schema version (the first
// version migrations) holding what seed inserts, as an older agent left it.
func writeOldStore(t *testing.T, dir string, version int, seed string) {
	t.Helper()
	ctx := context.Background()
	old, err := sql.Open("sqlite", "file:"+filepath.ToSlash(filepath.Join(dir, FileName)))
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	for i, m := range migrations[:version] {
		if _, err := old.ExecContext(ctx, m); err != nil {
			t.Fatalf("migration %d: %v", i+1, err)
		}
	}
	if _, err := old.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d;\n", version)+seed); err != nil {
		t.Fatal(err)
	}
}

func TestOpenMigratesOnceAndUsesWAL(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "nested", "data")
	st, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	var mode string
	if err := st.db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	if runtime.GOOS != "windows" {
		for _, f := range []string{FileName, FileName + "-wal"} {
			fi, err := os.Stat(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s: mode %v, want 0600 (it holds the user directory)", f, fi.Mode().Perm())
			}
		}
	}
	if err := st.StartRun(ctx, Run{ID: "r1", Integration: "acme", Trigger: "manual", StartedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	// Reopening applies nothing twice and keeps the data.
	st, err = Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var v int
	st.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	if v != len(migrations) {
		t.Errorf("user_version = %d, want %d", v, len(migrations))
	}
	r, err := st.Run(ctx, "r1")
	if err != nil || r.Outcome != OutcomeRunning {
		t.Errorf("run after reopen = %+v, %v", r, err)
	}
	if err := st.IntegrityCheck(ctx); err != nil {
		t.Error(err)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	st.db.ExecContext(ctx, "PRAGMA user_version = 99")
	st.Close()
	if _, err := Open(ctx, dir); err == nil {
		t.Fatal("opening a store from a newer agent must fail")
	}
}

func TestRunsRoundTrip(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	for i, outcome := range []string{OutcomeSuccess, OutcomeFailed} {
		r := Run{ID: string(rune('a' + i)), Integration: "acme", Trigger: "schedule", StartedAt: t0.Add(time.Duration(i) * time.Hour), CredentialName: "cred"}
		if err := st.StartRun(ctx, r); err != nil {
			t.Fatal(err)
		}
		r.Outcome, r.FinishedAt, r.Counts = outcome, r.StartedAt.Add(time.Minute), Counts{Fetched: 3, Created: i}
		if i == 1 {
			r.SaaSCounts = &Counts{Fetched: 3}
			r.Error = "boom"
		}
		if err := st.FinishRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	last, err := st.LastRun(ctx, "acme", "")
	if err != nil || last.ID != "b" || last.Error != "boom" || last.SaaSCounts == nil || last.Counts.Created != 1 {
		t.Errorf("last run = %+v, %v", last, err)
	}
	ok, err := st.LastRun(ctx, "acme", OutcomeSuccess)
	if err != nil || ok.ID != "a" || !ok.StartedAt.Equal(t0) || ok.CredentialName != "cred" {
		t.Errorf("last success = %+v, %v", ok, err)
	}
	if _, err := st.LastRun(ctx, "other", ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("no runs: err = %v, want ErrNotFound", err)
	}
	st.StartRun(ctx, Run{ID: "z", Integration: "beta", Trigger: "manual", StartedAt: t0})
	runs, err := st.LastRuns(ctx)
	if err != nil || len(runs) != 2 || runs[0].ID != "b" || runs[1].ID != "z" || runs[1].Outcome != OutcomeRunning {
		t.Errorf("last runs = %+v, %v; want b of acme, z of beta", runs, err)
	}
}

func TestNotifications(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	if _, err := st.AddNotification(ctx, Notification{Integration: "acme", Event: "run_failed", Subject: "s", Body: "b", Recipients: []string{"a@example.com"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddNotification(ctx, Notification{Integration: "acme", Event: "run_missed", Subject: "s2"}); err != nil {
		t.Fatal(err)
	}
	ns, err := st.Notifications(ctx, 0)
	if err != nil || len(ns) != 2 {
		t.Fatalf("notifications = %v, %v", ns, err)
	}
	if ns[0].Event != "run_missed" || ns[0].EmailStatus != "none" || ns[1].EmailStatus != "pending" || ns[1].Recipients[0] != "a@example.com" {
		t.Errorf("notifications = %+v", ns)
	}
}

func TestFailInterrupted(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	st.StartRun(ctx, Run{ID: "r1", Integration: "acme", Trigger: "manual", StartedAt: time.Now()})
	st.StartRun(ctx, Run{ID: "r2", Integration: "other", Trigger: "manual", StartedAt: time.Now()})
	if runs, err := st.FailInterrupted(ctx, "acme"); err != nil || len(runs) != 1 {
		t.Fatalf("FailInterrupted = %+v, %v", runs, err)
	}
	r1, _ := st.Run(ctx, "r1")
	r2, _ := st.Run(ctx, "r2")
	if r1.Outcome != OutcomeFailed || r1.FinishedAt.IsZero() || r2.Outcome != OutcomeRunning {
		t.Errorf("r1 = %+v, r2 = %+v", r1, r2)
	}
}

// Two processes (here: two handles) opening a new store at once must not
// both apply a migration.
func TestConcurrentOpenMigratesOnce(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			st, err := Open(ctx, dir)
			if err == nil {
				st.Close()
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// A store written by the previous schema (5: records keyed by text) opens
// as schema 6 with every record, its status and bookkeeping intact, and
// the key index in place.
func TestMigrationToIntegerIDsKeepsRecords(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	writeOldStore(t, dir, 5, `INSERT INTO runs (id, integration, trigger_kind, started_at, outcome) VALUES ('r0', 'acme', 'manual', '2026-01-01T00:00:00.000000000Z', 'success');
INSERT INTO people (integration, key, username, email, data, data_hash, status, deactivated_at, seen_until, created_run, created_at, updated_at) VALUES
	('acme', 'b@x', 'b@x', 'b@x', '{"email":"b@x"}', 7, 'inactive', '2026-01-02T00:00:00.000000000Z', 'r1', 'r0', '2026-01-01T00:00:00.000000000Z', '2026-01-02T00:00:00.000000000Z'),
	('acme', 'a@x', 'a@x', 'a@x', '{"email":"a@x"}', NULL, 'active', NULL, NULL, 'r0', '2026-01-01T00:00:00.000000000Z', '2026-01-01T00:00:00.000000000Z');
INSERT INTO saas_users (integration, application, key, username, email, data, data_hash, status, created_run, created_at, updated_at) VALUES
	('acme', 'Acme', 'a@x', 'a@x', 'a@x', '{"role":"admin"}', 9, 'active', 'r0', '2026-01-01T00:00:00.000000000Z', '2026-01-01T00:00:00.000000000Z');`)

	st, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var got []string
	err = st.Records(ctx, "acme", Person, func(r Record) error {
		got = append(got, r.Key+" "+r.Status+" "+r.Fields["email"]+" "+r.DeactivatedAt.Format("2006-01-02")+" "+r.CreatedRun+" "+r.CreatedAt.Format(time.RFC3339))
		return nil
	})
	if want := []string{"a@x active a@x 0001-01-01 r0 2026-01-01T00:00:00Z", "b@x inactive b@x 2026-01-02 r0 2026-01-01T00:00:00Z"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("people after the migration = %q, %v; want %q", got, err, want)
	}
	var n int
	if err := st.db.QueryRowContext(ctx, `SELECT count(*) FROM saas_users WHERE integration = 'acme' AND application = 'Acme' AND key = 'a@x' AND data_hash = 9 AND created_run = (SELECT num FROM runs WHERE id = 'r0')`).Scan(&n); err != nil || n != 1 {
		t.Errorf("saas user after the migration: %d rows, %v", n, err)
	}
	for _, q := range []string{
		`INSERT INTO people (integration, key, layout, data, status, created_at) VALUES ('acme', 'a@x', 0, '{}', 'active', 0)`,
		`INSERT INTO saas_users (integration, application, key, layout, data, status, created_at) VALUES ('acme', 'Acme', 'a@x', 0, '{}', 'active', 0)`,
	} {
		if _, err := st.db.ExecContext(ctx, q); err == nil || !strings.Contains(err.Error(), "UNIQUE") {
			t.Errorf("a second record with the same key: %v; want a UNIQUE constraint error", err)
		}
	}
	if err := st.IntegrityCheck(ctx); err != nil {
		t.Error(err)
	}
}

// A store of schema 12 opens as schema 13 with every record as it was:
// its fields (now stored by position, the key left out), status, times,
// creating run and seen bookkeeping; odd data is kept as it was; and the
// file does not keep the old tables' pages (VACUUM).
func TestMigrationToSlimRecords(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	const n = 3000
	writeOldStore(t, dir, 12, fmt.Sprintf(`
INSERT INTO runs (id, integration, trigger_kind, started_at, outcome) VALUES ('r1', 'acme', 'manual', '2026-01-01T00:00:00.000000000Z', 'success');
WITH RECURSIVE i(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM i WHERE x < %d)
INSERT INTO people (integration, key, data, data_hash, status, deactivated_at, seen_until, created_run, created_at, updated_at)
	SELECT 'acme', 'u' || x || '@x', json_object('email', 'u' || x || '@x', 'name', 'User "' || x || '"', 'username', 'u' || x),
		x, CASE WHEN x %% 10 = 0 THEN 'inactive' ELSE 'active' END,
		CASE WHEN x %% 10 = 0 THEN '2026-01-02T03:04:05.678000000Z' END, CASE WHEN x %% 7 = 0 THEN 'r0' END,
		'r1', '2026-01-01T00:00:00.001000000Z', CASE WHEN x %% 3 = 0 THEN '2026-01-03T00:00:00.000000000Z' END
	FROM i;
INSERT INTO people (integration, key, data, status, created_at) VALUES ('acme', 'odd', '{"n": 1}', 'active', '2026-01-01T00:00:00Z');
INSERT INTO saas_users (integration, application, key, data, status, created_run, created_at) VALUES
	('acme', 'Acme', 'u1@x', '{"role":"admin","user":"u1@x"}', 'active', 'r1', '2026-01-01T00:00:00Z');
INSERT INTO active_counts (integration, kind, application, active) VALUES ('acme', 'person', '', %d), ('acme', 'saas_user', 'Acme', 1);`, n, n-n/10+1))
	before, err := os.Stat(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	st, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.CheckActiveCounts(ctx); err != nil {
		t.Error(err)
	}
	if _, err := st.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	if after.Size() >= before.Size() {
		t.Errorf("store %d bytes after the migration, %d before; want it smaller", after.Size(), before.Size())
	}
	seen := 0
	err = st.Records(ctx, "acme", Person, func(r Record) error {
		if r.Key == "odd" {
			if len(r.Fields) != 0 {
				// {"n": 1} is no object of strings: read as before, it fails.
				t.Errorf("odd: %v", r.Fields)
			}
			return nil
		}
		seen++
		var x int
		fmt.Sscanf(r.Key, "u%d@x", &x)
		want := map[string]string{"email": r.Key, "name": fmt.Sprintf(`User "%d"`, x), "username": fmt.Sprintf("u%d", x)}
		if !maps.Equal(r.Fields, want) {
			t.Errorf("%s: fields %v; want %v", r.Key, r.Fields, want)
		}
		status, deact := Active, time.Time{}
		if x%10 == 0 {
			status, deact = Inactive, time.Date(2026, 1, 2, 3, 4, 5, 678e6, time.UTC)
		}
		if r.Status != status || !r.DeactivatedAt.Equal(deact) || r.CreatedRun != "r1" ||
			!r.CreatedAt.Equal(time.Date(2026, 1, 1, 0, 0, 0, 1e6, time.UTC)) {
			t.Errorf("%s: %s deactivated %v, created by %q at %v", r.Key, r.Status, r.DeactivatedAt, r.CreatedRun, r.CreatedAt)
		}
		if (x%7 == 0) != (r.LastSync == nil) {
			t.Errorf("%s: last sync %v", r.Key, r.LastSync)
		}
		return nil
	})
	if err != nil && !strings.Contains(err.Error(), `"odd"`) {
		t.Fatal(err)
	}
	if seen != n && err == nil {
		t.Errorf("%d records read; want %d", seen, n)
	}
	var layout int64
	var data string
	if err := st.db.QueryRowContext(ctx, `SELECT layout, data FROM people WHERE key = 'u5@x'`).Scan(&layout, &data); err != nil || layout == rawLayout || data != `["User \"5\"","u5"]` {
		t.Errorf("u5@x stored as layout %d %s, %v; want its values by position, but the key (email)", layout, data, err)
	}
	if err := st.db.QueryRowContext(ctx, `SELECT layout, data FROM people WHERE key = 'odd'`).Scan(&layout, &data); err != nil || layout != rawLayout || data != `{"n": 1}` {
		t.Errorf("odd stored as layout %d %s, %v; want it raw", layout, data, err)
	}
	got, err := st.RecordsByKey(ctx, "acme", SaaSUser, "Acme", []string{"u1@x"})
	if err != nil || got["u1@x"].Fields["user"] != "u1@x" || got["u1@x"].Fields["role"] != "admin" {
		t.Errorf("SaaS user after the migration: %+v, %v", got, err)
	}
}
