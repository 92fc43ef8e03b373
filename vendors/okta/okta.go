// Package okta is the vendor "okta": the users of an Okta org from the
// Management API (GET /api/v1/users) with an API token (Authorization:
// SSWS <token>), paged by the Link header's rel="next" and paced by Okta's
// X-Rate-Limit-* headers. It is a template of the REST connector
// (okta.toml); the admin sets rest.base_url to the org's URL. README.md
// lists the API facts and sources.
package okta

import (
	_ "embed"

	"github.com/agentsync/agent/vendors/rest"
)

// Name is the vendor's name in the config.
const Name = "okta"

//go:embed okta.toml
var template []byte

func init() { rest.RegisterTemplate(template) }
