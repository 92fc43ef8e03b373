package slack_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/agentsync/agent/internal/vendorsim"
	"github.com/agentsync/agent/internal/vendortest"
	"github.com/agentsync/agent/vendors/slack"
)

// profile is users.list as Slack's docs describe it ("users.list method",
// "Pagination"): a bearer token, limit and cursor parameters, a body
// {"ok": true, "members": [...], "response_metadata": {"next_cursor":
// "..."}} whose last page has an empty next_cursor, fewer members than
// the limit on pages that are not the last (the docs warn of it), and
// {"ok": false, "error": "invalid_auth"} with HTTP 200 for a bad token.
// Member objects: id, name, deleted, tz, locale (with include_locale),
// is_admin, is_bot, profile {email, real_name, first_name, last_name,
// title}.
var profile = vendorsim.Profile{
	Paging: vendorsim.Paging{SizeParam: "limit", Fill: 75, CursorParam: "cursor", CursorPrefix: "dXNlcjpV"},
	Path:   "/api/users.list", Scheme: "Bearer", Key: "xoxb-SECRET-1111-2222-abcdef",
	Refusal: `{"ok":false,"error":"invalid_auth"}`, RefusalStatus: http.StatusOK,
	User: func(i int) map[string]any {
		return map[string]any{"id": fmt.Sprintf("U%05d", i), "name": fmt.Sprintf("member%d", i), "deleted": i%40 == 39, "tz": "Europe/Paris", "is_admin": i == 1, "is_bot": false,
			"profile": map[string]any{"email": fmt.Sprintf("Member%d@Example.com", i), "real_name": fmt.Sprintf("Member %d", i), "first_name": "Member", "last_name": fmt.Sprint(i), "title": "Engineer"}}
	},
	Asked: map[string]map[string]any{"include_locale=true": {"locale": "fr-FR"}},
	Envelope: func(p vendorsim.Page) any {
		return map[string]any{"ok": true, "members": p.Users, "response_metadata": map[string]any{"next_cursor": p.Next}}
	},
}

// TestUsersList: its "refused" run is an error with status 200.
func TestUsersList(t *testing.T) {
	vendortest.Template(t, vendortest.Case{
		Vendor: slack.Name, Application: "Slack", Profile: profile, Users: 450,
		Rest: `users_url = "{base}/api/users.list?include_locale=true"`,
		People: map[string]map[string]string{"member7@example.com": {
			"full_name": "Member 7", "locale": "fr-FR", "time_zone": "Europe/Paris", "custom.slack_id": "U00007"}},
		SaaSUsers: map[string]map[string]string{"member1@example.com": {"custom.admin": "true"}},
		Inactive:  11, InactiveKey: "member39@example.com", // deleted
		Wrong: "xoxb-revoked", Refused: `it says error: "invalid_auth"`,
	})
}
