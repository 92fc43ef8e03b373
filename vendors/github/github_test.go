package github_test

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
	"github.com/agentsync/agent/vendors/github"
	"github.com/agentsync/agent/vendors/vendortest"
)

const token = "ghp_SECRET0123456789abcdef"

// members serves GET /orgs/acme/members as GitHub's REST docs describe it
// ("List organization members", "Using pagination in the REST API",
// "Rate limits for the REST API"): Authorization: Bearer <token>,
// per_page (default 30, max 100) and page, a bare array of simple user
// objects, a Link header with rel="next" and rel="last" while more pages
// follow, and x-ratelimit-* headers with the reset as a Unix time.
func members(t *testing.T, n int) *httptest.Server {
	return vendortest.Vendor{
		Path: "/orgs/acme/members", Header: "Authorization", Value: "Bearer " + token,
		Refusal: `{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest"}`,
		Serve: func(w http.ResponseWriter, r *http.Request) {
			per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
			if per <= 0 {
				per = 30
			}
			per = min(per, 100)
			page, _ := strconv.Atoi(r.URL.Query().Get("page"))
			start, end, more := vendortest.Page(n, page, per)
			out := make([]map[string]any, 0, end-start)
			for i := start; i < end; i++ {
				out = append(out, map[string]any{"login": fmt.Sprintf("dev-%03d", i), "id": 5000 + i, "node_id": "MDQ6VXNlcjE=", "type": "User", "site_admin": i == 0})
			}
			h := w.Header()
			h.Set("x-ratelimit-limit", "5000")
			h.Set("x-ratelimit-remaining", "4990")
			h.Set("x-ratelimit-reset", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10))
			if more {
				last := (n + per - 1) / per
				base := "http://" + r.Host + r.URL.Path
				h.Set("Link", fmt.Sprintf(`<%s?per_page=%d&page=%d>; rel="next", <%s?per_page=%d&page=%d>; rel="last"`, base, per, max(page, 1)+1, base, per, last))
			}
			vendortest.JSON(w, out)
		},
	}.Start(t)
}

func TestMembers(t *testing.T) {
	srv := members(t, 250)
	e := vendortest.New(t, vendortest.Secrets{"cred": {Kind: credentials.APIKey, Token: token}})
	draft := e.Config(vendortest.Integration(github.Name, ""))
	if in, _ := draft.Integration(github.Name); strings.Join(in.Missing(), ",") != "rest.users_url" {
		t.Errorf("without the organization: missing %v", in.Missing())
	}
	cfg := e.Config(vendortest.Integration(github.Name, `users_url = "`+srv.URL+`/orgs/acme/members"`))
	rep := e.Run(cfg, github.Name)
	if rep.Outcome != store.OutcomeSuccess || rep.Counts.Created != 250 || rep.SaaSCounts.Created != 250 {
		t.Fatalf("%s: %s %+v", rep.Outcome, rep.Error, rep.Counts)
	}
	p := e.Records(github.Name, store.Person)["dev-007"]
	s := e.Records(github.Name, store.SaaSUser)["dev-000"]
	if p.Fields["custom.github_id"] != "5007" || s.Application != "GitHub" || s.Fields["custom.site_admin"] != "true" {
		t.Errorf("person %v, saas user %+v", p.Fields, s)
	}
}
