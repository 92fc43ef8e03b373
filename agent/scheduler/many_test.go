package scheduler

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/vendors"
)

// crowdVendor's sources count how many fetches run at once.
const crowdVendor = "scheduler-crowd"

var crowd struct {
	inFlight, peak atomic.Int64
	pool           int64 // the bound under test
	mu             sync.Mutex
	fetches        map[string]int
}

type crowdSource struct{ name string }

func init() {
	vendors.Register(crowdVendor, func(s vendors.Config) (vendors.Source, error) {
		return crowdSource{s.Integration}, nil
	})
}

// Fetch takes a real millisecond or more and yields one user.
func (s crowdSource) Fetch(ctx context.Context, yield func(vendors.Page) error) error {
	now := crowd.inFlight.Add(1)
	defer crowd.inFlight.Add(-1)
	for peak := crowd.peak.Load(); now > peak && !crowd.peak.CompareAndSwap(peak, now); peak = crowd.peak.Load() {
	}
	crowd.mu.Lock()
	crowd.fetches[s.name]++
	crowd.mu.Unlock()
	// The first runs wait (a while at most) for the pool to fill, so that
	// a loaded machine does not hide a pool that lets too few run.
	for deadline := time.Now().Add(2 * time.Second); crowd.peak.Load() < crowd.pool && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	select {
	case <-time.After(time.Millisecond):
	case <-ctx.Done():
		return ctx.Err()
	}
	return yield(vendors.Page{Number: 1, Records: []vendors.Record{{"email": s.name + "@example.com"}}})
}

// TestManyIntegrationsDueTogether: 200 integrations due at the same
// minute all run, once each, through a pool of 4 that is filled and never
// exceeded, and all succeed; nobody is told a run could not run.
func TestManyIntegrationsDueTogether(t *testing.T) {
	const n, pool = 200, 4
	crowd.fetches, crowd.pool = map[string]int{}, pool
	crowd.peak.Store(0)
	var cfg strings.Builder
	for i := range n {
		fmt.Fprintf(&cfg, "[[integration]]\nname = \"crowd-%03d\"\nvendor = %q\nschedule = \"daily 09:00\"\ncontacts = [\"ops@example.com\"]\n[integration.mapping]\n\"user.email\" = \"email\"\n\n", i, crowdVendor)
	}
	start := time.Date(2025, 6, 2, 8, 59, 30, 0, time.UTC)
	h := newHarness(t, "UTC", start, pool, cfg.String())
	ticks := make(chan int)
	go func() { // the harness's tick channel holds 100: drain it
		got := 0
		for range h.ticks {
			if got++; got == n {
				ticks <- got
			}
		}
	}()
	h.start()
	due := time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)
	for i := range n { // every timer is set before the minute comes
		name := fmt.Sprintf("crowd-%03d", i)
		for deadline := time.Now().Add(5 * time.Second); !h.s.NextRun(name).Equal(due); {
			if time.Now().After(deadline) {
				t.Fatalf("%s: next run %s, want %s", name, h.s.NextRun(name), due)
			}
			time.Sleep(time.Millisecond)
		}
	}
	began := time.Now()
	h.clock.Advance(due.Sub(start))
	select {
	case <-ticks:
	case <-time.After(2 * time.Minute):
		t.Fatalf("not every integration ran: %d fetches, %d waiting", len(crowd.fetches), h.s.Waiting())
	}
	t.Logf("%d runs through a pool of %d in %s", n, pool, time.Since(began).Round(time.Millisecond))

	if p := crowd.peak.Load(); p != pool {
		t.Errorf("at most %d runs at once, want the pool's %d", p, pool)
	}
	runs, err := h.st.Runs(context.Background(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	ok := map[string]int{}
	for _, r := range runs {
		if r.Outcome != store.OutcomeSuccess || r.Trigger != "schedule" {
			t.Errorf("%s: %s run %s: %s", r.Integration, r.Trigger, r.Outcome, r.Error)
		}
		ok[r.Integration]++
	}
	crowd.mu.Lock()
	defer crowd.mu.Unlock()
	for i := range n {
		name := fmt.Sprintf("crowd-%03d", i)
		if ok[name] != 1 || crowd.fetches[name] != 1 {
			t.Errorf("%s: %d runs, %d fetches; want one of each", name, ok[name], crowd.fetches[name])
		}
	}
	if msgs := h.messages(); len(msgs) != 0 {
		t.Errorf("%d messages, the first: %+v", len(msgs), msgs[0])
	}
	if w := h.s.Waiting(); w != 0 {
		t.Errorf("%d runs still wait", w)
	}
}
