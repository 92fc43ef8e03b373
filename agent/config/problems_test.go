package config

import (
	"errors"
	"slices"
	"strings"
	"testing"

	_ "github.com/agentsync/agent/vendors/file" // the real "file" vendor
)

// problems parses src as config.toml and returns its problem lines.
func problems(t *testing.T, src string) []string {
	t.Helper()
	_, err := Parse("config.toml", []byte(src))
	if err == nil {
		return nil
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error is %T, not *Error: %v", err, err)
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(e.Problems) {
		t.Fatalf("%d lines for %d problems", len(lines), len(e.Problems))
	}
	return lines
}

func TestProblems(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{
			name: "syntax error",
			src:  "[agent]\nlog_level = \"info\n",
			want: []string{`config.toml:2:18: strings cannot contain newlines`},
		},
		{
			name: "syntax error stops everything else",
			src:  "[agent]\nbogus = 1\n[smtp\n",
			want: []string{`config.toml:3:6: expected '.' or ']' to end table name, but got '\n' instead`},
		},
		{
			name: "type errors, all of them",
			src:  "[smtp]\nhost = \"localhost\"\nport = \"x\"\n\n[[integration]]\nname = \"a\"\ndeactivate = \"yes\"\nmax_deactivate_percent = \"10\"\ncontacts = \"ops@example.com\"\n",
			want: []string{
				`config.toml:2:1: smtp.from is required when smtp.host is set`,
				`config.toml:3:1: smtp.port must be an integer, not a string`,
				`config.toml:5:1: integration.vendor is required (known: file, rest)`,
				`config.toml:7:1: integration.deactivate must be a boolean (true or false), not a string`,
				`config.toml:8:1: integration.max_deactivate_percent must be a number, not a string`,
				`config.toml:9:1: integration.contacts must be an array of strings, not a string`,
			},
		},
		{
			name: "table written as a value",
			src:  "agent = \"x\"\n[[keyring]]\nbackend = \"auto\"\n",
			want: []string{
				`config.toml:1:1: agent must be a table, not a string`,
				`config.toml:2:1: keyring must be a table, not an array of tables`,
			},
		},
		{
			name: "single [integration] table",
			src:  "[integration]\nname = \"a\"\n",
			want: []string{`config.toml:1:1: integration must be an array of tables: write [[integration]], not [integration]`},
		},
		{
			name: "unknown keys in several integrations",
			src: `[agent]
log_level = "info"
colour = true

[[integration]]
name = "one"
vendor = "file"
file.path = "a.csv"
  timeout = 5

[[integration]]
  name = "two"
  vendor = "file"
  prefrence = "create_only"
  [integration.file]
  path = "b.csv"
  sheet = 1
  [[integration.filter]]
  field = "x"
  op = "exists"
  [[integration.filter]]
  field = "y"
  op = "exists"
  valeu = true
`,
			want: []string{
				`config.toml:3:1: unknown key "agent.colour"`,
				`config.toml:9:3: unknown key "integration.timeout"`,
				`config.toml:14:3: unknown key "integration.prefrence"; did you mean "preference"?`,
				`config.toml:17:3: unknown key "integration.file.sheet"`,
				`config.toml:24:3: unknown key "integration.filter.valeu"; did you mean "value"?`,
			},
		},
		{
			name: "unknown keys in dotted keys, inline tables and unknown tables",
			src: `[[integration]]
name = "a"
vendor = "file"
file = { path = "a.csv", formt = "csv" }
filter = [{ field = "x", op = "exists" }, { field = "y", op = "exists", negate = true }]
fil.path = "x"
[integration.rset]
users_url = "https://example.com"
[integration.rset.pagination]
type = "none"
[bogus]
`,
			want: []string{
				`config.toml:4:26: unknown key "integration.file.formt"; did you mean "format"?`,
				`config.toml:5:73: unknown key "integration.filter.negate"`,
				`config.toml:6:1: unknown key "integration.fil"; did you mean "file"?`,
				`config.toml:7:1: unknown key "integration.rset"; did you mean "rest"?`,
				`config.toml:11:1: unknown key "bogus"`,
			},
		},
		{
			name: "keys after a subtable header",
			src: `[[integration]]
name = "a"
vendor = "file"
[integration.file]
path = "a.csv"
schedule = "manual"
[integration.mapping]
"user.email" = "email"
contacts = "x@example.com"
`,
			want: []string{
				`config.toml:6:1: unknown key "integration.file.schedule"; "schedule" belongs to [[integration]]: move it above the [integration.file] header`,
				`config.toml:9:1: mapping "contacts": unknown target field: it must start with "user.", "saas_user.", "application.", "invoice." or "contract."; "contacts" belongs to [[integration]]: move it above the [integration.mapping] header`,
			},
		},
		{
			name: "unquoted dotted mapping target",
			src: `[[integration]]
name = "a"
vendor = "file"
file.path = "a.csv"
[integration.mapping]
user.email = "email"
`,
			want: []string{`config.toml:6:1: integration.mapping.user must be a string, not a table; quote targets that contain dots: "user.email" = …`},
		},
		{
			name: "scanner skips strings, arrays and comments",
			src: `[[integration]] # [[integration]]
name = "a" # bogus = 1
vendor = "file"
file.path = 'a.csv'
application = """
bogus = 2
[agent]
"""
contacts = [
  "x@example.com", # [smtp]
  """y@example.com""",
]
"quoted key" = 'it"s'
'lit.eral' = 1
"esc\u0061ped" = 2
`,
			want: []string{
				`config.toml:13:1: unknown key "integration.\"quoted key\""`,
				`config.toml:14:1: unknown key "integration.\"lit.eral\""`,
				`config.toml:15:1: unknown key "integration.escaped"`,
			},
		},
		{
			name: "bad enums",
			src: `[agent]
log_level = "warning"
log_format = "xml"
[keyring]
backend = "vault"
[smtp]
security = "ssl"
[[integration]]
name = "a"
vendor = "files"
mode = "saas_users"
preference = "create"
`,
			want: []string{
				`config.toml:2:1: agent.log_level "warning" must be one of debug, info, warn, error; did you mean "warn"?`,
				`config.toml:3:1: agent.log_format "xml" must be one of text, json`,
				`config.toml:5:1: keyring.backend "vault" must be one of auto, secret-service, keyctl, wincred, keychain, pass, file`,
				`config.toml:7:1: smtp.security "ssl" must be one of starttls, tls, none`,
				`config.toml:10:1: integration.vendor "files" is not a known vendor (known: file, rest); did you mean "file"?`,
				`config.toml:11:1: integration.mode "saas_users" must be one of users, users+saas_users, applications, spend, contracts`,
				`config.toml:12:1: integration.preference "create" must be one of create_update, create_only, update_only; did you mean "create_update"?`,
			},
		},
		{
			name: "rest enums",
			src: `[[integration]]
name = "a"
vendor = "rest"
[integration.rest]
auth = "oauth2"
client_auth = "query"
pagination.type = "pages"
`,
			want: []string{
				`config.toml:4:1: integration.rest.users_url is required: the endpoint that lists the users, e.g. https://api.vendor.example/v1/users`,
				`config.toml:5:1: integration.rest.auth "oauth2" must be one of none, api_key, basic, oauth2_client_credentials; did you mean "oauth2_client_credentials"?`,
				`config.toml:6:1: integration.rest.client_auth "query" must be one of header, body`,
				`config.toml:7:12: integration.rest.pagination.type "pages" must be one of none, offset_limit, page_number, cursor, link_header`,
			},
		},
		{
			name: "smtp",
			src: `[smtp]
host = "mail.example.com"
port = 70000
security = "none"
from = "not-an-address"
`,
			want: []string{
				`config.toml:3:1: smtp.port 70000 must be between 1 and 65535`,
				`config.toml:4:1: smtp.security "none" sends mail unencrypted and is only allowed for a loopback host (localhost, 127.0.0.1, ::1), not "mail.example.com"`,
				`config.toml:5:1: smtp.from "not-an-address" is not an e-mail address`,
			},
		},
		{
			name: "http",
			src: `[http]
listen = "0.0.0.0:8787"
`,
			want: []string{
				`config.toml:2:1: http.listen "0.0.0.0:8787" is not a loopback address: set http.tls_cert and http.tls_key to serve it to the network, or listen on 127.0.0.1:8787 (this machine only)`,
			},
		},
		{
			name: "http every interface, half of TLS",
			src: `[http]
listen = ":8787"
tls_key = "agent.key"
`,
			want: []string{
				`config.toml:2:1: http.listen ":8787" listens on every interface: set http.tls_cert and http.tls_key to serve it to the network, or listen on 127.0.0.1:8787 (this machine only)`,
				`config.toml:3:1: http.tls_key is set without http.tls_cert: TLS needs both`,
			},
		},
		{
			name: "http bad addresses",
			src: `[http]
listen = "localhost"
[[integration]]
name = "a"
vendor = "file"
file.path = "a.csv"
mapping."user.email" = "email"
`,
			want: []string{
				`config.toml:2:1: http.listen "localhost" is not host:port (e.g. "127.0.0.1:8787"; "" turns the endpoint off)`,
			},
		},
		{
			name: "http bad port, unknown key",
			src: `[http]
listen = "127.0.0.1:http"
tls_crt = "x"
`,
			want: []string{
				`config.toml:2:1: http.listen "127.0.0.1:http": the port must be a number between 0 and 65535`,
				`config.toml:3:1: unknown key "http.tls_crt"; did you mean "tls_cert"?`,
			},
		},
		{
			name: "names",
			src: `[[integration]]
vendor = "file"
file.path = "a.csv"
[[integration]]
name = ""
vendor = "file"
file.path = "a.csv"
[[integration]]
name = "../etc"
vendor = "file"
file.path = "a.csv"
[[integration]]
name = "acme"
vendor = "file"
file.path = "a.csv"
[[integration]]
name = "acme"
vendor = "file"
file.path = "a.csv"
`,
			want: []string{
				`config.toml:1:1: integration.name is required`,
				`config.toml:5:1: integration.name must not be empty`,
				`config.toml:9:1: integration.name "../etc" must start with a letter or digit and hold only letters, digits, '.', '_' and '-'`,
				`config.toml:17:1: integration.name "acme" is already used by the integration at line 13`,
			},
		},
		{
			name: "schedule, time zone, percent, contacts",
			src: `[agent]
time_zone = "Mars/Olympus_Mons"
[[integration]]
name = "a"
vendor = "file"
file.path = "a.csv"
schedule = "daily 25:00"
max_deactivate_percent = 101
contacts = ["ok@example.com", "not an address"]
[[integration]]
name = "b"
vendor = "file"
file.path = "a.csv"
schedule = "every 30s"
max_deactivate_percent = -1
`,
			want: []string{
				`config.toml:2:1: agent.time_zone "Mars/Olympus_Mons" is not a known time zone (use an IANA name such as "Europe/Paris", "UTC" or "Local")`,
				`config.toml:7:1: schedule "daily 25:00": hour must be 00-23`,
				`config.toml:8:1: integration.max_deactivate_percent 101 must be between 0 and 100`,
				`config.toml:9:31: integration.contacts: "not an address" is not an e-mail address`,
				`config.toml:14:1: schedule "every 30s": the interval must be at least 1m`,
				`config.toml:15:1: integration.max_deactivate_percent -1 must be between 0 and 100`,
			},
		},
		{
			name: "bad mapping expressions at their keys",
			src: `[[integration]]
name = "a"
vendor = "file"
file.path = "a.csv"
  [integration.mapping]
  "user.email" = "email | lower"
  "user.full_name" = "name | shout"
  "user.status" = "state"
  "saas_user.role" = "role"
`,
			want: []string{
				`config.toml:7:3: mapping "user.full_name": transform "shout": unknown; known: amount, bool, concat, const, default, lower, prefix, replace, split_name, suffix, time, trim, trim_prefix, trim_suffix, upper (column 8)`,
				`config.toml:8:3: mapping "user.status": not mappable: the engine sets user.status`,
			},
		},
		{
			name: "saas_user targets need the mode",
			src: `[[integration]]
name = "a"
vendor = "file"
file.path = "a.csv"
mapping = { "user.email" = "email", "saas_user.role" = "role" }
`,
			want: []string{`config.toml:5:37: mapping "saas_user.role": saas_user targets need mode = "users+saas_users"`},
		},
		{
			name: "bad filters",
			src: `[[integration]]
name = "a"
vendor = "file"
file.path = "a.csv"
  [[integration.filter]]
  field = "dept"
  op = "equals"
  value = "x"
  [[integration.filter]]
  field = "dept"
  op = "in"
  value = "x"
  [[integration.filter]]
  field = ""
  op = "eq"
`,
			want: []string{
				`config.toml:7:3: filter "dept": unknown op "equals" (known: eq, ne, in, not_in, exists, regex)`,
				`config.toml:12:3: filter "dept": op "in": value must be an array of strings, numbers or bools, got a string`,
				`config.toml:14:3: filter field: empty path`,
			},
		},
		{
			name: "file vendor settings",
			src: `[[integration]]
name = "a"
vendor = "file"
[[integration]]
name = "b"
vendor = "file"
  [integration.file]
  format = "xlsx"
  path = "users.xlsx"
[[integration]]
name = "c"
vendor = "file"
  [integration.file]
  usage_path = "u.jsonl"
`,
			want: []string{
				`config.toml:1:1: file vendor: file.path is required`,
				`config.toml:8:3: file vendor: file.format "xlsx" is not one of jsonl, json, csv`,
				`config.toml:13:3: file vendor: file.path is required`,
			},
		},
		{
			name: "vendor tables of another vendor",
			src: `[[integration]]
name = "a"
vendor = "file"
file.path = "a.csv"
rest.users_url = "https://example.com"
`,
			want: []string{`config.toml:5:1: [integration.rest] is only read when vendor = "rest" or a built-in REST vendor`},
		},
		{
			name: "active table",
			src: `[[integration]]
name = "a"
vendor = "file"
file.path = "a.csv"
  [integration.active]
  inactive_values = []
`,
			want: []string{
				`config.toml:5:3: integration.active.field is required: the source field that tells whether a user is active`,
				`config.toml:5:3: integration.active needs inactive_values or inactive_when_set = true`,
			},
		},
		{
			name: "long values are shortened",
			src:  "[agent]\nlog_level = \"" + strings.Repeat("x", 100) + "\"\n",
			want: []string{`config.toml:2:1: agent.log_level "` + strings.Repeat("x", 60) + `…" must be one of debug, info, warn, error`},
		},
		{
			name: "long text in syntax errors is shortened",
			src:  "[agent]\n\"" + strings.Repeat("c", 80) + "\" = 1\n\"" + strings.Repeat("c", 80) + "\" = 2\n",
			want: []string{`config.toml:3:2: Key 'agent.` + strings.Repeat("c", 54) + `…' has already been defined.`},
		},
		{
			name: "names differing in case clash",
			src:  "[[integration]]\nname = \"Acme\"\nvendor = \"file\"\nfile.path = \"a.csv\"\n[[integration]]\nname = \"acme\"\nvendor = \"file\"\nfile.path = \"a.csv\"\n",
			want: []string{`config.toml:6:1: integration.name "acme" is already used by the integration at line 2`},
		},
		{
			name: "BOM and CRLF",
			src:  "\ufeff[agent]\r\nlog_level = \"info\"\r\n  bogus = 1\r\n",
			want: []string{`config.toml:3:3: unknown key "agent.bogus"`},
		},
		{
			name: "valid drafts are not problems",
			src: `[[integration]]
name = "a"
vendor = "file"
mode = "users+saas_users"
file.path = "a.csv"
`,
		},
		{name: "empty file", src: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := problems(t, tt.src)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}
