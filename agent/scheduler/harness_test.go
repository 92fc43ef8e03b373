package scheduler

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/agent/notify"
	"github.com/agentsync/agent/agent/runner"
	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/internal/vendortest"
	"github.com/agentsync/agent/vendors"
)

// The tests run the real runner, engine, store and lock over a vendor
// whose fetches the test sees and can hold.
const testVendor = "scheduler-test"

var (
	sourcesMu sync.Mutex
	sources   = map[string]*source{}
)

func init() {
	vendors.Register(testVendor, func(s vendors.Config) (vendors.Source, error) {
		sourcesMu.Lock()
		defer sourcesMu.Unlock()
		src, ok := sources[s.Integration]
		if !ok {
			return nil, fmt.Errorf("no test source for %s", s.Integration)
		}
		return src, nil
	})
}

// source records each fetch with the fake clock's time; while hold is
// open, fetches wait for it (or for their context).
type source struct {
	h    *harness
	name string
	hold chan struct{}
}

func (s *source) Fetch(ctx context.Context, _ func(vendors.Page) error) error {
	s.h.fetches <- fetch{s.name, s.h.clock.Now()}
	if s.hold != nil {
		select {
		case <-s.hold:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

type fetch struct {
	name string
	at   time.Time
}

type harness struct {
	t       *testing.T
	clock   *clockwork.FakeClock
	cfg     *config.Config
	st      *store.Store
	r       *runner.Runner
	s       *Scheduler
	fetches chan fetch
	ticks   chan string
}

// integration is one [[integration]] table of the test vendor; extra lines
// go into it as written.
func integration(name, spec string, extra ...string) string {
	return fmt.Sprintf("[[integration]]\nname = %q\nvendor = %q\nschedule = %q\ncontacts = [\"ops@example.com\"]\n%s\n[integration.mapping]\n\"user.email\" = \"email\"\n\n",
		name, testVendor, spec, strings.Join(extra, "\n"))
}

// newHarness loads a config of the given integrations in time zone tz
// with the fake clock at start; the scheduler is made by start.
func newHarness(t *testing.T, tz string, start time.Time, maxParallel int, integrations ...string) *harness {
	t.Helper()
	e := vendortest.New(t, nil)
	cfg := e.Config(fmt.Sprintf("[agent]\ndata_dir = \"data\"\ntime_zone = %q\nmax_parallel_runs = %d\n\n%s", tz, maxParallel, strings.Join(integrations, "")))
	st := e.Store
	h := &harness{t: t, clock: clockwork.NewFakeClockAt(start), cfg: cfg, st: st,
		fetches: make(chan fetch, 100), ticks: make(chan string, 100)}
	h.r = &runner.Runner{Config: cfg, Store: st, Notifier: &notify.Notifier{Config: cfg, Store: st}}
	sourcesMu.Lock()
	clear(sources)
	for _, in := range cfg.Integrations {
		sources[in.Name] = &source{h: h, name: in.Name}
	}
	sourcesMu.Unlock()
	return h
}

func (h *harness) start() {
	h.t.Helper()
	s, err := New(h.r, Options{Clock: h.clock, MaxParallel: h.cfg.Agent.MaxParallelRuns})
	if err != nil {
		h.t.Fatal(err)
	}
	s.ticked = func(name string) { h.ticks <- name }
	h.s = s
	h.t.Cleanup(func() { s.Stop() })
}

func (h *harness) hold(name string) chan struct{} {
	c := make(chan struct{})
	sourcesMu.Lock()
	sources[name].hold = c
	sourcesMu.Unlock()
	return c
}

// advance moves the fake clock to the integration's next scheduled time,
// once the scheduler has set its timer for it.
func (h *harness) advance(name string) time.Time {
	h.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		next := h.s.NextRun(name)
		if next.After(h.clock.Now()) {
			h.clock.Advance(next.Sub(h.clock.Now()))
			return next
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("%s: no next run after %s", name, h.clock.Now())
		}
		time.Sleep(time.Millisecond)
	}
}

func (h *harness) fetch() fetch {
	h.t.Helper()
	select {
	case f := <-h.fetches:
		return f
	case <-time.After(10 * time.Second):
		h.t.Fatal("no fetch")
	}
	return fetch{}
}

func (h *harness) noFetch() {
	h.t.Helper()
	select {
	case f := <-h.fetches:
		h.t.Fatalf("unexpected fetch of %s at %s", f.name, f.at)
	default:
	}
}

func (h *harness) tick(want ...string) {
	h.t.Helper()
	var got []string
	for range want {
		select {
		case n := <-h.ticks:
			got = append(got, n)
		case <-time.After(10 * time.Second):
			h.t.Fatalf("ticks %v, want %v", got, want)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		h.t.Fatalf("ticks %v, want %v", got, want)
	}
}

// successes waits until the integration has n successful runs.
func (h *harness) successes(name string, n int) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		runs, err := h.st.Runs(context.Background(), name, 0)
		if err != nil {
			h.t.Fatal(err)
		}
		ok := 0
		for _, r := range runs {
			if r.Outcome == store.OutcomeSuccess {
				ok++
			}
		}
		if ok >= n {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("%s: %d successful runs, want %d: %+v", name, ok, n, runs)
		}
		time.Sleep(time.Millisecond)
	}
}

func (h *harness) messages() []store.Notification {
	h.t.Helper()
	ns, err := h.st.Notifications(context.Background(), 0)
	if err != nil {
		h.t.Fatal(err)
	}
	slices.Reverse(ns)
	return ns
}
