package zoom_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/agentsync/agent/internal/vendorsim"
	"github.com/agentsync/agent/internal/vendortest"
	"github.com/agentsync/agent/vendors/zoom"
)

// profile is Zoom's shapes: "Using Server-to-Server OAuth" (POST
// /oauth/token with grant_type=account_credentials and account_id, the
// client in a Basic header, answered with access_token, token_type
// "bearer", expires_in 3599) and "List users" with "Pagination" (GET
// /v2/users, page_size up to 300, next_page_token in and out, an empty
// next_page_token on the last page, users under "users").
var profile = vendorsim.Profile{
	Paging: vendorsim.Paging{SizeParam: "page_size", DefaultSize: 30, MaxSize: 300, CursorParam: "next_page_token", CursorPrefix: "tok"},
	Token: &vendorsim.TokenEndpoint{
		Path: "/oauth/token", ClientID: "zoom-client", Secret: "zoom-SECRET-55aa66bb",
		Params:  map[string]string{"grant_type": "account_credentials", "account_id": "acct-xyz"},
		Answer:  map[string]any{"token_type": "bearer", "expires_in": 3599, "scope": "user:read:admin"},
		Refusal: `{"reason":"Invalid client_id or client_secret","error":"invalid_client"}`,
	},
	Path:    "/v2/users",
	Refusal: `{"code":124,"message":"Invalid access token."}`, RefusalStatus: http.StatusUnauthorized,
	User: func(i int) map[string]any {
		return map[string]any{"id": fmt.Sprintf("z%d", i), "email": fmt.Sprintf("zoomer%d@example.com", i), "first_name": "Zoomer", "last_name": fmt.Sprint(i),
			"display_name": fmt.Sprintf("Zoomer %d", i), "type": 2, "dept": "Sales", "timezone": "America/Chicago", "language": "en-US", "verified": 1, "status": "active",
			"last_login_time": "2026-04-01T10:00:00Z"}
	},
	Envelope: func(p vendorsim.Page) any {
		return map[string]any{"page_size": p.Size, "total_records": p.Total, "next_page_token": p.Next, "users": p.Users}
	},
}

func TestUsers(t *testing.T) {
	vendortest.Template(t, vendortest.Case{
		Vendor: zoom.Name, Application: "Zoom", Profile: profile, Users: 700,
		Missing: "rest.token_params.account_id",
		Rest: `users_url = "{base}/v2/users"
token_url = "{base}/oauth/token"
token_params.account_id = "acct-xyz"`,
		People:    map[string]map[string]string{"zoomer5@example.com": {"full_name": "Zoomer 5", "verified": "true", "time_zone": "America/Chicago"}},
		SaaSUsers: map[string]map[string]string{"zoomer5@example.com": {"last_activity": "2026-04-01T10:00:00Z", "custom.user_type": "2"}},
	})
}
