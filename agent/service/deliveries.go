package service

import (
	"context"
	"slices"
	"time"
)

// Delivery retry backoff of the service: a failed pair waits before it
// is tried again, doubling up to the ceiling. Within one attempt each
// request has its own retries (package destinations).
const (
	deliverEvery      = time.Minute
	deliverBackoff    = time.Minute
	deliverMaxBackoff = 30 * time.Minute
)

// deliveries delivers, in the background, whatever the queue holds: at
// start (a change committed just before the agent stopped is delivered
// now), then every minute, a failing pair backing off. Runs deliver their
// own changes as they end; this catches the rest.
func (d *Daemon) deliveries(ctx context.Context) {
	type wait struct {
		until time.Time
		delay time.Duration
	}
	waits := map[string]*wait{} // destination + "\x00" + integration
	tick := d.Clock.NewTicker(deliverEvery)
	defer tick.Stop()
	for {
		gen := d.generationNow()
		cfg, dl := gen.cfg, gen.runner.Deliverer
		states, err := d.st.Deliveries(ctx)
		if err != nil && ctx.Err() == nil {
			d.log.Error("reading the delivery queue", "error", err)
		}
		now := d.Clock.Now()
		for _, st := range states {
			in, ok := cfg.Integration(st.Integration)
			if !ok || !st.Pending() || !slices.Contains(in.Destinations, st.Destination) {
				continue
			}
			k := st.Destination + "\x00" + st.Integration
			w := waits[k]
			if w != nil && now.Before(w.until) {
				continue
			}
			r, err := dl.Destination(ctx, st.Integration, st.Destination, false)
			if ctx.Err() != nil {
				return
			}
			if err != nil || r.Err != nil {
				if w == nil {
					w = &wait{delay: deliverBackoff}
					waits[k] = w
				} else {
					w.delay = min(2*w.delay, deliverMaxBackoff)
				}
				w.until = d.Clock.Now().Add(w.delay)
				continue
			}
			delete(waits, k)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.Chan():
		}
	}
}
