package runner

import (
	"context"
	"errors"
	"time"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/agent/store"
)

// Integration states as `agent status` shows them.
const (
	StateDraft   = "draft"
	StateReady   = "ready"   // launched, never synced
	StateActive  = "active"  // the last run succeeded within its schedule
	StateWarning = "warning" // no successful run for 24 h past its schedule
	StateFailed  = "failed"  // the last run failed
)

// Overdue is how long past a scheduled time an integration may go without
// a successful run before it is in warning.
const Overdue = 24 * time.Hour

// Status is one integration's state and runs.
type Status struct {
	State       string
	LastRun     *store.Run
	LastSuccess *store.Run
	NextRun     time.Time // zero for manual schedules and drafts
	Reason      string    // why the credential raised State ("" when it did not)
}

// StatusOf computes an integration's status at now.
func StatusOf(ctx context.Context, st *store.Store, cfg *config.Config, in *config.Integration, now time.Time) (Status, error) {
	var s Status
	last, err := st.LastRun(ctx, in.Name, "")
	switch {
	case err == nil:
		s.LastRun = &last
	case !errors.Is(err, store.ErrNotFound):
		return s, err
	}
	ok, err := st.LastRun(ctx, in.Name, store.OutcomeSuccess)
	switch {
	case err == nil:
		s.LastSuccess = &ok
	case !errors.Is(err, store.ErrNotFound):
		return s, err
	}
	if !in.Launched() {
		s.State = StateDraft
		return s, nil
	}
	loc := cfg.Location
	if loc == nil {
		loc = time.Local
	}
	if !in.Schedule.Manual() {
		s.NextRun = in.Schedule.Next(now, loc)
	}
	s.State = classify(in, s.LastRun, s.LastSuccess, now, loc)
	s.State, s.Reason = withCredential(ctx, st, cfg, in, now, s.State)
	return s, nil
}

func classify(in *config.Integration, last, ok *store.Run, now time.Time, loc *time.Location) string {
	switch {
	case last == nil:
		return StateReady
	case last.Outcome == store.OutcomeFailed || last.Outcome == store.OutcomeCancelled:
		return StateFailed
	}
	if !in.Schedule.Manual() {
		// A scheduled time at least Overdue ago with no success since.
		due := in.Schedule.Prev(now.Add(-Overdue), loc)
		if !due.IsZero() && (ok == nil || ok.StartedAt.Before(due)) {
			return StateWarning
		}
	}
	if ok == nil {
		return StateReady
	}
	return StateActive
}
