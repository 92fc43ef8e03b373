// Package webex is the vendor "webex": the people of a Webex organization
// from the REST API (GET /v1/people) with an administrator's access token,
// paged by the Link header's rel="next". It is a template of the REST
// connector (webex.toml). README.md lists the API facts and sources.
package webex

import (
	_ "embed"

	"github.com/agentsync/agent/vendors/rest"
)

// Name is the vendor's name in the config.
const Name = "webex"

//go:embed webex.toml
var template []byte

func init() { rest.RegisterTemplate(template) }
