// Package engine runs one sync of one integration: vendor pages → filter →
// mapping → diff against the store → apply (preference, deactivate and
// reactivate) → run report. It owns the rules that keep a bad fetch from
// deactivating anybody.
package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync/atomic"
	"time"

	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/internal/plural"
	"github.com/agentsync/agent/mapping"
	"github.com/agentsync/agent/vendors"
)

// Source is what the engine needs of a vendor: pages of records, and nil
// only when the fetch was complete.
type Source interface {
	Fetch(ctx context.Context, yield func(vendors.Page) error) error
}

// Modes, preferences and triggers as the config spells them.
const (
	ModeUsers     = "users"
	ModeSaaSUsers = "users+saas_users"

	CreateUpdate = "create_update"
	CreateOnly   = "create_only"
	UpdateOnly   = "update_only"

	TriggerSchedule = "schedule"
	TriggerManual   = "manual"
)

// Active says how "inactive at the source" is read from a record.
type Active struct {
	Field           string
	InactiveValues  []string // compared case-insensitively with the field's value
	InactiveWhenSet bool     // any non-empty value means inactive (e.g. deactivatedAt)
}

// Spec is an integration as the engine sees it: compiled and validated.
type Spec struct {
	Integration string
	Mode        string
	Application string
	// ApplicationFrom, in users+saas_users mode instead of Application,
	// is the source field naming each record's application (resolved
	// through the application catalogue: an instance id becomes its name).
	ApplicationFrom      string
	Preference           string
	Deactivate           bool
	MaxDeactivatePercent float64
	CredentialName       string
	Mapping              *mapping.Mapping
	Filters              []*mapping.Filter
	Active               Active
	// Destinations the run's changes are queued for when it succeeds.
	Destinations []string
}

// Progress is reported after every page.
type Progress struct {
	Pages   int
	Fetched int
}

// Options are per run.
type Options struct {
	Trigger  string
	DryRun   bool
	Progress func(Progress)
	Logger   *slog.Logger
}

// Report is the run report of DESIGN.md; its JSON is the `--json` line.
type Report struct {
	Integration string    `json:"integration"`
	RunID       string    `json:"run_id"`
	Trigger     string    `json:"trigger"`
	StartedAt   time.Time `json:"started_at"`
	FinishedAt  time.Time `json:"finished_at"`
	Outcome     string    `json:"outcome"`
	Error       string    `json:"error"`
	DryRun      bool      `json:"dry_run,omitempty"`
	// Kind is what Counts count when it is not people: "application",
	// "invoice" or "contract" (the SaaS discovery modes).
	Kind       store.Kind    `json:"kind,omitempty"`
	Counts     store.Counts  `json:"counts"`
	SaaSCounts *store.Counts `json:"saas_counts,omitempty"`
	// Staged lists (the first of) the records a guarded run would have
	// deactivated, so an admin can judge before lowering the guard.
	Staged []string `json:"staged_deactivations,omitempty"`
	// Invalid says why records were skipped (the first 20), each named by
	// its file and line when the source has them ("invoices.csv:4:
	// invoice.amount: ..."), else by page and place.
	Invalid []string `json:"invalid_records,omitempty"`
	// Delivery is what delivering after the run did, by destination
	// (filled by whoever delivered: the engine only queues).
	Delivery map[string]Delivery `json:"delivery,omitempty"`
	// Event and Actor are what a push named (trigger "push").
	Event string `json:"event,omitempty"`
	Actor string `json:"actor,omitempty"`
}

// Delivery is one destination's part of a run report.
type Delivery struct {
	Sent   int    `json:"sent"`   // records the destination acknowledged
	Queued int    `json:"queued"` // records left queued
	Error  string `json:"error"`
}

// Errors callers and tests branch on.
var (
	ErrIncomplete = vendors.ErrIncomplete // one notion: a vendor's rules and the engine's own

	ErrGuard = errors.New("mass-deactivation guard")
)

// countedKind is Report.Kind for a mode.
func countedKind(mode string) store.Kind {
	if k := rulesOf(mode).kind; k != store.Person {
		return k
	}
	return ""
}

// NewRunID returns a sortable, unique run id.
func NewRunID(t time.Time) string {
	var b [4]byte
	rand.Read(b[:])
	return t.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// Run performs one sync. It always returns a report; its Outcome says how
// the run ended and Error why it failed. Nobody is deactivated unless the
// fetch was complete and the guard allowed it.
func Run(ctx context.Context, st *store.Store, spec Spec, src Source, opt Options) Report {
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opt.Trigger == "" {
		opt.Trigger = TriggerManual
	}
	start := time.Now().UTC()
	rep := Report{
		Integration: spec.Integration,
		RunID:       NewRunID(start),
		Trigger:     opt.Trigger,
		StartedAt:   start,
		DryRun:      opt.DryRun,
	}
	if spec.Mode == ModeSaaSUsers {
		rep.SaaSCounts = &store.Counts{}
	}
	rep.Kind = countedKind(spec.Mode)
	log = log.With("integration", spec.Integration, "run_id", rep.RunID)
	r := &run{spec: spec, src: src, st: st, rep: &rep, log: log, opt: opt}
	r.packAhead.Store(true) // until a page says otherwise: a first sync writes them all
	r.setup()
	err := r.do(ctx)
	rep.FinishedAt = time.Now().UTC()
	switch {
	case err == nil:
		rep.Outcome = store.OutcomeSuccess
	case ctx.Err() != nil:
		rep.Outcome = store.OutcomeCancelled
		rep.Error = err.Error()
	default:
		rep.Outcome = store.OutcomeFailed
		rep.Error = err.Error()
	}
	if err != nil && r.started && !opt.DryRun {
		// The run row must say how it ended even when ctx is gone.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if ferr := st.FinishRun(fctx, rep.storeRun(spec.CredentialName)); ferr != nil {
			log.Error("recording the run's end failed", "error", ferr)
		}
	}
	return rep
}

func (rep *Report) storeRun(credential string) store.Run {
	return store.Run{
		ID:             rep.RunID,
		Integration:    rep.Integration,
		Trigger:        rep.Trigger,
		StartedAt:      rep.StartedAt,
		FinishedAt:     rep.FinishedAt,
		Outcome:        rep.Outcome,
		Error:          rep.Error,
		Counts:         rep.Counts,
		SaaSCounts:     rep.SaaSCounts,
		CredentialName: credential,
		Event:          rep.Event,
		Actor:          rep.Actor,
	}
}

type run struct {
	spec    Spec
	src     Source
	st      *store.Store
	rep     *Report
	log     *slog.Logger
	opt     Options
	sync    *store.Sync
	started bool
	pages   int
	keys    []string     // scratch for canonical's sorted keys, in page (mapPage has its own)
	packer  store.Packer // a push's (fetch's mapPage has its own)
	// packAhead: mapPage packs the records' data for the store (a page
	// mostly written); else the store packs the few it writes.
	packAhead atomic.Bool

	rules       kindRules // the mode's primary kind
	applyStatus bool      // status changes are applied (deactivate, or a contract's end)
	today       string    // the run's date, UTC (YYYY-MM-DD): contracts end by it
	vendorKey   bool      // invoices are keyed vendor/invoice_id
	// A roster across applications (application_from): the catalogue
	// (application key → name), the applications the run saw (page's),
	// and the people seen active so far (mapPage's).
	multi      bool
	catalogue  map[string]string
	apps       map[string]struct{}
	activeKeys map[string]struct{}
}

func (r *run) do(ctx context.Context) error {
	prev, err := r.st.LastRun(ctx, r.spec.Integration, store.OutcomeSuccess)
	hasPrev := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if !r.opt.DryRun {
		if err := r.st.StartRun(ctx, r.rep.storeRun(r.spec.CredentialName)); err != nil {
			return err
		}
		r.started = true
	}
	r.sync, err = r.st.BeginSync(ctx, r.spec.Integration, r.rep.RunID, r.opt.DryRun)
	if err != nil {
		return err
	}
	defer r.sync.Close()
	r.sync.DeliverTo(r.spec.Destinations)
	if err := r.loadCatalogue(ctx); err != nil {
		return err
	}

	if err := r.fetch(ctx); err != nil {
		return err
	}
	if r.rep.Counts.Fetched == 0 && hasPrev && prev.Counts.Fetched > 0 {
		return fmt.Errorf("%w: the source returned no %s, the last successful run (%s) had %d; nobody was deactivated",
			ErrIncomplete, r.rules.noun, prev.StartedAt.Format(time.RFC3339), prev.Counts.Fetched)
	}
	scopes, err := r.scopes(ctx)
	if err != nil {
		return err
	}
	if err := r.planStatus(ctx, scopes); err != nil {
		return err
	}
	if r.opt.DryRun {
		return nil
	}
	prevID := ""
	if hasPrev {
		prevID = prev.ID
	}
	return r.commit(ctx, prevID, scopes)
}

// commit records the run as a success with its planned status changes,
// in one transaction (Sync.Commit), after prevID, the previous success.
func (r *run) commit(ctx context.Context, prevID string, scopes []store.Scope) error {
	r.rep.FinishedAt = time.Now().UTC()
	done := *r.rep
	done.Outcome = store.OutcomeSuccess
	if err := r.sync.Commit(ctx, done.storeRun(r.spec.CredentialName), prevID, scopes, r.applyStatus); err != nil {
		// The status changes were planned, not committed: the failed
		// run's report counts none.
		for _, sc := range scopes {
			c := r.counts(sc.Kind)
			c.Deactivated, c.Reactivated = 0, 0
		}
		return err
	}
	return nil
}

// planStatus fills the deactivated/reactivated counts and enforces the
// mass-deactivation guard, before anything is written. The guard weighs a
// kind's totals: a roster across applications is one kind over several
// scopes. Invoices and contracts are not guarded: none is deactivated for
// being missing, and contracts ending on the same day is no accident.
func (r *run) planStatus(ctx context.Context, scopes []store.Scope) error {
	plans := make([]store.StatusPlan, len(scopes))
	for i, sc := range scopes {
		p, err := r.sync.PlanScope(ctx, sc)
		if err != nil {
			return err
		}
		plans[i] = p
	}
	if !r.applyStatus {
		return nil
	}
	for i := 0; i < len(scopes); {
		kind := scopes[i].Kind
		j := i + 1
		for j < len(scopes) && scopes[j].Kind == kind {
			j++
		}
		if err := r.guard(ctx, scopes[i:j], plans[i:j]); err != nil {
			return err
		}
		i = j
	}
	for i, sc := range scopes {
		c := r.counts(sc.Kind)
		c.Deactivated += plans[i].Deactivate
		c.Reactivated += plans[i].Reactivate
	}
	return nil
}

// guard enforces max_deactivate_percent over the scopes of one kind.
func (r *run) guard(ctx context.Context, scopes []store.Scope, plans []store.StatusPlan) error {
	kind := scopes[0].Kind
	if kind == store.Invoice || kind == store.Contract {
		return nil
	}
	deact, active := plans[0].Deactivate, plans[0].Active
	staged := plans[0].Staged
	if len(scopes) > 1 {
		deact, staged = 0, nil
		for i, p := range plans {
			deact += p.Deactivate
			for _, k := range p.Staged {
				staged = append(staged, scopes[i].Application+": "+k)
			}
		}
		if deact == 0 {
			return nil
		}
		var err error
		if active, err = r.sync.ActiveTotal(ctx, kind); err != nil {
			return err
		}
	}
	if active > 0 && float64(deact)*100 > r.spec.MaxDeactivatePercent*float64(active) {
		r.rep.Staged = staged
		return fmt.Errorf("%w: the run would deactivate %d of %d active %s %s (%.1f%%, max_deactivate_percent is %g); nothing was deactivated",
			ErrGuard, deact, active, kind, plural.Noun(active, "record", "records"), float64(deact)*100/float64(active), r.spec.MaxDeactivatePercent)
	}
	return nil
}

// loadCatalogue reads, for a roster across applications, the application
// catalogue its application ids are resolved through, once a run.
func (r *run) loadCatalogue(ctx context.Context) error {
	if !r.multi {
		return nil
	}
	cat, err := r.st.Catalogue(ctx)
	if err != nil {
		return err
	}
	r.catalogue = cat
	if r.opt.DryRun {
		return nil
	}
	// Accounts stored under a name the catalogue no longer gives move to
	// the one it gives now, instead of being deactivated and created
	// again: an instance id it did not know then (the roster ran before
	// the catalogue), or the application's old name (the SSO renamed it).
	apps, err := r.sync.SaaSApplications(ctx)
	if err != nil {
		return err
	}
	names := make(map[string]bool, len(cat))
	for _, name := range cat {
		names[name] = true
	}
	moves := map[string]string{}
	var orphans []string
	for _, app := range apps {
		switch name, ok := cat[app]; {
		case ok && name != app:
			moves[app] = name
		case !ok && !names[app]:
			orphans = append(orphans, app)
		}
	}
	renamed, err := r.st.RenamedApplications(ctx, orphans)
	if err != nil {
		return err
	}
	for old, key := range renamed {
		if name, ok := cat[key]; ok && name != old {
			moves[old] = name
		}
	}
	for _, from := range slices.Sorted(maps.Keys(moves)) {
		to := moves[from]
		n, err := r.sync.RenameApplication(ctx, from, to)
		if err != nil {
			return err
		}
		if n > 0 {
			r.log.Info("SaaS users moved to the application's catalogue name", "from", from, "application", to, "users", n)
		}
	}
	return nil
}
