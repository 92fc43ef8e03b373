package store

import (
	"context"
	"slices"
	"testing"
	"time"
)

// openWithEmail opens a store holding one e-mail to send and returns the
// store and the e-mail's id.
func openWithEmail(t *testing.T) (*Store, int64) {
	t.Helper()
	st := openTest(t)
	id, err := st.AddNotification(context.Background(), Notification{Integration: "acme", Event: "run_failed", Subject: "s", Body: "b", Recipients: []string{"ops@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	return st, id
}

func TestEmailRetryStates(t *testing.T) {
	ctx := context.Background()
	st, id := openWithEmail(t)
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	if _, err := st.AddNotification(ctx, Notification{Integration: "acme", Event: "config_invalid", Subject: "inbox only"}); err != nil {
		t.Fatal(err)
	}
	due := func(at time.Time) []int64 {
		t.Helper()
		ns, err := st.PendingEmails(ctx, at, 0)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, n := range ns {
			ids = append(ids, n.ID)
		}
		return ids
	}
	if got := due(now); !slices.Equal(got, []int64{id}) {
		t.Fatalf("due = %v, want [%d] (the inbox-only entry has nothing to send)", got, id)
	}
	if err := st.EmailAttemptFailed(ctx, id, "dial tcp: connection refused", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := due(now.Add(30 * time.Second)); len(got) != 0 {
		t.Fatalf("due before the retry time: %v", got)
	}
	if got := due(now.Add(time.Minute)); !slices.Equal(got, []int64{id}) {
		t.Fatalf("due at the retry time = %v", got)
	}
	ns, _ := st.Notifications(ctx, 0)
	n := ns[len(ns)-1]
	if n.EmailStatus != EmailPending || n.EmailError != "dial tcp: connection refused" || n.Attempts != 1 {
		t.Fatalf("after a failed attempt: %+v", n)
	}
	if err := st.EmailSentAt(ctx, id, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	ns, _ = st.Notifications(ctx, 0)
	n = ns[len(ns)-1]
	if n.EmailStatus != EmailSent || n.EmailError != "" || n.Attempts != 2 || !n.DeliveredAt.Equal(now.Add(time.Minute)) {
		t.Fatalf("after delivery: %+v", n)
	}
	if got := due(now.Add(time.Hour)); len(got) != 0 {
		t.Fatalf("a sent e-mail is due again: %v", got)
	}

	id2, _ := st.AddNotification(ctx, Notification{Integration: "acme", Event: "run_failed", Subject: "s", Recipients: []string{"ops@example.com"}})
	if err := st.EmailAttemptFailed(ctx, id2, "gave up", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if got := due(now.Add(24 * time.Hour)); len(got) != 0 {
		t.Fatalf("a failed e-mail is due again: %v", got)
	}
	ns, _ = st.Notifications(ctx, 1)
	if ns[0].EmailStatus != EmailFailed || ns[0].EmailError != "gave up" {
		t.Fatalf("given up: %+v", ns[0])
	}
}

func TestIncidentsOneMessageEach(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	msg := Notification{Integration: "acme", Event: "run_failed", Subject: "failed"}
	id, err := st.RaiseIncident(ctx, "acme", "run_failed", msg)
	if err != nil || id == 0 {
		t.Fatalf("first raise: %d, %v", id, err)
	}
	if id, err := st.RaiseIncident(ctx, "acme", "run_failed", msg); err != nil || id != 0 {
		t.Fatalf("raise while open: %d, %v; want no new message", id, err)
	}
	if id, err := st.RaiseIncident(ctx, "other", "run_failed", msg); err != nil || id == 0 {
		t.Fatalf("another integration's incident: %d, %v", id, err)
	}
	st.RaiseIncident(ctx, "acme", "run_missed:running", msg)
	keys, err := st.ResolveIncidents(ctx, "acme", func(k string) bool { return k == "run_failed" })
	if err != nil || !slices.Equal(keys, []string{"run_failed"}) {
		t.Fatalf("resolve = %v, %v", keys, err)
	}
	keys, _ = st.ResolveIncidents(ctx, "acme", nil)
	if !slices.Equal(keys, []string{"run_missed:running"}) {
		t.Fatalf("resolve all = %v", keys)
	}
	if id, _ := st.RaiseIncident(ctx, "acme", "run_failed", msg); id == 0 {
		t.Fatal("a resolved incident must raise again")
	}
	ns, _ := st.Notifications(ctx, 0)
	if len(ns) != 4 {
		t.Fatalf("%d messages, want 4", len(ns))
	}
}

func TestScheduledSinceAndRunningRuns(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	t0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	since, err := st.ScheduledSince(ctx, "acme", "daily 23:00", t0)
	if err != nil || !since.Equal(t0) {
		t.Fatalf("first: %v, %v", since, err)
	}
	if since, _ := st.ScheduledSince(ctx, "acme", "daily 23:00", t0.Add(time.Hour)); !since.Equal(t0) {
		t.Fatalf("same spec later: %v, want %v", since, t0)
	}
	if since, _ := st.ScheduledSince(ctx, "acme", "every 6h", t0.Add(2*time.Hour)); !since.Equal(t0.Add(2 * time.Hour)) {
		t.Fatalf("changed spec: %v", since)
	}

	st.StartRun(ctx, Run{ID: "r2", Integration: "acme", Trigger: "schedule", StartedAt: t0.Add(time.Minute)})
	st.StartRun(ctx, Run{ID: "r1", Integration: "other", Trigger: "schedule", StartedAt: t0})
	st.StartRun(ctx, Run{ID: "r3", Integration: "done", Trigger: "schedule", StartedAt: t0})
	st.FinishRun(ctx, Run{ID: "r3", FinishedAt: t0, Outcome: OutcomeSuccess})
	runs, err := st.RunningRuns(ctx)
	if err != nil || len(runs) != 2 || runs[0].ID != "r1" || runs[1].ID != "r2" {
		t.Fatalf("running = %+v, %v", runs, err)
	}
}

// A message waiting for its retry must not hide a due one behind a limit.
func TestPendingEmailsLimitSkipsWaitingOnes(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	var ids []int64
	for range 2 {
		id, err := st.AddNotification(ctx, Notification{Integration: "acme", Event: "run_failed", Subject: "s", Recipients: []string{"ops@example.com"}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := st.EmailAttemptFailed(ctx, ids[0], "smtp down", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	due, err := st.PendingEmails(ctx, now, 1)
	if err != nil || len(due) != 1 || due[0].ID != ids[1] {
		t.Fatalf("PendingEmails(limit 1) = %+v, %v; want only #%d", due, err, ids[1])
	}
}

// TestClaimEmail: of two senders that find a message pending (the service
// and run-now), only one claims it; a claim lapses, and a sent or waiting
// message cannot be claimed.
func TestClaimEmail(t *testing.T) {
	ctx := context.Background()
	st, id := openWithEmail(t)
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	for _, step := range []struct {
		name   string
		before func()
		at     time.Time
		want   bool
	}{
		{"pending", nil, now, true},
		{"claimed by the other sender", nil, now.Add(time.Second), false},
		{"the claim lapsed", nil, now.Add(3 * time.Minute), true},
		{"waiting for its retry", func() { st.EmailAttemptFailed(ctx, id, "refused", now.Add(time.Hour)) }, now.Add(4 * time.Minute), false},
		{"sent", func() { st.EmailSentAt(ctx, id, now) }, now.Add(2 * time.Hour), false},
	} {
		if step.before != nil {
			step.before()
		}
		got, err := st.ClaimEmail(ctx, id, step.at, step.at.Add(2*time.Minute))
		if err != nil || got != step.want {
			t.Errorf("%s: ClaimEmail = %v, %v; want %v", step.name, got, err, step.want)
		}
	}
}
