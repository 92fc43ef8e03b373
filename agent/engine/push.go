package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/mapping"
	"github.com/agentsync/agent/vendors"
)

// TriggerPush is the trigger of the runs that records pushed to the agent
// make (package ingest): one run a push.
const TriggerPush = "push"

// PushOptions are per push.
type PushOptions struct {
	// Event and Actor are what the pusher named; the run keeps them and
	// the change history shows them.
	Event, Actor string
	Logger       *slog.Logger
}

// RecordError is a pushed record the mapping refuses: Index is its place
// in the push, from 0.
type RecordError struct {
	Index int
	Err   error
}

func (e *RecordError) Error() string { return fmt.Sprintf("record %d: %v", e.Index, e.Err) }
func (e *RecordError) Unwrap() error { return e.Err }

// ErrNoRecord is Deactivate's answer for a key the integration does not hold.
var ErrNoRecord = errors.New("no such record")

// ErrNotDeactivated is Deactivate's answer for a kind that is never
// deactivated on request: invoices (additive) and contracts (their end
// date ends them).
var ErrNotDeactivated = errors.New("records of this kind are not deactivated on request")

// Check maps every record as Push would and returns a *RecordError for the
// first one it cannot take whole: no identity after mapping, or a target
// whose expression fails. A run keeps the stored value of such a field; a
// push is all or nothing, so it is refused before anything is written.
// Records the filters drop are not checked (Push counts them filtered).
func Check(spec Spec, records []vendors.Record) error {
	r := &run{spec: spec, log: slog.New(slog.DiscardHandler), rep: &Report{StartedAt: time.Now().UTC()}}
	r.setup()
	env := mapping.Env{CredentialName: spec.CredentialName, SyncTime: time.Now().UTC()}
	for i, rec := range records {
		if !r.keep(rec) {
			continue
		}
		if _, err := r.mapRecord(rec, env); err != nil {
			return &RecordError{Index: i, Err: err}
		}
	}
	return nil
}

// Push applies records pushed to the agent as one run (trigger "push")
// of one page: filter, mapping, preference, diff and the change history
// as for a run, and its changes queued for the integration's destinations
// when it commits. A push is not the integration's whole list: nobody is
// deactivated for being missing from it. With deactivate = true a pushed
// record inactive by [integration.active] is deactivated, and an
// inactive one pushed active is reactivated. The mass-deactivation guard
// does not apply: every deactivation is one the pusher asked for.
//
// The records are checked first (Check); a refused push writes nothing
// and records no run. Otherwise, as for a run, the page and the run's end
// are two transactions: a failure in the second leaves the records
// written and the run failed, and the next successful run or push queues
// them for the destinations.
func Push(ctx context.Context, st *store.Store, spec Spec, records []vendors.Record, opt PushOptions) (Report, error) {
	if err := Check(spec, records); err != nil {
		return Report{Integration: spec.Integration, Trigger: TriggerPush, Outcome: store.OutcomeSkipped, Error: err.Error()}, err
	}
	return push(ctx, st, spec, opt, func(ctx context.Context, r *run) error {
		return r.page(ctx, r.mapPage(vendors.Page{Number: 1, Records: records}, &r.keys, &r.packer))
	})
}

// Deactivate makes the integration's record with key inactive, and in
// users+saas_users mode its SaaS user of the application, as one run
// (trigger "push"): a status change in the history, queued for the
// destinations. It needs deactivate = true (the caller checks);
// ErrNoRecord when the integration holds no record of its mode's kind
// with that key; ErrNotDeactivated for invoices and contracts. A record
// already inactive is left as it is (a run with no change).
func Deactivate(ctx context.Context, st *store.Store, spec Spec, key string, opt PushOptions) (Report, error) {
	kind := rulesOf(spec.Mode).kind
	if kind == store.Invoice || kind == store.Contract {
		err := fmt.Errorf("%s: %s %q: %w", spec.Integration, kind, key, ErrNotDeactivated)
		return Report{Integration: spec.Integration, Trigger: TriggerPush, Outcome: store.OutcomeSkipped, Error: err.Error()}, err
	}
	found, err := st.RecordsByKey(ctx, spec.Integration, kind, "", []string{key})
	if err != nil {
		return Report{Integration: spec.Integration, Trigger: TriggerPush, Outcome: store.OutcomeFailed, Error: err.Error()}, err
	}
	if _, ok := found[key]; !ok {
		err := fmt.Errorf("%s: %s %q: %w", spec.Integration, kind, key, ErrNoRecord)
		return Report{Integration: spec.Integration, Trigger: TriggerPush, Outcome: store.OutcomeSkipped, Error: err.Error()}, err
	}
	return push(ctx, st, spec, opt, func(ctx context.Context, r *run) error {
		var seen []store.Seen
		scopes, err := r.scopes(ctx)
		if err != nil {
			return err
		}
		for _, sc := range scopes {
			ex, err := r.sync.Lookup(ctx, sc.Kind, sc.Application, []string{key})
			if err != nil {
				return err
			}
			if ex[0].Found {
				seen = append(seen, store.Seen{Kind: sc.Kind, Application: sc.Application, Key: key, Existing: ex[0], Active: false})
			}
		}
		r.tally(func(c *store.Counts) { c.Fetched++ })
		return r.sync.ApplyPage(ctx, nil, seen)
	})
}

// push records one run around apply, which writes the pushed page
// through r.sync, and commits it with status changes limited to the
// records the push listed. The error is the report's when it failed.
func push(ctx context.Context, st *store.Store, spec Spec, opt PushOptions, apply func(context.Context, *run) error) (Report, error) {
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	start := time.Now().UTC()
	rep := Report{Integration: spec.Integration, RunID: NewRunID(start), Trigger: TriggerPush, StartedAt: start, Event: opt.Event, Actor: opt.Actor}
	if spec.Mode == ModeSaaSUsers {
		rep.SaaSCounts = &store.Counts{}
	}
	rep.Kind = countedKind(spec.Mode)
	log = log.With("integration", spec.Integration, "run_id", rep.RunID)
	r := &run{spec: spec, st: st, rep: &rep, log: log, opt: Options{Trigger: TriggerPush, Logger: log}}
	r.setup()
	err := r.push(ctx, apply)
	rep.FinishedAt = time.Now().UTC()
	switch {
	case err == nil:
		rep.Outcome = store.OutcomeSuccess
	case ctx.Err() != nil:
		rep.Outcome, rep.Error = store.OutcomeCancelled, err.Error()
	default:
		rep.Outcome, rep.Error = store.OutcomeFailed, err.Error()
	}
	if err != nil && r.started {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if ferr := st.FinishRun(fctx, rep.storeRun(spec.CredentialName)); ferr != nil {
			log.Error("recording the push's end failed", "error", ferr)
		}
	}
	return rep, err
}

func (r *run) push(ctx context.Context, apply func(context.Context, *run) error) error {
	prevID := ""
	switch prev, err := r.st.LastRun(ctx, r.spec.Integration, store.OutcomeSuccess); {
	case err == nil:
		prevID = prev.ID
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	if err := r.st.StartRun(ctx, r.rep.storeRun(r.spec.CredentialName)); err != nil {
		return err
	}
	r.started = true
	var err error
	if r.sync, err = r.st.BeginSync(ctx, r.spec.Integration, r.rep.RunID, false); err != nil {
		return err
	}
	defer r.sync.Close()
	r.sync.DeliverTo(r.spec.Destinations)
	r.sync.Partial()
	if err := r.loadCatalogue(ctx); err != nil {
		return err
	}
	if err := apply(ctx, r); err != nil {
		return err
	}
	scopes, err := r.scopes(ctx)
	if err != nil {
		return err
	}
	for _, sc := range scopes {
		p, err := r.sync.PlanScope(ctx, sc)
		if err != nil {
			return err
		}
		if r.applyStatus {
			c := r.counts(sc.Kind)
			c.Deactivated += p.Deactivate
			c.Reactivated += p.Reactivate
		}
	}
	return r.commit(ctx, prevID, scopes)
}
