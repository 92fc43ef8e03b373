// Package runner runs one integration the way both `agent run-now` and the
// service do: take the integration's lock, build its source, run the
// engine, and tell the integration's contacts how it ended (package notify).
package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/agent/deliver"
	"github.com/agentsync/agent/agent/engine"
	"github.com/agentsync/agent/agent/notify"
	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/internal/filelock"
	"github.com/agentsync/agent/vendors"
)

// ErrDraft means the integration lacks a mandatory field and never runs.
var ErrDraft = errors.New("integration is in draft")

// ErrPushOnly means the integration is fed by pushes (vendor "ingest"):
// it has nothing to fetch.
var ErrPushOnly = errors.New("integration is push-only")

// Runner runs integrations of one config against one store.
type Runner struct {
	Config    *config.Config
	Store     *store.Store
	Logger    *slog.Logger
	Secrets   vendors.SecretSource // nil: no credential store (vendors that need one fail)
	UserAgent string               // "agent/<version>"
	// Notifier is told how each run ended; nil: the inbox of Store, the
	// e-mails left pending for the service to deliver.
	Notifier *notify.Notifier
	// Deliverer delivers to the integration's destinations after each
	// run; nil leaves the queue to whoever delivers later.
	Deliverer *deliver.Deliverer
	// Observer is told how each run of a configured integration ended
	// and hears its vendor's HTTP traffic (the service's metrics); nil:
	// nobody.
	Observer Observer
}

// Observer watches runs: package metrics satisfies it.
type Observer interface {
	// RunFinished gets the report of every run of an integration of the
	// config, skipped ones included.
	RunFinished(rep engine.Report)
	// VendorHTTP returns what hears the integration's vendor HTTP
	// traffic (vendors.Config.ObserveHTTP); nil: nothing does.
	VendorHTTP(integration string) func(event, host string)
}

// Spec converts a validated integration into the engine's terms.
func Spec(in *config.Integration) engine.Spec {
	return engine.Spec{
		Integration:          in.Name,
		Mode:                 in.Mode,
		Application:          in.Application,
		ApplicationFrom:      in.ApplicationFrom,
		Preference:           in.Preference,
		Deactivate:           in.Deactivate,
		MaxDeactivatePercent: in.MaxDeactivatePercent,
		CredentialName:       in.Credential,
		Mapping:              in.CompiledMapping,
		Filters:              in.CompiledFilters,
		Active: engine.Active{
			Field:           in.Active.Field,
			InactiveValues:  in.Active.InactiveValues,
			InactiveWhenSet: in.Active.InactiveWhenSet,
		},
		Destinations: in.Destinations,
	}
}

// Run runs the named integration once. A run that cannot start (draft,
// unknown, already running, a source that cannot be built) yields a
// "skipped" or "failed" report and an error; a run that started yields its
// report and a nil error, whatever its outcome.
func (r *Runner) Run(ctx context.Context, name string, opt engine.Options) (engine.Report, error) {
	rep, err := r.run(ctx, name, opt)
	if _, ok := r.Config.Integration(name); ok && r.Observer != nil {
		r.Observer.RunFinished(rep)
	}
	return rep, err
}

func (r *Runner) run(ctx context.Context, name string, opt engine.Options) (engine.Report, error) {
	log := r.logger()
	now := time.Now().UTC()
	skipped := func(outcome string, err error) (engine.Report, error) {
		if opt.Trigger == "" {
			opt.Trigger = engine.TriggerManual
		}
		return engine.Report{Integration: name, RunID: engine.NewRunID(now), Trigger: opt.Trigger,
			StartedAt: now, FinishedAt: now, Outcome: outcome, Error: err.Error(), DryRun: opt.DryRun}, err
	}
	in, ok := r.Config.Integration(name)
	if !ok {
		return skipped(store.OutcomeSkipped, fmt.Errorf("no integration named %q in %s", name, r.Config.Path))
	}
	if missing := in.Missing(); len(missing) > 0 {
		return skipped(store.OutcomeSkipped, fmt.Errorf("%s: %w (missing: %s); add it to the config to launch it", name, ErrDraft, strings.Join(missing, ", ")))
	}
	if in.PushOnly() {
		return skipped(store.OutcomeSkipped, fmt.Errorf("%s: %w: its records arrive at POST /ingest/%s (agent serve); there is nothing to run", name, ErrPushOnly, name))
	}
	l, err := filelock.Acquire(r.Config.Agent.DataDir, name)
	if err != nil {
		return skipped(store.OutcomeSkipped, err)
	}
	defer l.Release()
	if _, err := r.failInterrupted(ctx, name); err != nil {
		return skipped(store.OutcomeFailed, err)
	}

	factory, ok := vendors.Lookup(in.Vendor)
	if !ok {
		return skipped(store.OutcomeFailed, fmt.Errorf("%s: unknown vendor %q", name, in.Vendor))
	}
	settings := in.VendorConfig(r.Config)
	settings.Secrets, settings.UserAgent = r.Secrets, r.UserAgent
	settings.Logger = log.With("integration", name)
	if r.Observer != nil {
		settings.ObserveHTTP = r.Observer.VendorHTTP(name)
	}
	src, err := factory(settings)
	if err != nil {
		return skipped(store.OutcomeFailed, fmt.Errorf("%s: vendor %s: %w", name, in.Vendor, err))
	}
	if opt.Logger == nil {
		opt.Logger = log
	}
	rep := engine.Run(ctx, r.Store, Spec(in), src, opt)
	r.notifier().RunFinished(ctx, rep)
	if !opt.DryRun && len(in.Destinations) > 0 && r.Deliverer != nil && ctx.Err() == nil {
		// What this run queued, and whatever an earlier delivery left.
		res, err := r.Deliverer.Integration(ctx, name, false)
		if err != nil {
			log.Error("delivery", "integration", name, "error", err)
		}
		rep.Delivery = make(map[string]engine.Delivery, len(res))
		for dn, x := range res {
			rep.Delivery[dn] = engine.Delivery{Sent: x.Sent, Queued: x.Queued, Error: x.Error}
		}
	}
	return rep, nil
}

func (r *Runner) logger() *slog.Logger {
	if r.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Logger
}

func (r *Runner) notifier() *notify.Notifier {
	if r.Notifier != nil {
		return r.Notifier
	}
	return &notify.Notifier{Config: r.Config, Store: r.Store, Logger: r.Logger}
}
