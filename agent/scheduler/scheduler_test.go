package scheduler

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/agent/engine"
	"github.com/agentsync/agent/agent/notify"
	"github.com/agentsync/agent/agent/runner"
	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/credentials"
	"github.com/agentsync/agent/internal/filelock"
	"github.com/agentsync/agent/internal/vendortest"
)

func TestScheduledTimes(t *testing.T) {
	const layout = "2006-01-02 15:04 MST"
	tests := []struct {
		name, tz, spec, start string
		want                  []string
	}{
		{name: "daily", tz: "UTC", spec: "daily 09:30", start: "2025-06-01 12:00 UTC",
			want: []string{"2025-06-02 09:30 UTC", "2025-06-03 09:30 UTC", "2025-06-04 09:30 UTC"}},
		{name: "every", tz: "UTC", spec: "every 6h", start: "2025-06-01 01:00 UTC",
			want: []string{"2025-06-01 06:00 UTC", "2025-06-01 12:00 UTC", "2025-06-01 18:00 UTC", "2025-06-02 00:00 UTC"}},
		{name: "cron weekdays", tz: "Europe/Paris", spec: "cron 0 9 * * 1-5", start: "2025-06-06 10:00 CEST",
			want: []string{"2025-06-09 09:00 CEST", "2025-06-10 09:00 CEST"}},
		{name: "DST spring forward runs once after the jump", tz: "America/New_York", spec: "daily 02:30", start: "2025-03-08 12:00 EST",
			want: []string{"2025-03-09 03:30 EDT", "2025-03-10 02:30 EDT", "2025-03-11 02:30 EDT"}},
		{name: "DST fall back runs the repeated time once", tz: "America/New_York", spec: "daily 01:30", start: "2025-11-01 12:00 EDT",
			want: []string{"2025-11-02 01:30 EDT", "2025-11-03 01:30 EST", "2025-11-04 01:30 EST"}},
		{name: "every across fall back", tz: "America/New_York", spec: "every 30m", start: "2025-11-02 00:10 EDT",
			want: []string{"2025-11-02 00:30 EDT", "2025-11-02 01:00 EDT", "2025-11-02 01:30 EDT", "2025-11-02 02:00 EST", "2025-11-02 02:30 EST"}},
		{name: "cron across spring forward", tz: "Europe/Paris", spec: "cron 30 2 * * *", start: "2025-03-29 12:00 CET",
			want: []string{"2025-03-30 03:30 CEST", "2025-03-31 02:30 CEST"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc, err := time.LoadLocation(tt.tz)
			if err != nil {
				t.Fatal(err)
			}
			start, err := time.ParseInLocation(layout, tt.start, loc)
			if err != nil {
				t.Fatal(err)
			}
			h := newHarness(t, tt.tz, start, 4, integration("acme", tt.spec))
			h.start()
			for i, want := range tt.want {
				at := h.advance("acme")
				f := h.fetch()
				if got := f.at.In(loc).Format(layout); got != want || !f.at.Equal(at) {
					t.Fatalf("run %d at %s, want %s", i+1, got, want)
				}
				h.tick("acme")
				h.successes("acme", i+1)
			}
			h.noFetch()
			runs, _ := h.st.Runs(context.Background(), "acme", 0)
			if len(runs) != len(tt.want) || runs[0].Trigger != engine.TriggerSchedule {
				t.Fatalf("runs = %+v", runs)
			}
		})
	}
}

func TestOneRunAtATimeSharedWithRunNow(t *testing.T) {
	h := newHarness(t, "UTC", time.Date(2025, 6, 1, 0, 0, 30, 0, time.UTC), 4, integration("slow", "every 1m"))
	release := h.hold("slow")
	h.start()

	h.advance("slow") // 00:01: the run starts and hangs
	h.fetch()
	// run-now takes the same lock.
	rep, err := h.r.Run(context.Background(), "slow", engine.Options{Trigger: engine.TriggerManual})
	if !errors.Is(err, filelock.ErrHeld) || rep.Outcome != store.OutcomeSkipped {
		t.Fatalf("run-now during a scheduled run: %v, %+v", err, rep)
	}

	h.advance("slow") // 00:02: still running, not run, told
	h.tick("slow")
	h.advance("slow") // 00:03: the same event, not told again
	h.tick("slow")
	h.noFetch()
	ns := h.messages()
	if len(ns) != 1 || ns[0].Event != notify.EventRunMissed || !strings.Contains(ns[0].Body, "its previous run was still going (run ") ||
		ns[0].Subject != "agent: scheduled run of slow at 2025-06-01 00:02 UTC did not run" {
		t.Fatalf("messages = %+v", ns)
	}

	close(release)
	h.tick("slow") // the 00:01 run ends
	h.successes("slow", 1)
	h.advance("slow") // 00:04 runs
	if f := h.fetch(); f.at != time.Date(2025, 6, 1, 0, 4, 0, 0, time.UTC) {
		t.Fatalf("fetch at %s", f.at)
	}
	h.tick("slow")
	h.successes("slow", 2)
	if got := len(h.messages()); got != 1 {
		t.Fatalf("%d messages: a skipped run needs no recovery message", got)
	}
}

func TestPoolBoundsParallelRuns(t *testing.T) {
	h := newHarness(t, "UTC", time.Date(2025, 6, 1, 0, 0, 30, 0, time.UTC), 1,
		integration("a", "every 1m"), integration("b", "every 1m"))
	holds := map[string]chan struct{}{"a": h.hold("a"), "b": h.hold("b")}
	h.start()
	h.s.NextRun("b") // both timers are set for 00:01
	h.advance("a")
	first := h.fetch()
	deadline := time.Now().Add(5 * time.Second)
	for h.s.Waiting() != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("%d runs wait for the pool, want 1", h.s.Waiting())
		}
		time.Sleep(time.Millisecond)
	}
	h.noFetch()
	close(holds[first.name])
	second := h.fetch()
	if second.name == first.name || second.at != first.at {
		t.Fatalf("first %+v, second %+v", first, second)
	}
	close(holds[second.name])
	h.tick("a", "b")
	h.successes("a", 1)
	h.successes("b", 1)
}

func TestMissedRunsAtStart(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 6, 2, 8, 0, 0, 0, time.UTC)
	h := newHarness(t, "UTC", now, 4,
		integration("missed", "daily 23:00"),
		integration("nocatch", "daily 23:00", "catch_up = false"),
		integration("ranlate", "daily 23:00"),
		integration("fresh", "daily 23:00"),
		integration("byhand", "manual"))
	long := time.Date(2025, 5, 20, 0, 0, 0, 0, time.UTC)
	for _, name := range []string{"missed", "nocatch", "ranlate"} {
		if _, err := h.st.ScheduledSince(ctx, name, "daily 23:00", long); err != nil {
			t.Fatal(err)
		}
	}
	ran := func(name, id string, at time.Time) {
		h.st.StartRun(ctx, store.Run{ID: id, Integration: name, Trigger: "schedule", StartedAt: at})
		h.st.FinishRun(ctx, store.Run{ID: id, FinishedAt: at.Add(time.Minute), Outcome: store.OutcomeSuccess})
	}
	ran("missed", "m1", time.Date(2025, 5, 31, 23, 0, 0, 0, time.UTC))
	ran("ranlate", "r1", time.Date(2025, 6, 1, 23, 5, 0, 0, time.UTC))

	h.start()
	h.s.CatchUp(ctx)
	if f := h.fetch(); f.name != "missed" {
		t.Fatalf("caught up %s, want missed", f.name)
	}
	h.tick("missed")
	h.successes("missed", 2)
	h.noFetch()

	var got []string
	for _, n := range h.messages() {
		got = append(got, n.Integration+": "+n.Subject)
		if !strings.Contains(n.Body, "did not run: the service was not running at that time") {
			t.Errorf("%s: body %q", n.Integration, n.Body)
		}
	}
	want := []string{
		"missed: agent: scheduled run of missed at 2025-06-01 23:00 UTC did not run",
		// scheduled since 2025-05-20, never run: every day since was missed
		"nocatch: agent: 13 scheduled runs of nocatch, 2025-05-20 23:00 UTC to 2025-06-01 23:00 UTC, did not run",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("messages:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if ns := h.messages(); !strings.Contains(ns[1].Body, "With catch_up = false it waits for its next scheduled time, 2025-06-02 23:00 UTC.") {
		t.Errorf("catch_up = false message: %q", ns[1].Body)
	}
}

// TestMissedRunsCountFirstAndLast: a report of runs missed while the
// service was down says how many, the first and the last, not only the
// last (runs at 10:28 and 10:29 missed; only 10:29 was reported).
func TestMissedRunsCountFirstAndLast(t *testing.T) {
	day := func(h, m int) time.Time { return time.Date(2025, 6, 2, h, m, 0, 0, time.UTC) }
	tests := []struct {
		name, spec    string
		since, ran    time.Time // scheduled since; the last run's start (zero: none)
		now           time.Time
		subject, body string
	}{
		{"two minutes", "every 1m", day(10, 20), day(10, 27), day(10, 29).Add(30 * time.Second),
			"agent: 2 scheduled runs of m, 2025-06-02 10:28 UTC to 2025-06-02 10:29 UTC, did not run",
			"2 scheduled runs of integration m, the first at 2025-06-02 10:28 UTC and the last at 2025-06-02 10:29 UTC, did not run: the service was not running at that time."},
		{"never ran: from the schedule's start", "every 1h", day(6, 30), time.Time{}, day(10, 5),
			"agent: 4 scheduled runs of m, 2025-06-02 07:00 UTC to 2025-06-02 10:00 UTC, did not run",
			"the first at 2025-06-02 07:00 UTC and the last at 2025-06-02 10:00 UTC"},
		{"one", "every 1m", day(10, 20), day(10, 28), day(10, 29).Add(30 * time.Second),
			"agent: scheduled run of m at 2025-06-02 10:29 UTC did not run",
			"The scheduled run of integration m at 2025-06-02 10:29 UTC did not run: the service was not running at that time."},
		{"capped", "every 1m", day(0, 0).AddDate(0, 0, -30), time.Time{}, day(10, 0),
			"agent: 10000 or more scheduled runs of m, ",
			"With catch_up = false it waits for its next scheduled time, 2025-06-02 10:01 UTC."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			h := newHarness(t, "UTC", tt.now, 4, integration("m", tt.spec, "catch_up = false"))
			if _, err := h.st.ScheduledSince(ctx, "m", tt.spec, tt.since); err != nil {
				t.Fatal(err)
			}
			if !tt.ran.IsZero() {
				h.st.StartRun(ctx, store.Run{ID: "r1", Integration: "m", Trigger: "schedule", StartedAt: tt.ran})
				h.st.FinishRun(ctx, store.Run{ID: "r1", FinishedAt: tt.ran.Add(time.Second), Outcome: store.OutcomeSuccess})
			}
			h.start()
			h.s.CatchUp(ctx)
			ns := h.messages()
			if len(ns) != 1 {
				t.Fatalf("%d messages, want 1: %+v", len(ns), ns)
			}
			if !strings.HasPrefix(ns[0].Subject, tt.subject) || !strings.Contains(ns[0].Body, tt.body) {
				t.Errorf("message:\n%s\n%s\nwant subject %q, body with %q", ns[0].Subject, ns[0].Body, tt.subject, tt.body)
			}
		})
	}
}

func TestScheduledRunsThatCannotRun(t *testing.T) {
	draft := strings.Replace(integration("draft", "every 1m"), "[integration.mapping]\n\"user.email\" = \"email\"\n", "", 1)
	h := newHarness(t, "UTC", time.Date(2025, 6, 1, 0, 0, 30, 0, time.UTC), 4,
		draft, integration("nocred", "every 1m", `credential = "gone"`), integration("ok", "every 1m", `credential = "here"`))
	h.r.Secrets = vendortest.Secrets{"here": {Kind: credentials.APIKey, Token: "t"}}
	h.start()
	for range 2 { // the second minute repeats the events: no new message
		h.advance("ok")
		h.tick("draft", "nocred", "ok")
		if f := h.fetch(); f.name != "ok" {
			t.Fatalf("fetched %s", f.name)
		}
	}
	h.noFetch()
	var got []string
	for _, n := range h.messages() {
		got = append(got, n.Integration+": "+n.Body[strings.Index(n.Body, "did not run: "):strings.Index(n.Body, ".\n\n")])
	}
	want := []string{
		`draft: did not run: the integration is in draft (missing: user.username or user.email)`,
		`nocred: did not run: its credential "gone" could not be read: no credential named "gone" in the keyring`,
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("messages:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestWatchdogReportsRunsGoingFor24Hours(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	h := newHarness(t, "UTC", t0, 4, integration("acme", "manual"), integration("dead", "manual"))
	h.start()
	// acme's run is going on (its lock is held); dead's process died.
	l, err := filelock.Acquire(h.cfg.Agent.DataDir, "acme")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	h.st.StartRun(ctx, store.Run{ID: "run-acme", Integration: "acme", Trigger: "schedule", StartedAt: t0})
	h.st.StartRun(ctx, store.Run{ID: "run-dead", Integration: "dead", Trigger: "schedule", StartedAt: t0})

	h.clock.Advance(23*time.Hour + 59*time.Minute)
	h.s.CheckOverdue(ctx)
	if ns := h.messages(); len(ns) != 0 {
		t.Fatalf("before 24 hours: %+v", ns)
	}

	done := make(chan struct{})
	wctx, stop := context.WithCancel(ctx)
	go func() { h.s.Watch(wctx); close(done) }()
	defer func() { stop(); <-done }()
	h.clock.BlockUntilContext(ctx, 1) // the watchdog's ticker
	h.clock.Advance(WatchdogEvery)
	deadline := time.Now().Add(10 * time.Second)
	for len(h.messages()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the watchdog told nobody")
		}
		time.Sleep(time.Millisecond)
	}
	h.s.CheckOverdue(ctx) // once per run
	ns := h.messages()
	if len(ns) != 1 || ns[0].Event != notify.EventRunOverdue || ns[0].Integration != "acme" ||
		ns[0].Subject != "agent: integration acme is still running after 24 hours" || !strings.Contains(ns[0].Body, "Run run-acme of integration acme started at 2025-06-01 09:00 UTC") {
		t.Fatalf("messages = %+v", ns)
	}
	if r, _ := h.st.Run(ctx, "run-dead"); r.Outcome != store.OutcomeFailed {
		t.Errorf("the dead process's run: %+v", r)
	}
	if r, _ := h.st.Run(ctx, "run-acme"); r.Outcome != store.OutcomeRunning {
		t.Errorf("the live run: %+v", r)
	}
}

func TestApplySwitchesSchedules(t *testing.T) {
	h := newHarness(t, "UTC", time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC), 4, integration("acme", "daily 23:00"), integration("other", "daily 01:00"))
	h.start()
	if next := h.s.NextRun("acme"); !next.Equal(time.Date(2025, 6, 1, 23, 0, 0, 0, time.UTC)) {
		t.Fatalf("next = %s", next)
	}
	cfg, err := config.Parse("config.toml", []byte(fmt.Sprintf("[agent]\ndata_dir = %q\ntime_zone = \"UTC\"\n\n%s", h.cfg.Agent.DataDir, integration("acme", "daily 13:15"))))
	if err != nil {
		t.Fatal(err)
	}
	r := &runner.Runner{Config: cfg, Store: h.st, Notifier: &notify.Notifier{Config: cfg, Store: h.st}}
	if err := h.s.Apply(r); err != nil {
		t.Fatal(err)
	}
	h.advance("acme")
	if f := h.fetch(); f.at != time.Date(2025, 6, 1, 13, 15, 0, 0, time.UTC) {
		t.Fatalf("after the reload the run is at %s", f.at)
	}
	if next := h.s.NextRun("other"); !next.IsZero() {
		t.Fatalf("a removed integration is still scheduled at %s", next)
	}
}
