// Package slack is the vendor "slack": the members of a Slack workspace
// from the Web API method users.list, with a bot token in the
// Authorization header and cursor pagination (response_metadata.
// next_cursor). It is a template of the REST connector (slack.toml).
// Slack answers errors with HTTP 200 and {"ok": false, "error": ...}:
// the missing "members" array fails the fetch and the error quotes
// Slack's reason. README.md lists the API facts and sources.
package slack

import (
	_ "embed"

	"github.com/agentsync/agent/vendors/rest"
)

// Name is the vendor's name in the config.
const Name = "slack"

//go:embed slack.toml
var template []byte

func init() { rest.RegisterTemplate(template) }
