package scheduler

import (
	"context"
	"errors"
	"maps"
	"time"

	"github.com/agentsync/agent/agent/notify"
	"github.com/agentsync/agent/agent/schedule"
	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/internal/filelock"
)

// CatchUp looks, once at start, for scheduled runs missed while the
// service was down: an integration's latest scheduled time, if the service
// already had it on that schedule then, with no run started since. Each is
// reported ("scheduled run at … did not run") and, with catch_up = true,
// run once now, through the pool like any scheduled run.
func (s *Scheduler) CatchUp(ctx context.Context) {
	now := s.clock.Now()
	s.mu.Lock()
	r := s.runner
	since := maps.Clone(s.since)
	jobs := maps.Clone(s.jobs)
	s.mu.Unlock()
	for _, in := range r.Config.Integrations {
		j, scheduled := jobs[in.Name]
		if !scheduled || !in.Launched() {
			continue
		}
		missed := in.Schedule.Prev(now, location(r.Config))
		if missed.IsZero() || !missed.After(since[in.Name]) {
			continue
		}
		after := since[in.Name]
		last, err := r.Store.LastRun(ctx, in.Name, "")
		switch {
		case err == nil && !last.StartedAt.Before(missed):
			continue
		case err == nil && last.StartedAt.After(after):
			after = last.StartedAt
		case err != nil && !errors.Is(err, store.ErrNotFound):
			s.log.Error("missed-run check failed", "integration", in.Name, "error", err)
			continue
		}
		m := missedSince(in.Schedule, after, missed, location(r.Config))
		s.log.Warn("scheduled runs did not run while the service was down", "integration", in.Name,
			"missed", m.Count, "first", m.First, "last", m.Last, "catch_up", in.CatchUp)
		r.Notifier.RunsMissed(ctx, in, m)
		if in.CatchUp {
			if err := j.RunNow(); err != nil {
				s.log.Error("catch-up run could not be queued", "integration", in.Name, "error", err)
			}
		}
	}
}

// maxMissed bounds the count of missed runs: "every 1m" for a year is
// half a million; a count that reaches it is reported as "or more".
const maxMissed = 10000

// missedSince returns the scheduled times after after and up to last (the
// latest, itself scheduled and missed): how many, the first and the last.
func missedSince(sc schedule.Schedule, after, last time.Time, loc *time.Location) notify.Missed {
	if lo := last.Add(-schedule.PrevWindow); after.Before(lo) {
		after = lo
	}
	m := notify.Missed{Last: last}
	for t := sc.Next(after, loc); !t.IsZero() && !t.After(last); t = sc.Next(t, loc) {
		if m.Count == 0 {
			m.First = t
		}
		if m.Count++; m.Count == maxMissed {
			m.More = true
			break
		}
	}
	if m.Count == 0 { // cannot be: last is a scheduled time after after
		m.Count, m.First = 1, last
	}
	return m
}

// WatchdogEvery is how often the watchdog looks for overdue runs.
const WatchdogEvery = time.Minute

// Watch checks for overdue runs every WatchdogEvery until ctx is done.
func (s *Scheduler) Watch(ctx context.Context) {
	t := s.clock.NewTicker(WatchdogEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.Chan():
			s.CheckOverdue(ctx)
		}
	}
}

// CheckOverdue reports each run still going notify.Overdue after it
// started, once. It sees the runs of every process (`agent run-now` too);
// a run row whose integration's lock is free was left by a process that
// died, and is recorded as failed instead.
func (s *Scheduler) CheckOverdue(ctx context.Context) {
	s.watching.Lock() // one pass at a time: a pass holds the locks of dead runs
	defer s.watching.Unlock()
	now := s.clock.Now()
	s.mu.Lock()
	r := s.runner
	s.mu.Unlock()
	runs, err := r.Store.RunningRuns(ctx)
	if err != nil {
		s.log.Error("watchdog: reading the runs failed", "error", err)
		return
	}
	for _, run := range runs {
		if now.Sub(run.StartedAt) < notify.Overdue {
			continue
		}
		if l, err := filelock.Acquire(r.Config.Agent.DataDir, run.Integration); err == nil {
			if _, err := r.Store.FailInterrupted(ctx, run.Integration); err != nil {
				s.log.Error("watchdog: recording an interrupted run failed", "integration", run.Integration, "error", err)
			}
			l.Release()
			continue
		}
		s.log.Warn("run still going after 24 hours", "integration", run.Integration, "run_id", run.ID, "started_at", run.StartedAt)
		r.Notifier.RunOverdue(ctx, run, now)
	}
}
