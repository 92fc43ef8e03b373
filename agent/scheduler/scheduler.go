// Package scheduler runs the integrations of the service on their
// schedules. gocron times the runs, asking package schedule for each next
// time (so [agent] time_zone and its DST rules hold: a time a spring-forward
// skips runs once just after the jump, a time a fall-back repeats runs
// once); a pool of [agent] max_parallel_runs runs them, the others waiting
// for a slot; the per-integration lock (package filelock, taken by the runner)
// keeps one run per integration, shared with `agent run-now`. At start,
// runs missed while the service was down are reported and caught up; a
// watchdog reports runs still going 24 hours after they started.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/jonboulle/clockwork"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/agent/engine"
	"github.com/agentsync/agent/agent/notify"
	"github.com/agentsync/agent/agent/runner"
	"github.com/agentsync/agent/agent/schedule"
	"github.com/agentsync/agent/internal/filelock"
)

// Options are the scheduler's settings that a config reload does not change.
type Options struct {
	Clock       clockwork.Clock // nil: the real clock
	MaxParallel int             // runs at once; <= 0: config.DefaultMaxParallel
	Logger      *slog.Logger
	// StopTimeout bounds how long Stop waits for cancelled runs to record
	// their end; default 10s (within systemd's and Windows' stop timeouts).
	StopTimeout time.Duration
}

// Scheduler runs one config's integrations on their schedules; Apply
// switches to another config.
type Scheduler struct {
	clock  clockwork.Clock
	log    *slog.Logger
	cron   gocron.Scheduler
	runs   context.Context // the runs' context; Stop cancels it
	cancel context.CancelFunc

	mu      sync.Mutex
	runner  *runner.Runner
	jobs    map[string]gocron.Job
	since   map[string]time.Time // since when each integration has been on its schedule
	handled map[string]time.Time // the last scheduled time each integration was started for

	watching sync.Mutex

	ticked func(name string) // tests: called after each tick
}

// New starts scheduling the integrations of r.Config, run by r (whose
// Notifier must be set: it is told about the runs that cannot run).
func New(r *runner.Runner, opt Options) (*Scheduler, error) {
	if opt.Clock == nil {
		opt.Clock = clockwork.NewRealClock()
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.MaxParallel <= 0 {
		opt.MaxParallel = config.DefaultMaxParallel
	}
	if opt.StopTimeout <= 0 {
		opt.StopTimeout = 10 * time.Second
	}
	s := &Scheduler{clock: opt.Clock, log: opt.Logger,
		jobs: map[string]gocron.Job{}, since: map[string]time.Time{}, handled: map[string]time.Time{}}
	s.runs, s.cancel = context.WithCancel(context.Background())
	var err error
	s.cron, err = gocron.NewScheduler(
		gocron.WithClock(opt.Clock),
		gocron.WithLocation(location(r.Config)),
		// Wait, not reschedule: a daily run must not be dropped because
		// other integrations fill the pool. Stale queued ticks are
		// coalesced by tick.
		gocron.WithLimitConcurrentJobs(uint(opt.MaxParallel), gocron.LimitModeWait),
		gocron.WithStopTimeout(opt.StopTimeout),
		gocron.WithLogger(gocronLog{opt.Logger.With("component", "gocron")}),
	)
	if err != nil {
		return nil, fmt.Errorf("scheduler: %w", err)
	}
	if err := s.Apply(r); err != nil {
		s.cron.Shutdown()
		return nil, err
	}
	s.cron.Start()
	return s, nil
}

// Apply schedules the integrations of r.Config in place of the previous
// ones. Runs going on are not touched; they finish with the config they
// started with.
func (s *Scheduler) Apply(r *runner.Runner) error {
	if r.Notifier == nil {
		return errors.New("scheduler: the runner has no Notifier to tell about runs that cannot run")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, j := range s.jobs {
		if err := s.cron.RemoveJob(j.ID()); err != nil && !errors.Is(err, gocron.ErrJobNotFound) {
			return fmt.Errorf("scheduler: %s: %w", name, err)
		}
		delete(s.jobs, name)
	}
	s.runner = r
	loc := location(r.Config)
	now := s.clock.Now()
	for _, in := range r.Config.Integrations {
		if in.Schedule.Manual() {
			continue
		}
		since, err := r.Store.ScheduledSince(s.runs, in.Name, in.Schedule.String(), now)
		if err != nil {
			return fmt.Errorf("scheduler: %w", err)
		}
		s.since[in.Name] = since
		name := in.Name
		j, err := s.cron.NewJob(
			gocron.CronJob(in.Schedule.String(), false),
			gocron.NewTask(func() { s.tick(name) }),
			gocron.WithName(name),
			gocron.WithCronImplementation(timing{in.Schedule, loc}),
		)
		if err != nil {
			return fmt.Errorf("scheduler: %s: %w", name, err)
		}
		s.jobs[name] = j
	}
	return nil
}

// gocronLog passes gocron's warnings and errors on; its routine messages
// (scheduler created, started) are debug.
type gocronLog struct{ l *slog.Logger }

func (g gocronLog) Debug(msg string, args ...any) { g.l.Debug(msg, args...) }
func (g gocronLog) Info(msg string, args ...any)  { g.l.Debug(msg, args...) }
func (g gocronLog) Warn(msg string, args ...any)  { g.l.Warn(msg, args...) }
func (g gocronLog) Error(msg string, args ...any) { g.l.Error(msg, args...) }

// timing is a gocron.Cron whose times come from package schedule.
type timing struct {
	s   schedule.Schedule
	loc *time.Location
}

func (t timing) IsValid(string, *time.Location, time.Time) error {
	if t.s.Manual() {
		return errors.New("a manual schedule has no times")
	}
	return nil
}

func (t timing) Next(last time.Time) time.Time { return t.s.Next(last, t.loc) }

// NextRun is the integration's next scheduled time, zero when it has none.
func (s *Scheduler) NextRun(name string) time.Time {
	s.mu.Lock()
	j, ok := s.jobs[name]
	s.mu.Unlock()
	if !ok {
		return time.Time{}
	}
	t, _ := j.NextRun()
	return t
}

// Waiting is how many runs wait for a slot of the pool.
func (s *Scheduler) Waiting() int { return s.cron.JobsWaitingInQueue() }

// Stop cancels the runs going on (each is recorded as cancelled, nothing
// partial is applied) and waits for them to end, at most StopTimeout.
func (s *Scheduler) Stop() error {
	s.cancel()
	if err := s.cron.Shutdown(); err != nil {
		return fmt.Errorf("scheduler: %w", err)
	}
	return nil
}

// tick is the job of one integration: it starts the run for the latest
// scheduled time, once. Ticks that waited in the pool's queue for a time
// already started are dropped.
func (s *Scheduler) tick(name string) {
	if s.ticked != nil {
		defer s.ticked(name)
	}
	now := s.clock.Now()
	s.mu.Lock()
	r := s.runner
	in, ok := r.Config.Integration(name)
	if !ok || in.Schedule.Manual() {
		s.mu.Unlock()
		return
	}
	// The timer fires at the scheduled time, never before; a second of
	// slack keeps a slightly early clock from reading the previous time.
	slot := in.Schedule.Prev(now.Add(time.Second), location(r.Config))
	if slot.IsZero() {
		slot = now
	}
	if !slot.After(s.handled[name]) {
		s.mu.Unlock()
		s.log.Debug("scheduled run already started", "integration", name, "scheduled_at", slot)
		return
	}
	s.handled[name] = slot
	s.mu.Unlock()
	s.run(r, in, slot)
}

// run runs in for its scheduled time, or tells its contacts why it cannot.
func (s *Scheduler) run(r *runner.Runner, in *config.Integration, slot time.Time) {
	log := s.log.With("integration", in.Name, "scheduled_at", slot)
	n := r.Notifier
	ctx := s.runs
	if len(in.Missing()) > 0 {
		log.Warn("scheduled run not run: the integration is in draft", "missing", in.Missing())
		n.NotRun(ctx, in, slot, notify.ReasonDraft, "")
		return
	}
	if in.Credential != "" && r.Secrets != nil {
		if _, err := r.Secrets.Get(ctx, in.Credential); err != nil {
			if ctx.Err() != nil {
				return
			}
			log.Error("scheduled run not run: its credential cannot be read", "credential", in.Credential, "error", err)
			n.NotRun(ctx, in, slot, notify.ReasonCredential, err.Error())
			return
		}
	}
	log.Info("scheduled run starting")
	rep, err := r.Run(ctx, in.Name, engine.Options{Trigger: engine.TriggerSchedule})
	switch {
	case err == nil:
		log.Info("scheduled run ended", "run_id", rep.RunID, "outcome", rep.Outcome, "error", rep.Error,
			"fetched", rep.Counts.Fetched, "created", rep.Counts.Created, "updated", rep.Counts.Updated,
			"deactivated", rep.Counts.Deactivated, "reactivated", rep.Counts.Reactivated)
	case ctx.Err() != nil:
		log.Info("scheduled run not started: the service is stopping")
	case errors.Is(err, filelock.ErrHeld):
		detail := s.holder(r, in.Name, err)
		log.Warn("scheduled run not run: the integration is still running", "running", detail)
		n.NotRun(ctx, in, slot, notify.ReasonRunning, detail)
	default:
		log.Error("scheduled run not run", "error", err)
		n.NotRun(ctx, in, slot, notify.ReasonError, err.Error())
	}
}

// holder describes the run that holds the integration's lock.
func (s *Scheduler) holder(r *runner.Runner, name string, held error) string {
	runs, err := r.Store.RunningRuns(s.runs)
	if err == nil {
		for i := len(runs) - 1; i >= 0; i-- {
			if runs[i].Integration == name {
				return fmt.Sprintf("run %s, %s, started at %s", runs[i].ID, runs[i].Trigger,
					runs[i].StartedAt.In(location(r.Config)).Format("2006-01-02 15:04 MST"))
			}
		}
	}
	return held.Error()
}

func location(cfg *config.Config) *time.Location {
	if cfg.Location != nil {
		return cfg.Location
	}
	return time.Local
}
