// Package zoom is the vendor "zoom": the users of a Zoom account from the
// REST API v2 (GET /v2/users), authenticated with a Server-to-Server OAuth
// app (the account_credentials grant, with the account ID as an extra
// token parameter the admin sets) and paged with next_page_token. It is a
// template of the REST connector (zoom.toml). README.md lists the API
// facts and sources.
package zoom

import (
	_ "embed"

	"github.com/agentsync/agent/vendors/rest"
)

// Name is the vendor's name in the config.
const Name = "zoom"

//go:embed zoom.toml
var template []byte

func init() { rest.RegisterTemplate(template) }
