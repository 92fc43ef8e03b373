package main

import (
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/agentsync/agent/agent/engine"
	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/internal/vendorsim"
)

var faultUsers = flag.Int("fault-users", 10_000, "users the fault suite's simulator serves (1000000: the full-scale suite)")

// faultHTTP are the integration's HTTP knobs in the fault suite: quick
// retries, a request timeout the stall outlasts, a 1 MiB body cap the
// oversized page passes (a page of 1,000 users is about 180 KB).
const faultHTTP = `  http.attempts = 3
  http.backoff = "1ms"
  http.max_wait = "10s"
  http.request_timeout = "1s"
  http.max_response_mb = 1
`

type faultCase struct {
	fault      string
	shape      string // default the REST shape
	pagination string // default cursor
	transient  bool   // a client that retries, refreshes and waits gets through
	want       string // in the error of the failed run
}

// faultCases covers every fault of the simulator (checked), in the REST
// shape, and some again in the Ironclad shape.
var faultCases = []faultCase{
	{fault: vendorsim.Fault500Once, transient: true},
	{fault: vendorsim.Fault429Once, transient: true},
	{fault: vendorsim.FaultExpireToken, transient: true},
	{fault: vendorsim.FaultDropOnce, transient: true},
	{fault: vendorsim.FaultStallOnce, transient: true},
	{fault: vendorsim.Fault500Always, want: "gave up after retries: HTTP 500 Internal Server Error (3 attempts)"},
	{fault: vendorsim.Fault429Long, want: "asked to wait longer than max_wait"},
	{fault: vendorsim.FaultRepeatCursor, want: "pagination repeats itself: the API handed out cursor"},
	{fault: vendorsim.FaultRepeatPage, pagination: vendorsim.OffsetLimit, want: "pagination repeats itself: the API returned an earlier page again"},
	{fault: vendorsim.FaultEnvelopeChanged, want: `unexpected response envelope: rest.records_path "data.users" is not in the response`},
	{fault: vendorsim.FaultTruncatedJSON, want: "not JSON"},
	{fault: vendorsim.FaultHTMLPage, want: "an HTML page, not JSON"},
	{fault: vendorsim.FaultOversized, want: "response too large"},
	{fault: vendorsim.FaultTokenDown, want: `credential "sim": no token from`},
	{fault: vendorsim.FaultUnauthorized, want: `credential "sim" was refused`},
	{fault: vendorsim.FaultEmpty, want: "incomplete fetch: the source returned no users"},

	{fault: vendorsim.Fault429Once, shape: vendorsim.ShapeIronclad, transient: true},
	{fault: vendorsim.FaultExpireToken, shape: vendorsim.ShapeIronclad, transient: true},
	{fault: vendorsim.FaultRepeatPage, shape: vendorsim.ShapeIronclad, want: "pagination repeats itself: the API returned an earlier page again"},
	{fault: vendorsim.FaultEnvelopeChanged, shape: vendorsim.ShapeIronclad, want: `rest.records_path "data" is not in the response`},
}

// TestFaultSuite serves every fault of the simulator on a middle page,
// first on the very first sync of an empty store, then on a later run of
// a synced one. A transient fault must be overcome (exit 0, the run
// complete); any other must fail the run (exit 1) with an error that says
// what happened, deactivating nobody; and each time the next clean run
// converges to every user, active. The empty source is fine on a first
// sync (there was nobody to lose) and fails a later one.
func TestFaultSuite(t *testing.T) {
	covered := map[string]bool{}
	for _, tc := range faultCases {
		covered[tc.fault] = true
	}
	for _, f := range vendorsim.Faults {
		if !covered[f] {
			t.Errorf("fault %q of the simulator has no case in the fault suite", f)
		}
	}
	n := *faultUsers
	if raceEnabled && n > 500 {
		n = 500 // the race detector looks for races, not for scale; keep -race quick
	}
	for _, tc := range faultCases {
		name := tc.fault
		if tc.shape != "" {
			name += "/" + tc.shape
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			size := min(1000, n/10) // ten pages or more; the fault on a middle one
			if tc.shape == vendorsim.ShapeIronclad {
				size = min(100, n/10)
			}
			sc := vendorsim.Config{Users: n, Shape: tc.shape, Pagination: tc.pagination, FaultPage: n / size / 2, Stall: 3 * time.Second}
			a := newSimAgent(t, sc, vendorsim.Integration{PageSize: size, Extra: faultHTTP})

			for _, later := range []bool{false, true} {
				a.sim.Set(func(c *vendorsim.Config) { c.Fault = tc.fault })
				a.sim.ResetStats()
				code, rep := a.runNow()
				if st := a.sim.Stats(); tc.transient && st.Requests == st.PagesServed {
					t.Fatalf("%s: the fault was never served (%+v)", map[bool]string{false: "first run", true: "later run"}[later], st)
				}
				people, inactive := census(a.export())
				phase := map[bool]string{false: "first run", true: "later run"}[later]
				switch {
				case tc.transient:
					want := engine.Report{Outcome: store.OutcomeSuccess}
					want.Counts.Fetched = n
					if later {
						want.Counts.Unchanged = n
					} else {
						want.Counts.Created = n
					}
					if code != exitOK || rep.Outcome != want.Outcome || rep.Counts != want.Counts {
						t.Fatalf("%s: exit %d, %s %q, %+v; want exit 0, success, %+v", phase, code, rep.Outcome, rep.Error, rep.Counts, want.Counts)
					}
				case tc.fault == vendorsim.FaultEmpty && !later:
					if code != exitOK || rep.Outcome != store.OutcomeSuccess || rep.Counts.Fetched != 0 {
						t.Fatalf("%s: exit %d, %s %q, %+v; want exit 0, success with nobody", phase, code, rep.Outcome, rep.Error, rep.Counts)
					}
				default:
					if code != exitFailed || rep.Outcome != store.OutcomeFailed || !strings.Contains(rep.Error, tc.want) {
						t.Fatalf("%s: exit %d, %s %q; want exit 1, failed, naming %q", phase, code, rep.Outcome, rep.Error, tc.want)
					}
					if later && people != n {
						t.Errorf("%s: %d people stored, want %d", phase, people, n)
					}
				}
				if inactive != 0 || rep.Counts.Deactivated != 0 {
					t.Errorf("%s: %d people inactive, %d deactivated: a fault deactivated somebody", phase, inactive, rep.Counts.Deactivated)
				}

				// The next clean run converges.
				a.sim.Set(func(c *vendorsim.Config) { c.Fault = vendorsim.FaultNone })
				code, rep = a.runNow()
				c := rep.Counts
				if code != exitOK || rep.Outcome != store.OutcomeSuccess || c.Fetched != n || c.Created+c.Unchanged != n || c.Updated+c.Deactivated+c.Reactivated != 0 {
					t.Fatalf("%s: the clean run after it: exit %d, %s %q, %+v", phase, code, rep.Outcome, rep.Error, c)
				}
				if people, inactive := census(a.export()); people != n || inactive != 0 {
					t.Fatalf("%s: after the clean run %d people, %d inactive; want %d, 0", phase, people, inactive, n)
				}
			}
		})
	}
}
