package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

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
	st, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
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
}

func TestNotifications(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
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
	st, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.StartRun(ctx, Run{ID: "r1", Integration: "acme", Trigger: "manual", StartedAt: time.Now()})
	st.StartRun(ctx, Run{ID: "r2", Integration: "other", Trigger: "manual", StartedAt: time.Now()})
	if n, err := st.FailInterrupted(ctx, "acme"); err != nil || n != 1 {
		t.Fatalf("FailInterrupted = %d, %v", n, err)
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
