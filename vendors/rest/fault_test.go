package rest_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/internal/vendorsim"
	"github.com/agentsync/agent/internal/vendortest"
)

// TestFaults runs a clean sync of 250 users, then one with a fault on the
// second page. Transient faults must be retried into a success; the others
// must fail the run (run-now exits 1 on a failed outcome) with an error
// that says what happened, and deactivate nobody, though the guard is off
// and 150 users were never seen.
func TestFaults(t *testing.T) {
	tests := []struct {
		fault string
		ok    bool
		want  string // in the error
	}{
		{vendorsim.Fault500Once, true, ""},
		{vendorsim.Fault429Once, true, ""}, // Retry-After: 1
		{vendorsim.FaultExpireToken, true, ""},
		{vendorsim.Fault500Always, false, "gave up after retries: HTTP 500 Internal Server Error (3 attempts)"},
		{vendorsim.FaultRepeatCursor, false, "pagination repeats itself: the API handed out cursor"},
		{vendorsim.FaultEnvelopeChanged, false, `unexpected response envelope: rest.records_path "data.users" is not in the response (its top-level keys: data, has_more, response_metadata, total)`},
		{vendorsim.FaultTruncatedJSON, false, "not JSON: the body ends in the middle of a value"},
		{vendorsim.FaultHTMLPage, false, `an HTML page, not JSON (HTTP 200, titled "Service Unavailable")`},
		{vendorsim.FaultTokenDown, false, `credential "oauth": no token from http://`},
		{vendorsim.FaultUnauthorized, false, `credential "oauth" was refused by 127.0.0.1`},
	}
	for _, tc := range tests {
		t.Run(tc.fault, func(t *testing.T) {
			s, srv := newSim(t, vendorsim.Config{Users: 250, Auth: vendorsim.AuthOAuth2, Pagination: vendorsim.Cursor})
			e := vendortest.New(t, secrets())
			cfg := e.Config(integration(srv.URL, `credential = "oauth"`, `
  auth = "oauth2_client_credentials"
  token_url = "`+srv.URL+`/oauth/token"
  pagination = { type = "cursor", cursor_path = "response_metadata.next_cursor", page_size = 100 }
  http.attempts = 3
  http.max_wait = "5s"
`))
			if rep := e.Run(cfg, "vendor-x"); rep.Outcome != store.OutcomeSuccess || rep.Counts.Created != 250 {
				t.Fatalf("clean run: %+v", rep)
			}
			s.Set(func(c *vendorsim.Config) { c.Fault = tc.fault })
			start := time.Now()
			rep := e.Run(cfg, "vendor-x")
			if tc.ok {
				if rep.Outcome != store.OutcomeSuccess || rep.Counts.Unchanged != 250 {
					t.Fatalf("want success, got %s: %s (%+v)", rep.Outcome, rep.Error, rep.Counts)
				}
				if tc.fault == vendorsim.Fault429Once && time.Since(start) < time.Second {
					t.Errorf("Retry-After: 1 was not honoured (%s)", time.Since(start))
				}
				return
			}
			if rep.Outcome != store.OutcomeFailed || !strings.Contains(rep.Error, tc.want) {
				t.Fatalf("want a failed run naming %q, got %s: %s", tc.want, rep.Outcome, rep.Error)
			}
			if n := e.Inactive("vendor-x", store.Person); n != 0 {
				t.Errorf("%d people deactivated by a failed run", n)
			}
			if n := len(e.Records("vendor-x", store.Person)); n != 250 {
				t.Errorf("%d people stored", n)
			}
			// And the next clean run converges.
			s.Set(func(c *vendorsim.Config) { c.Fault = vendorsim.FaultNone })
			if rep := e.Run(cfg, "vendor-x"); rep.Outcome != store.OutcomeSuccess || rep.Counts.Deactivated != 0 {
				t.Errorf("clean run after the fault: %+v", rep)
			}
		})
	}
}

// TestRepeatedPage stops an offset pagination whose API ignores the
// offset (it would otherwise read page 1 until max_pages).
func TestRepeatedPage(t *testing.T) {
	s, srv := newSim(t, vendorsim.Config{Users: 250, Auth: vendorsim.AuthNone, Pagination: vendorsim.OffsetLimit, Fault: vendorsim.FaultRepeatPage})
	e := vendortest.New(t, secrets())
	rep := e.Run(e.Config(integration(srv.URL, "", `  pagination = { type = "offset_limit", page_size = 100 }`)), "vendor-x")
	if rep.Outcome != store.OutcomeFailed || !strings.Contains(rep.Error, "page 2: pagination repeats itself: the API returned an earlier page again") {
		t.Fatalf("%s: %s", rep.Outcome, rep.Error)
	}
	if n := s.Requests.Load(); n != 2 {
		t.Errorf("%d requests", n)
	}
}

// TestPageCap stops at max_pages.
func TestPageCap(t *testing.T) {
	_, srv := newSim(t, vendorsim.Config{Users: 250, Auth: vendorsim.AuthNone, Pagination: vendorsim.Cursor})
	e := vendortest.New(t, secrets())
	rep := e.Run(e.Config(integration(srv.URL, "", `  pagination = { type = "cursor", cursor_path = "response_metadata.next_cursor", page_size = 10, max_pages = 5 }`)), "vendor-x")
	if rep.Outcome != store.OutcomeFailed || !strings.Contains(rep.Error, "too many pages: more than 5 pages; stopped (rest.pagination.max_pages)") {
		t.Fatalf("%s: %s", rep.Outcome, rep.Error)
	}
}

// TestCursorPathTypo: after a good sync of 250 users, a cursor_path that
// matches nothing must fail the run, not end it after page 1 and
// deactivate the 150 users of the pages never read (the guard is off).
func TestCursorPathTypo(t *testing.T) {
	_, srv := newSim(t, vendorsim.Config{Users: 250, Auth: vendorsim.AuthNone, Pagination: vendorsim.Cursor})
	e := vendortest.New(t, secrets())
	good := e.Config(integration(srv.URL, "", `  pagination = { type = "cursor", cursor_path = "response_metadata.next_cursor", page_size = 100 }`))
	if rep := e.Run(good, "vendor-x"); rep.Outcome != store.OutcomeSuccess || rep.Counts.Created != 250 {
		t.Fatalf("good run: %+v", rep)
	}
	before := e.Records("vendor-x", store.Person)
	typo := e.Config(integration(srv.URL, "", `  pagination = { type = "cursor", cursor_path = "response_metadata.next_curser", page_size = 100 }`))
	rep := e.Run(typo, "vendor-x")
	const want = `page 1: unexpected response envelope: rest.pagination.cursor_path "response_metadata.next_curser" is not in the response`
	if rep.Outcome != store.OutcomeFailed || !strings.Contains(rep.Error, want) {
		t.Fatalf("want a failed run naming %q, got %s: %s (%+v)", want, rep.Outcome, rep.Error, rep.Counts)
	}
	if rep.Counts.Deactivated != 0 || e.Inactive("vendor-x", store.Person) != 0 {
		t.Errorf("deactivated %d, %d inactive", rep.Counts.Deactivated, e.Inactive("vendor-x", store.Person))
	}
	if after := e.Records("vendor-x", store.Person); !reflect.DeepEqual(after, before) {
		t.Errorf("the failed run changed the store: %d records before, %d after", len(before), len(after))
	}
}
