package slack_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/credentials"
	"github.com/agentsync/agent/vendors/slack"
	"github.com/agentsync/agent/vendors/vendortest"
)

const token = "xoxb-SECRET-1111-2222-abcdef"

// usersList serves users.list as Slack's docs describe it ("users.list
// method", "Pagination"): a bearer token, limit and cursor parameters, a
// body {"ok": true, "members": [...], "response_metadata":
// {"next_cursor": "..."}} whose last page has an empty next_cursor, fewer
// members than the limit on pages that are not the last (the docs warn of
// it), and {"ok": false, "error": "invalid_auth"} with HTTP 200 for a bad
// token. Member objects: id, name, deleted, tz, locale (with
// include_locale), is_admin, is_bot, profile {email, real_name, first_name,
// last_name, title}.
func usersList(t *testing.T, n int) *httptest.Server {
	return vendortest.Vendor{
		Path: "/api/users.list", Header: "Authorization", Value: "Bearer " + token,
		Refusal: `{"ok":false,"error":"invalid_auth"}`, RefusalStatus: http.StatusOK,
		Serve: func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			limit, _ := strconv.Atoi(q.Get("limit"))
			start, _ := strconv.Atoi(strings.TrimPrefix(q.Get("cursor"), "dXNlcjpV"))
			end := min(start+limit*3/4, n) // Slack may return fewer than asked
			members := []map[string]any{}
			for i := start; i < end; i++ {
				m := map[string]any{"id": fmt.Sprintf("U%05d", i), "name": fmt.Sprintf("member%d", i), "deleted": i%40 == 39, "tz": "Europe/Paris", "is_admin": i == 1, "is_bot": false,
					"profile": map[string]any{"email": fmt.Sprintf("Member%d@Example.com", i), "real_name": fmt.Sprintf("Member %d", i), "first_name": "Member", "last_name": strconv.Itoa(i), "title": "Engineer"}}
				if q.Get("include_locale") == "true" {
					m["locale"] = "fr-FR"
				}
				members = append(members, m)
			}
			next := ""
			if end < n {
				next = "dXNlcjpV" + strconv.Itoa(end)
			}
			vendortest.JSON(w, map[string]any{"ok": true, "members": members, "response_metadata": map[string]any{"next_cursor": next}})
		},
	}.Start(t)
}

func TestUsersList(t *testing.T) {
	srv := usersList(t, 450)
	e := vendortest.New(t, vendortest.Secrets{"cred": {Kind: credentials.APIKey, Token: token}})
	cfg := e.Config(vendortest.Integration(slack.Name, `users_url = "`+srv.URL+`/api/users.list?include_locale=true"`))
	rep := e.Run(cfg, slack.Name)
	if rep.Outcome != store.OutcomeSuccess || rep.Counts.Created != 450 {
		t.Fatalf("%s: %s %+v", rep.Outcome, rep.Error, rep.Counts)
	}
	people := e.Records(slack.Name, store.Person)
	p := people["member7@example.com"]
	if p.Fields["full_name"] != "Member 7" || p.Fields["locale"] != "fr-FR" || p.Fields["time_zone"] != "Europe/Paris" || p.Fields["custom.slack_id"] != "U00007" {
		t.Errorf("member 7 = %v", p.Fields)
	}
	if people["member39@example.com"].Status != store.Inactive || e.Inactive(slack.Name, store.Person) != 11 {
		t.Errorf("deleted members: %d inactive", e.Inactive(slack.Name, store.Person))
	}
	if s := e.Records(slack.Name, store.SaaSUser)["member1@example.com"]; s.Application != "Slack" || s.Fields["custom.admin"] != "true" {
		t.Errorf("saas user = %+v", s)
	}
}

func TestErrorWithStatus200(t *testing.T) {
	srv := usersList(t, 10)
	e := vendortest.New(t, vendortest.Secrets{"cred": {Kind: credentials.APIKey, Token: "xoxb-revoked"}})
	rep := e.Run(e.Config(vendortest.Integration(slack.Name, `users_url = "`+srv.URL+`/api/users.list"`)), slack.Name)
	if rep.Outcome != store.OutcomeFailed || !strings.Contains(rep.Error, `it says error: "invalid_auth"`) {
		t.Fatalf("%s: %s", rep.Outcome, rep.Error)
	}
}
