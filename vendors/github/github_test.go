package github_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/agentsync/agent/internal/vendorsim"
	"github.com/agentsync/agent/internal/vendortest"
	"github.com/agentsync/agent/vendors/github"
)

// profile is GET /orgs/acme/members as GitHub's REST docs describe it
// ("List organization members", "Using pagination in the REST API",
// "Rate limits for the REST API"): Authorization: Bearer <token>,
// per_page (default 30, max 100) and page, a bare array of simple user
// objects, a Link header with rel="next" and rel="last" while more pages
// follow, and x-ratelimit-* headers with the reset as a Unix time.
var profile = vendorsim.Profile{
	Paging: vendorsim.Paging{SizeParam: "per_page", DefaultSize: 30, MaxSize: 100, PageParam: "page", Link: true, LinkLast: true},
	Path:   "/orgs/acme/members",
	Scheme: "Bearer", Key: "ghp_SECRET0123456789abcdef",
	Refusal:   `{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest"}`,
	RateLimit: &vendorsim.RateLimit{Prefix: "x-ratelimit", Limit: 5000, Remaining: 4990, Reset: time.Hour},
	User: func(i int) map[string]any {
		return map[string]any{"login": fmt.Sprintf("dev-%03d", i), "id": 5000 + i, "node_id": "MDQ6VXNlcjE=", "type": "User", "site_admin": i == 0}
	},
	Envelope: func(p vendorsim.Page) any { return p.Users }, // a bare array
}

func TestMembers(t *testing.T) {
	vendortest.Template(t, vendortest.Case{
		Vendor: github.Name, Application: "GitHub", Profile: profile, Users: 250,
		Missing: "rest.users_url", Rest: `users_url = "{base}/orgs/acme/members"`,
		People:    map[string]map[string]string{"dev-007": {"custom.github_id": "5007"}},
		SaaSUsers: map[string]map[string]string{"dev-000": {"custom.site_admin": "true"}},
	})
}
