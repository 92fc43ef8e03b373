// Package deliver gives the destinations what the runs queued for them
// (DESIGN.md, "Destinations"): a full snapshot the first time, then the
// changed records, in batches, moving the queue on only when the
// destination acknowledged. Both `agent run-now`/`agent deliver` and the
// service deliver through it; a lock per destination and integration keeps
// two processes from sending the same changes at once.
package deliver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/agent/export"
	"github.com/agentsync/agent/agent/notify"
	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/credentials"
	"github.com/agentsync/agent/destinations"
	"github.com/agentsync/agent/internal/filelock"
	"github.com/agentsync/agent/vendors/web"
)

// FailingAfter is how long a destination may fail before the contacts
// are told.
const FailingAfter = time.Hour

// Deliverer delivers the queues of one config's integrations.
type Deliverer struct {
	Config    *config.Config
	Store     *store.Store
	Secrets   destinations.SecretSource
	Logger    *slog.Logger
	UserAgent string
	Version   string
	// Notifier is told when a destination has failed for FailingAfter
	// and when it recovers; nil: the inbox of Store.
	Notifier *notify.Notifier
	// HTTP is the retry policy of the requests (tests, and run-now's
	// bounded effort).
	HTTP destinations.HTTP
	Now  func() time.Time

	once sync.Once
}

// Result is one destination's outcome for one integration.
type Result struct {
	Sent   int    `json:"sent"`   // records the destination acknowledged
	Queued int    `json:"queued"` // records still queued
	Error  string `json:"error"`
	Err    error  `json:"-"`
}

// ErrBusy means another process is delivering the same queue.
var ErrBusy = errors.New("another delivery of it is going on")

// Integration delivers what is queued of the named integration to each of
// its destinations; full first queues a snapshot of every record. The
// result is by destination name.
func (d *Deliverer) Integration(ctx context.Context, name string, full bool) (map[string]Result, error) {
	in, ok := d.Config.Integration(name)
	if !ok {
		return nil, fmt.Errorf("no integration named %q in %s", name, d.Config.Path)
	}
	out := make(map[string]Result, len(in.Destinations))
	for _, dn := range in.Destinations {
		res, err := d.Destination(ctx, name, dn, full)
		if err != nil {
			return nil, err
		}
		out[dn] = res
	}
	return out, nil
}

// Destination delivers what is queued of one integration to one of its
// destinations.
func (d *Deliverer) Destination(ctx context.Context, integration, destination string, full bool) (Result, error) {
	in, ok := d.Config.Integration(integration)
	if !ok {
		return Result{}, fmt.Errorf("no integration named %q in %s", integration, d.Config.Path)
	}
	dc, ok := d.Config.Destination(destination)
	if !ok || !slices.Contains(in.Destinations, destination) {
		return Result{}, fmt.Errorf("integration %s delivers to no destination named %q in %s", integration, destination, d.Config.Path)
	}
	return d.pair(ctx, in, dc, full), nil
}

func (d *Deliverer) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// init fills what was left unset: a logger that discards, a notifier
// writing to the store's inbox.
func (d *Deliverer) init() {
	d.once.Do(func() {
		if d.Logger == nil {
			d.Logger = slog.New(slog.DiscardHandler)
		}
		if d.Notifier == nil {
			d.Notifier = &notify.Notifier{Config: d.Config, Store: d.Store, Logger: d.Logger}
		}
	})
}

// build makes the destination; red learns the secrets it reads.
func (d *Deliverer) build(dc *config.Destination, red destinations.Redactor) (destinations.Destination, error) {
	d.init()
	t, ok := destinations.Lookup(dc.Type)
	if !ok {
		return nil, fmt.Errorf("destination %s: unknown type %q", dc.Name, dc.Type)
	}
	return t.New(destinations.Config{
		Name: dc.Name, URL: dc.URL, Credential: dc.Credential, BatchSize: dc.BatchSize, Settings: dc.Settings,
		Secrets: d.Secrets, UserAgent: d.UserAgent, Version: d.Version, Redactor: red, HTTP: d.HTTP,
		Logger: d.Logger.With("destination", dc.Name),
	})
}

// Check builds the destination and runs its check (the Oomnitza token
// check), for `agent credentials test`.
func (d *Deliverer) Check(ctx context.Context, dc *config.Destination) error {
	red := newRedactor()
	dst, err := d.build(dc, red)
	if err != nil {
		return err
	}
	if err := dst.Check(ctx); err != nil {
		return errors.New(red.String(err.Error()))
	}
	return nil
}

func (d *Deliverer) pair(ctx context.Context, in *config.Integration, dc *config.Destination, full bool) (res Result) {
	d.init()
	log := d.Logger.With("integration", in.Name, "destination", dc.Name)
	fail := func(err error) Result {
		res.Err, res.Error = err, err.Error()
		return res
	}
	l, err := filelock.Acquire(d.Config.Agent.DataDir, "deliver@"+dc.Name+"@"+in.Name)
	if err != nil {
		if errors.Is(err, filelock.ErrHeld) {
			return fail(fmt.Errorf("destination %s: %s: %w", dc.Name, in.Name, ErrBusy))
		}
		return fail(err)
	}
	defer l.Release()
	if full {
		runID := ""
		if last, err := d.Store.LastRun(ctx, in.Name, store.OutcomeSuccess); err == nil {
			runID = last.ID
		}
		if err := d.Store.QueueSnapshot(ctx, dc.Name, in.Name, runID); err != nil {
			return fail(err)
		}
	}
	st, err := d.Store.Delivery(ctx, dc.Name, in.Name)
	if errors.Is(err, store.ErrNotFound) {
		return res // no successful run has queued anything yet
	}
	if err != nil {
		return fail(err)
	}
	if !st.Pending() {
		return res
	}
	red := newRedactor()
	dst, err := d.build(dc, red)
	if err != nil {
		return fail(err)
	}
	j := &job{d: d, in: in, dc: dc, st: st, dst: dst, wants: dst.Wants(), ex: map[store.Kind]*export.Exporter{
		store.Person:   export.New(in.Name, store.Person, in.CompiledMapping),
		store.SaaSUser: export.New(in.Name, store.SaaSUser, in.CompiledMapping),
	}}
	err = j.run(ctx)
	res.Sent = j.sent
	if err != nil {
		msg := red.String(err.Error())
		log.Error("delivery failed; the changes stay queued", "error", msg, "sent", j.sent)
		res.Err, res.Error = errors.New(msg), msg
		now := d.now()
		if since, ferr := d.Store.DeliveryFailed(context.WithoutCancel(ctx), dc.Name, in.Name, msg, now); ferr != nil {
			log.Error("recording the failed delivery failed", "error", ferr)
		} else if now.Sub(since) >= FailingAfter {
			d.Notifier.DeliveryFailing(ctx, in.Name, dc.Name, since, msg)
		}
	} else {
		log.Info("delivered", "records", j.sent, "batches", j.number, "snapshot", st.Snapshot)
		d.Notifier.DeliveryRecovered(ctx, in.Name, dc.Name, d.now())
	}
	if n, qerr := d.queued(ctx, in, dc.Name, j.wants); qerr == nil {
		res.Queued = n
	}
	return res
}

// Queued counts the records queued for the destination, for status and
// reports: a pending snapshot counts every record.
func (d *Deliverer) Queued(ctx context.Context, in *config.Integration, dc *config.Destination) (int, error) {
	dst, err := d.build(dc, newRedactor())
	if err != nil {
		return 0, err
	}
	return d.queued(ctx, in, dc.Name, dst.Wants())
}

func (d *Deliverer) queued(ctx context.Context, in *config.Integration, dest string, w destinations.Wants) (int, error) {
	st, err := d.Store.Delivery(ctx, dest, in.Name)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	if err != nil || !st.Pending() {
		return 0, err
	}
	saas := in.Mode == config.ModeUsersAndSaaS && !w.PerPerson
	if st.Snapshot {
		n, err := d.Store.CountRecords(ctx, in.Name, store.Person, 0, 0)
		if err == nil && saas {
			var m int
			m, err = d.Store.CountRecords(ctx, in.Name, store.SaaSUser, 0, 0)
			n += m
		}
		return n, err
	}
	n, err := d.Store.CountRecords(ctx, in.Name, store.Person, st.Acked.Person, st.Queued.Person)
	if err != nil {
		return 0, err
	}
	if saas {
		m, err := d.Store.CountRecords(ctx, in.Name, store.SaaSUser, st.Acked.SaaS, st.Queued.SaaS)
		if err != nil {
			return 0, err
		}
		n += m
	}
	changed, err := d.Store.Changed(ctx, in.Name, st.Acked.Change, st.Queued.Change, st.Acked, w.PersonFields, w.SaaSFields)
	return n + len(changed), err
}

// RetryBudget returns a Sleep for destinations.HTTP that waits at most
// total across every retry of a delivery, then gives up: the bounded
// effort of `agent run-now`, which leaves the rest to the service or to
// `agent deliver`.
func RetryBudget(total time.Duration) func(ctx context.Context, d time.Duration) error {
	var mu sync.Mutex
	spent := time.Duration(0)
	return func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		if spent+d > total {
			mu.Unlock()
			return fmt.Errorf("%w (run-now retries for at most %s; the service or `agent deliver` tries again)", ErrBudget, total)
		}
		spent += d
		mu.Unlock()
		return web.Sleep(ctx, d)
	}
}

// ErrBudget means a bounded delivery stopped retrying.
var ErrBudget = errors.New("gave up retrying")

// newRedactor is a delivery's: it learns the destination's credential as
// it is read, and every text the destination answers passes it.
func newRedactor() *credentials.Redactor { return &credentials.Redactor{} }
