package webex_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/credentials"
	"github.com/agentsync/agent/vendors/vendortest"
	"github.com/agentsync/agent/vendors/webex"
)

const token = "wx-SECRET-access-token-31415"

// people serves Webex's "List People" as its docs describe it: an admin
// bearer token, max per page, the people under "items" (id, emails[],
// displayName, firstName, lastName, title, department, timezone,
// lastActivity, loginEnabled), and RFC 5988 Link headers with rel="next"
// while more follow ("Pagination" in the REST API basics).
func people(t *testing.T, n int) *httptest.Server {
	return vendortest.Vendor{
		Path: "/v1/people", Header: "Authorization", Value: "Bearer " + token,
		Refusal: `{"message":"The request requires a valid access token set in the Authorization request header.","trackingId":"ROUTER_1"}`,
		Serve: func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			size, _ := strconv.Atoi(q.Get("max"))
			page, _ := strconv.Atoi(q.Get("cursor"))
			start, end, more := vendortest.Page(n, page, size)
			items := []map[string]any{}
			for i := start; i < end; i++ {
				items = append(items, map[string]any{"id": fmt.Sprintf("Y2lzY29zcGFyazovL3VzL1BFT1BMRS8%d", i), "emails": []string{fmt.Sprintf("Caller%d@Example.com", i)},
					"displayName": fmt.Sprintf("Caller %d", i), "firstName": "Caller", "lastName": strconv.Itoa(i), "title": "Agent", "department": "Support",
					"timezone": "America/Denver", "lastActivity": "2026-04-20T16:45:12.034Z", "loginEnabled": i%30 != 29})
			}
			if more {
				w.Header().Set("Link", fmt.Sprintf(`<http://%s/v1/people?max=%d&cursor=%d>; rel="next"`, r.Host, size, max(page, 1)+1))
			}
			vendortest.JSON(w, map[string]any{"items": items})
		},
	}.Start(t)
}

func TestPeople(t *testing.T) {
	srv := people(t, 260)
	e := vendortest.New(t, vendortest.Secrets{"cred": {Kind: credentials.APIKey, Token: token}})
	rep := e.Run(e.Config(vendortest.Integration(webex.Name, `users_url = "`+srv.URL+`/v1/people"`)), webex.Name)
	if rep.Outcome != store.OutcomeSuccess || rep.Counts.Created != 260 {
		t.Fatalf("%s: %s %+v", rep.Outcome, rep.Error, rep.Counts)
	}
	p := e.Records(webex.Name, store.Person)["caller4@example.com"]
	s := e.Records(webex.Name, store.SaaSUser)["caller4@example.com"]
	if p.Fields["full_name"] != "Caller 4" || p.Fields["time_zone"] != "America/Denver" || s.Fields["last_activity"] != "2026-04-20T16:45:12Z" {
		t.Errorf("person %v, saas user %v", p.Fields, s.Fields)
	}
	if n := e.Inactive(webex.Name, store.Person); n != 8 {
		t.Errorf("%d inactive, want the 8 with loginEnabled false", n)
	}
}
