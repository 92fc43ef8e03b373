package webex_test

import (
	"fmt"
	"testing"

	"github.com/agentsync/agent/internal/vendorsim"
	"github.com/agentsync/agent/internal/vendortest"
	"github.com/agentsync/agent/vendors/webex"
)

// profile is Webex's "List People" as its docs describe it: an admin
// bearer token, max per page, the people under "items" (id, emails[],
// displayName, firstName, lastName, title, department, timezone,
// lastActivity, loginEnabled), and RFC 5988 Link headers with rel="next"
// while more follow ("Pagination" in the REST API basics).
var profile = vendorsim.Profile{
	Paging: vendorsim.Paging{SizeParam: "max", DefaultSize: 100, PageParam: "cursor", Link: true},
	Path:   "/v1/people", Scheme: "Bearer", Key: "wx-SECRET-access-token-31415",
	Refusal:  `{"message":"The request requires a valid access token set in the Authorization request header.","trackingId":"ROUTER_1"}`,
	Envelope: func(p vendorsim.Page) any { return map[string]any{"items": p.Users} },
	User: func(i int) map[string]any {
		return map[string]any{"id": fmt.Sprintf("Y2lzY29zcGFyazovL3VzL1BFT1BMRS8%d", i), "emails": []string{fmt.Sprintf("Caller%d@Example.com", i)},
			"displayName": fmt.Sprintf("Caller %d", i), "firstName": "Caller", "lastName": fmt.Sprint(i), "title": "Agent", "department": "Support",
			"timezone": "America/Denver", "lastActivity": "2026-04-20T16:45:12.034Z", "loginEnabled": i%30 != 29}
	},
}

func TestPeople(t *testing.T) {
	vendortest.Template(t, vendortest.Case{
		Vendor: webex.Name, Application: "Webex", Profile: profile, Users: 260,
		Rest:      `users_url = "{base}/v1/people"`,
		People:    map[string]map[string]string{"caller4@example.com": {"full_name": "Caller 4", "time_zone": "America/Denver"}},
		SaaSUsers: map[string]map[string]string{"caller4@example.com": {"last_activity": "2026-04-20T16:45:12Z"}},
		Inactive:  8, InactiveKey: "caller29@example.com", // loginEnabled false
	})
}
