// Package all links every built-in vendor into the binary: each registers
// itself with package vendors from its init. The agent imports this
// package once; a new vendor is one line here and a folder of its own.
package all

import (
	_ "github.com/agentsync/agent/vendors/file"
	_ "github.com/agentsync/agent/vendors/github"
	_ "github.com/agentsync/agent/vendors/ingest"
	_ "github.com/agentsync/agent/vendors/ironclad"
	_ "github.com/agentsync/agent/vendors/okta"
	_ "github.com/agentsync/agent/vendors/rest"
	_ "github.com/agentsync/agent/vendors/slack"
	_ "github.com/agentsync/agent/vendors/smartsheet"
	_ "github.com/agentsync/agent/vendors/webex"
	_ "github.com/agentsync/agent/vendors/zoom"
)
