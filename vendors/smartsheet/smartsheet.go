// Package smartsheet is the vendor "smartsheet": the users of a
// Smartsheet organization account from API 2.0 (GET /2.0/users) with an
// access token, paged by page and pageSize with the response's totalPages
// as the end signal. It is a template of the REST connector
// (smartsheet.toml). README.md lists the API facts and sources.
package smartsheet

import (
	_ "embed"

	"github.com/agentsync/agent/vendors/rest"
)

// Name is the vendor's name in the config.
const Name = "smartsheet"

//go:embed smartsheet.toml
var template []byte

func init() { rest.RegisterTemplate(template) }
