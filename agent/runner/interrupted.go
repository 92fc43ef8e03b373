package runner

import (
	"context"
	"errors"
	"fmt"

	"github.com/agentsync/agent/agent/engine"
	"github.com/agentsync/agent/internal/filelock"
)

// RecoverInterrupted records as failed every run left "running" by a
// process that died, and tells its contacts as for any failed run. The
// service calls it when it starts: a crash must not leave a run "running"
// until its integration runs again. An integration whose lock is held
// has its run going on in a live process (`agent run-now`): it is left
// alone.
func (r *Runner) RecoverInterrupted(ctx context.Context) error {
	runs, err := r.Store.RunningRuns(ctx)
	if err != nil {
		return err
	}
	done := map[string]bool{}
	var errs []error
	for _, run := range runs {
		if done[run.Integration] {
			continue
		}
		done[run.Integration] = true
		if _, err := r.Interrupted(ctx, run.Integration); err != nil && !errors.Is(err, filelock.ErrHeld) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Interrupted takes the integration's lock and, when it is free, records
// the integration's runs left running as failed and notifies; it returns
// how many. A held lock is an error wrapping filelock.ErrHeld.
func (r *Runner) Interrupted(ctx context.Context, name string) (int, error) {
	l, err := filelock.Acquire(r.Config.Agent.DataDir, name)
	if err != nil {
		return 0, err
	}
	defer l.Release()
	return r.failInterrupted(ctx, name)
}

// failInterrupted does Interrupted's work; the caller holds the lock.
func (r *Runner) failInterrupted(ctx context.Context, name string) (int, error) {
	runs, err := r.Store.FailInterrupted(ctx, name)
	if err != nil {
		return 0, fmt.Errorf("%s: interrupted runs: %w", name, err)
	}
	for _, run := range runs {
		r.logger().Warn("a run was interrupted by the agent stopping; it is recorded as failed", "integration", name, "run_id", run.ID, "started_at", run.StartedAt)
		r.notifier().RunFinished(ctx, engine.Report{
			Integration: run.Integration, RunID: run.ID, Trigger: run.Trigger,
			StartedAt: run.StartedAt, FinishedAt: run.FinishedAt, Outcome: run.Outcome, Error: run.Error,
			Counts: run.Counts, SaaSCounts: run.SaaSCounts,
		})
	}
	return len(runs), nil
}
