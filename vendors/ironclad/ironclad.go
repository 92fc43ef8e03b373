// Package ironclad is the vendor "ironclad-clickwrap": the users of an
// Ironclad Clickwrap (formerly PactSafe) account, read through the
// Clickwrap REST API with OAuth2 client credentials. It is a template of
// the REST connector (ironclad.toml): base and token URLs, the page-number
// pagination with its has_more flag, and the default mapping of the
// seed's fields (Email, Locale, Name, Time Zone, User Id, Verified,
// Verified Time) plus the tracking fields, so an integration needs only a
// name, the vendor and a credential. README.md lists the API facts and
// their sources; the Ironclad profile of internal/vendorsim serves them
// for tests.
package ironclad

import (
	_ "embed"

	"github.com/agentsync/agent/vendors/rest"
)

// Name is the vendor's name in the config.
const Name = "ironclad-clickwrap"

//go:embed ironclad.toml
var template []byte

func init() {
	rest.RegisterTemplate(template)
}
