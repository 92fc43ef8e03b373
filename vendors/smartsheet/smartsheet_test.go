package smartsheet_test

import (
	"fmt"
	"testing"

	"github.com/agentsync/agent/internal/vendorsim"
	"github.com/agentsync/agent/internal/vendortest"
	"github.com/agentsync/agent/vendors/smartsheet"
)

// profile is Smartsheet's "List users" as the API 2.0 docs describe it:
// Authorization: Bearer <access token>, page and pageSize (default 100),
// include=lastLogin, and the paged envelope {"pageNumber", "pageSize",
// "totalPages", "totalCount", "data": [...]} with users id, email, name,
// firstName, lastName, admin, licensedSheetCreator, status, lastLogin.
var profile = vendorsim.Profile{
	Paging: vendorsim.Paging{SizeParam: "pageSize", DefaultSize: 100, PageParam: "page"},
	Path:   "/2.0/users", Scheme: "Bearer", Key: "ss-SECRET-token-77889900",
	Refusal: `{"errorCode":1002,"message":"Your Access Token is invalid."}`,
	Envelope: func(p vendorsim.Page) any {
		return map[string]any{"pageNumber": p.Number, "pageSize": p.Size, "totalPages": p.TotalPages, "totalCount": p.Total, "data": p.Users}
	},
	User: func(i int) map[string]any {
		status := "ACTIVE"
		if i%10 == 9 {
			status = "DECLINED"
		}
		return map[string]any{"id": 77000 + i, "email": fmt.Sprintf("sheet%d@example.com", i), "name": fmt.Sprintf("Sheet User %d", i),
			"firstName": "Sheet", "lastName": fmt.Sprint(i), "admin": i == 2, "licensedSheetCreator": true, "status": status}
	},
	Asked: map[string]map[string]any{"include=lastLogin": {"lastLogin": "2026-02-01T12:00:00Z"}},
}

func TestUsers(t *testing.T) {
	vendortest.Template(t, vendortest.Case{
		Vendor: smartsheet.Name, Application: "Smartsheet", Profile: profile, Users: 230,
		Rest:      `users_url = "{base}/2.0/users?include=lastLogin"`,
		People:    map[string]map[string]string{"sheet2@example.com": {"full_name": "Sheet User 2", "custom.smartsheet_id": "77002"}},
		SaaSUsers: map[string]map[string]string{"sheet2@example.com": {"custom.admin": "true", "last_activity": "2026-02-01T12:00:00Z"}},
		Inactive:  23, InactiveKey: "sheet9@example.com", // declined
	})
}
