package okta_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/credentials"
	"github.com/agentsync/agent/vendors/okta"
	"github.com/agentsync/agent/vendors/vendortest"
)

const token = "00SECRET-okta-token-abcdef"

// users serves Okta's "List all users" as its docs describe it: the header
// Authorization: SSWS <API token>, limit and after parameters, a bare
// array of users (id, status, lastLogin, profile {login, email, firstName,
// lastName, ...}), Link headers rel="self" and, while more follow,
// rel="next" with an opaque after cursor, and X-Rate-Limit-Limit /
// -Remaining / -Reset (a Unix time).
func users(t *testing.T, n int) *httptest.Server {
	return vendortest.Vendor{
		Path: "/api/v1/users", Header: "Authorization", Value: "SSWS " + token,
		Refusal: `{"errorCode":"E0000011","errorSummary":"Invalid token provided"}`,
		Serve: func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			limit, _ := strconv.Atoi(q.Get("limit"))
			start, _ := strconv.Atoi(strings.TrimPrefix(q.Get("after"), "00u"))
			end := min(start+min(limit, 200), n)
			out := []map[string]any{}
			for i := start; i < end; i++ {
				status := "ACTIVE"
				if i%25 == 24 {
					status = "SUSPENDED"
				}
				out = append(out, map[string]any{"id": fmt.Sprintf("00u%d", i), "status": status, "lastLogin": "2026-03-15T08:30:00.000Z",
					"profile": map[string]any{"login": fmt.Sprintf("Person%d@example.com", i), "email": fmt.Sprintf("person%d@example.com", i),
						"firstName": "Person", "lastName": strconv.Itoa(i), "department": "Finance", "employeeNumber": strconv.Itoa(9000 + i), "timezone": "Asia/Tokyo"}})
			}
			base := "http://" + r.Host + "/api/v1/users"
			w.Header().Add("Link", fmt.Sprintf(`<%s?limit=%d>; rel="self"`, base, limit))
			if end < n {
				w.Header().Add("Link", fmt.Sprintf(`<%s?after=00u%d&limit=%d>; rel="next"`, base, end, limit))
			}
			w.Header().Set("X-Rate-Limit-Limit", "600")
			w.Header().Set("X-Rate-Limit-Remaining", "599")
			w.Header().Set("X-Rate-Limit-Reset", strconv.FormatInt(time.Now().Add(time.Minute).Unix(), 10))
			vendortest.JSON(w, out)
		},
	}.Start(t)
}

func TestUsers(t *testing.T) {
	srv := users(t, 500)
	e := vendortest.New(t, vendortest.Secrets{"cred": {Kind: credentials.APIKey, Token: token}})
	if in, _ := e.Config(vendortest.Integration(okta.Name, "")).Integration(okta.Name); strings.Join(in.Missing(), ",") != "rest.base_url" {
		t.Errorf("without the org: missing %v", in.Missing())
	}
	rep := e.Run(e.Config(vendortest.Integration(okta.Name, `base_url = "`+srv.URL+`"`)), okta.Name)
	if rep.Outcome != store.OutcomeSuccess || rep.Counts.Created != 500 {
		t.Fatalf("%s: %s %+v", rep.Outcome, rep.Error, rep.Counts)
	}
	people := e.Records(okta.Name, store.Person)
	p := people["person3@example.com"]
	if p.Fields["email"] != "person3@example.com" || p.Fields["employee_id"] != "9003" || p.Fields["time_zone"] != "Asia/Tokyo" || p.Fields["custom.okta_id"] != "00u3" {
		t.Errorf("person 3 = %v", p.Fields)
	}
	if people["person24@example.com"].Status != store.Inactive || e.Inactive(okta.Name, store.Person) != 20 {
		t.Errorf("%d inactive, want the 20 suspended", e.Inactive(okta.Name, store.Person))
	}
	if s := e.Records(okta.Name, store.SaaSUser)["person3@example.com"]; s.Fields["last_activity"] != "2026-03-15T08:30:00Z" {
		t.Errorf("saas user = %v", s.Fields)
	}
}
