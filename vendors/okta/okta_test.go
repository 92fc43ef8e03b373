package okta_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/agentsync/agent/internal/vendorsim"
	"github.com/agentsync/agent/internal/vendortest"
	"github.com/agentsync/agent/vendors/okta"
)

// profile is Okta's "List all users" as its docs describe it: the header
// Authorization: SSWS <API token>, limit and after parameters, a bare
// array of users (id, status, lastLogin, profile {login, email, firstName,
// lastName, ...}), Link headers rel="self" and, while more follow,
// rel="next" with an opaque after cursor, and X-Rate-Limit-Limit /
// -Remaining / -Reset (a Unix time).
var profile = vendorsim.Profile{
	Paging: vendorsim.Paging{SizeParam: "limit", DefaultSize: 200, MaxSize: 200, CursorParam: "after", CursorPrefix: "00u", Link: true, LinkSelf: true},
	Path:   "/api/v1/users", Scheme: "SSWS", Key: "00SECRET-okta-token-abcdef",
	Refusal: `{"errorCode":"E0000011","errorSummary":"Invalid token provided"}`,
	User: func(i int) map[string]any {
		status := "ACTIVE"
		if i%25 == 24 {
			status = "SUSPENDED"
		}
		return map[string]any{"id": fmt.Sprintf("00u%d", i), "status": status, "lastLogin": "2026-03-15T08:30:00.000Z",
			"profile": map[string]any{"login": fmt.Sprintf("Person%d@example.com", i), "email": fmt.Sprintf("person%d@example.com", i),
				"firstName": "Person", "lastName": fmt.Sprint(i), "department": "Finance", "employeeNumber": fmt.Sprint(9000 + i), "timezone": "Asia/Tokyo"}}
	},
	Envelope:  func(p vendorsim.Page) any { return p.Users }, // a bare array
	RateLimit: &vendorsim.RateLimit{Prefix: "X-Rate-Limit", Limit: 600, Remaining: 599, Reset: time.Minute},
}

func TestUsers(t *testing.T) {
	vendortest.Template(t, vendortest.Case{
		Vendor: okta.Name, Application: "Okta", Profile: profile, Users: 500,
		Missing: "rest.base_url", Rest: `base_url = "{base}"`,
		People: map[string]map[string]string{"person3@example.com": {
			"email": "person3@example.com", "employee_id": "9003", "time_zone": "Asia/Tokyo", "custom.okta_id": "00u3"}},
		SaaSUsers: map[string]map[string]string{"person3@example.com": {"last_activity": "2026-03-15T08:30:00Z"}},
		Inactive:  20, InactiveKey: "person24@example.com", // suspended
	})
}
