package smartsheet_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/credentials"
	"github.com/agentsync/agent/vendors/smartsheet"
	"github.com/agentsync/agent/vendors/vendortest"
)

const token = "ss-SECRET-token-77889900"

// users serves Smartsheet's "List users" as the API 2.0 docs describe it:
// Authorization: Bearer <access token>, page and pageSize (default 100),
// include=lastLogin, and the paged envelope {"pageNumber", "pageSize",
// "totalPages", "totalCount", "data": [...]} with users id, email, name,
// firstName, lastName, admin, licensedSheetCreator, status, lastLogin.
func users(t *testing.T, n int) *httptest.Server {
	return vendortest.Vendor{
		Path: "/2.0/users", Header: "Authorization", Value: "Bearer " + token,
		Refusal: `{"errorCode":1002,"message":"Your Access Token is invalid."}`,
		Serve: func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			size, _ := strconv.Atoi(q.Get("pageSize"))
			page, _ := strconv.Atoi(q.Get("page"))
			start, end, _ := vendortest.Page(n, page, size)
			data := []map[string]any{}
			for i := start; i < end; i++ {
				u := map[string]any{"id": 77000 + i, "email": fmt.Sprintf("sheet%d@example.com", i), "name": fmt.Sprintf("Sheet User %d", i),
					"firstName": "Sheet", "lastName": strconv.Itoa(i), "admin": i == 2, "licensedSheetCreator": true, "status": "ACTIVE"}
				if i%10 == 9 {
					u["status"] = "DECLINED"
				}
				if q.Get("include") == "lastLogin" {
					u["lastLogin"] = "2026-02-01T12:00:00Z"
				}
				data = append(data, u)
			}
			vendortest.JSON(w, map[string]any{"pageNumber": page, "pageSize": size, "totalPages": (n + size - 1) / size, "totalCount": n, "data": data})
		},
	}.Start(t)
}

func TestUsers(t *testing.T) {
	srv := users(t, 230)
	e := vendortest.New(t, vendortest.Secrets{"cred": {Kind: credentials.APIKey, Token: token}})
	rep := e.Run(e.Config(vendortest.Integration(smartsheet.Name, `users_url = "`+srv.URL+`/2.0/users?include=lastLogin"`)), smartsheet.Name)
	if rep.Outcome != store.OutcomeSuccess || rep.Counts.Created != 230 {
		t.Fatalf("%s: %s %+v", rep.Outcome, rep.Error, rep.Counts)
	}
	p := e.Records(smartsheet.Name, store.Person)["sheet2@example.com"]
	s := e.Records(smartsheet.Name, store.SaaSUser)["sheet2@example.com"]
	if p.Fields["full_name"] != "Sheet User 2" || p.Fields["custom.smartsheet_id"] != "77002" || s.Fields["custom.admin"] != "true" || s.Fields["last_activity"] != "2026-02-01T12:00:00Z" {
		t.Errorf("person %v, saas user %v", p.Fields, s.Fields)
	}
	if n := e.Inactive(smartsheet.Name, store.Person); n != 23 {
		t.Errorf("%d inactive, want the 23 declined", n)
	}
}
