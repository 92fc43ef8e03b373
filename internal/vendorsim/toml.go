package vendorsim

import (
	"cmp"
	"fmt"
	"strings"
)

// Integration is what TOML needs to describe an integration that reads
// the simulator.
type Integration struct {
	Name                 string  // default "sim"
	Credential           string  // an oauth2_client credential of ClientID and Secret; default "sim"
	PageSize             int     // default MaxPageSize (REST shape), 100 (Ironclad shape)
	MaxDeactivatePercent float64 // default 20
	Schedule             string  // default "manual"
	Extra                string  // more lines for [integration.rest], e.g. `http.backoff = "1ms"`
}

// Mapping is the mapping of a REST-shape integration: the one of the
// plain-Python peer (bench/compare), in users mode.
const Mapping = `  [integration.mapping]
  "user.username" = "email | lower"
  "user.email" = "email | lower"
  "user.full_name" = "name"
  "user.department" = "department"
  [integration.active]
  field = "status"
  inactive_values = ["inactive"]
`

// TOML returns the [[integration]] table of an integration reading the
// simulator served at base: vendor "rest" with Mapping and the
// pagination of the configured style in the REST shape, the
// "ironclad-clickwrap" template with its defaults in the Ironclad shape;
// deactivation on.
func (c Config) TOML(base string, in Integration) string {
	name, cred := cmp.Or(in.Name, "sim"), cmp.Or(in.Credential, "sim")
	maxDeact := in.MaxDeactivatePercent
	if maxDeact == 0 {
		maxDeact = 20
	}
	var b strings.Builder
	fmt.Fprintf(&b, "[[integration]]\nname = %q\ncredential = %q\ndeactivate = true\nmax_deactivate_percent = %g\nschedule = %q\n",
		name, cred, maxDeact, cmp.Or(in.Schedule, "manual"))
	if c.Shape == ShapeIronclad {
		fmt.Fprintf(&b, "vendor = \"ironclad-clickwrap\"\n  [integration.rest]\n  base_url = %q\n  pagination.page_size = %d\n%s\n",
			base, cmp.Or(in.PageSize, 100), in.Extra)
		return b.String()
	}
	b.WriteString("vendor = \"rest\"\nmode = \"users\"\n" + Mapping)
	fmt.Fprintf(&b, "  [integration.rest]\n  users_url = %q\n  token_url = %q\n  records_path = \"data.users\"\n  auth = \"oauth2_client_credentials\"\n",
		base+c.UsersPath(), base+"/oauth/token")
	p := fmt.Sprintf("type = %q, page_size = %d", c.Pagination, cmp.Or(in.PageSize, c.MaxPageSize))
	switch c.Pagination {
	case Cursor:
		p += `, cursor_path = "response_metadata.next_cursor"`
	case OffsetLimit, PageNumber:
		p += `, has_more_path = "has_more"`
	}
	fmt.Fprintf(&b, "  pagination = { %s }\n%s\n", p, in.Extra)
	return b.String()
}
