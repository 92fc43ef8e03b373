// Package github is the vendor "github-org-members": the members of a
// GitHub organization, from the REST API's "List organization members"
// (GET /orgs/{org}/members) with a token in the Authorization header and
// the Link header's rel="next" for the pages. It is a template of the
// REST connector (github.toml); the admin sets rest.users_url to the
// organization's members URL. README.md lists the API facts and sources.
package github

import (
	_ "embed"

	"github.com/agentsync/agent/vendors/rest"
)

// Name is the vendor's name in the config.
const Name = "github-org-members"

//go:embed github.toml
var template []byte

func init() { rest.RegisterTemplate(template) }
