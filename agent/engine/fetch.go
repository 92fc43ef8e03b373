package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/vendors"
)

// fetch streams the vendor's pages through a pipeline of three
// goroutines: the vendor reads and decodes a page, the next maps and
// encodes the one before, and this one diffs and writes the one before
// that. Mapping needs nothing of the store, so it is safe ahead; lookups
// and writes stay in page order.
func (r *run) fetch(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pages := make(chan vendors.Page, 1)
	maps := make(chan mapped, 1)
	fetched := make(chan struct{})
	var fetchErr error
	go func() {
		defer close(fetched)
		defer close(pages)
		fetchErr = r.src.Fetch(ctx, func(p vendors.Page) error {
			select {
			case pages <- p:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	go func() {
		defer close(maps)
		var keys []string // canonical's scratch, this goroutine's own
		var packer store.Packer
		for p := range pages {
			select {
			case maps <- r.mapPage(p, &keys, &packer):
			case <-ctx.Done():
			}
		}
	}()
	var pageErr error
	for m := range maps {
		if pageErr != nil {
			continue // drain until the vendor sees the cancellation
		}
		if pageErr = r.page(ctx, m); pageErr != nil {
			cancel()
			continue
		}
		r.pages++
		if r.opt.Progress != nil {
			r.opt.Progress(Progress{Pages: r.pages, Fetched: r.rep.Counts.Fetched})
		}
	}
	<-fetched
	if pageErr != nil {
		return pageErr
	}
	if fetchErr != nil {
		return fmt.Errorf("fetch: %w", fetchErr)
	}
	// A cancellation may have dropped a mapped page after the vendor's
	// last one: that fetch is not complete.
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("fetch: %w", err)
	}
	return nil
}

// page diffs one mapped page against the store and applies it in one
// transaction. The report counts what was committed: a page's counts
// stand only once its transaction did, so a run that fails on a write
// (a full disk) reports the records it really wrote.
func (r *run) page(ctx context.Context, m mapped) error {
	counts, saasCounts := r.rep.Counts, r.saasCounts()
	for {
		r.tally(func(c *store.Counts) {
			c.Fetched += m.fetched
			c.Filtered += m.filtered
			c.Invalid += m.invalid
		})
		if m.saasInvalid > 0 {
			r.rep.SaaSCounts.Invalid += m.saasInvalid
		}
		if len(m.entries) == 0 {
			r.noteInvalid(m.reasons)
			return nil
		}
		writes, seen, err := r.diffPage(ctx, &m)
		if err == nil {
			// Packing ahead pays where most records are written (a
			// first sync), and is wasted where few are (a resync).
			r.packAhead.Store(2*len(writes) > len(m.entries)+len(m.saas))
			err = r.sync.ApplyPage(ctx, writes, seen)
		}
		if err == nil {
			r.noteInvalid(m.reasons)
			for _, e := range m.saas {
				r.apps[e.app] = struct{}{}
			}
			return nil
		}
		r.rep.Counts = counts
		if r.rep.SaaSCounts != nil {
			*r.rep.SaaSCounts = saasCounts
		}
		if !errors.Is(err, store.ErrNotFresh) {
			return err
		}
		// A page written without lookups (the first sync) that repeats a
		// record of an earlier page is diffed again, with lookups.
		if r.multi {
			// A roster across applications lists a person once per application.
			r.log.Debug("the source lists a person on two pages", "page", m.number)
			continue
		}
		r.log.Warn("the source lists a user on two pages; the later record wins", "page", m.number)
	}
}

// saasCounts is a copy of the SaaS counts (zero in users mode).
func (r *run) saasCounts() store.Counts {
	if r.rep.SaaSCounts == nil {
		return store.Counts{}
	}
	return *r.rep.SaaSCounts
}

// tally applies f to the person counts and, in SaaS mode, the SaaS counts:
// fetching, filtering and mapping happen once for both.
func (r *run) tally(f func(*store.Counts)) {
	f(&r.rep.Counts)
	if r.rep.SaaSCounts != nil {
		f(r.rep.SaaSCounts)
	}
}
