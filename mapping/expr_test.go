package mapping

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"path", "email", "email"},
		{"spaces trimmed", "  email | lower  ", "email | lower"},
		{"no spaces", "email|lower|trim", "email | lower | trim"},
		{"nested path", "profile.name", "profile.name"},
		{"array index", "groups.0.name", "groups.0.name"},
		{"scim key", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.department", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.department"},
		{"credential", "$credential_name", "$credential_name"},
		{"sync time", " $sync_time ", "$sync_time"},
		{"template", `"{first} {last}" | trim`, `"{first} {last}" | trim`},
		{"template braces", `"{{x}}"`, `"{{x}}"`},
		{"constant", `"Sales"`, `"Sales"`},
		{"template escape", `"a\tb{x}"`, `"a\tb{x}"`},
		{"quoted layout", `last_login | time("2006-01-02 15:04")`, `last_login | time("2006-01-02 15:04")`},
		{"bare layout", `x | time(2006-01-02)`, `x | time(2006-01-02)`},
		{"arg spacing", `x | default ( "n/a" )`, `x | default("n/a")`},
		{"empty parens", `x | lower()`, `x | lower`},
		{"concat", `first | concat(" ",last)`, `first | concat(" ", last)`},
		{"replace", `x | replace("-", "")`, `x | replace("-", "")`},
		{"split name", `x | split_name(first)`, `x | split_name(first)`},
		{"unicode escape", `x | const("\u00e9")`, `x | const("é")`},
		{"newlines", "x\n|\tlower", "x | lower"},
		{"backquoted path", "`First Name` | trim", "`First Name` | trim"},
		{"backquoted plain path", "`email` | lower", "email | lower"},
		{"backquoted dollar", "`$cost`", "`$cost`"},
		{"backquoted brace", "`{x}`", "`{x}`"},
		{"backquoted punctuation", "`a|b (c), \"d\"`", "`a|b (c), \"d\"`"},
		{"backquoted concat arg", "first | concat(\" \", `Last Name`)", "first | concat(\" \", `Last Name`)"},
		{"all extras", `x | prefix(a) | suffix("b") | trim_prefix(c) | trim_suffix(d) | upper | bool`, `x | prefix(a) | suffix("b") | trim_prefix(c) | trim_suffix(d) | upper | bool`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if got := e.String(); got != tt.want {
				t.Fatalf("Parse(%q).String() = %q, want %q", tt.in, got, tt.want)
			}
			again, err := Parse(e.String())
			if err != nil || again.String() != tt.want {
				t.Fatalf("re-parse of %q: %v, %v", tt.want, again, err)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
		col            int // 0: not checked
	}{
		{"empty", "", "empty expression", 1},
		{"blank", "   ", "empty expression", 4},
		{"unknown transform", "email | lowr", `transform "lowr": unknown`, 9},
		{"args to lower", "email | lower(x)", `transform "lower": takes no arguments, got 1`, 9},
		{"replace one arg", "email | replace(a)", "takes 2 arguments, got 1", 0},
		{"default no arg", "email | default", "takes 1 argument, got 0", 0},
		{"concat no arg", "email | concat()", "takes at least 1", 0},
		{"time two args", "email | time(a, b)", "takes at most 1", 0},
		{"bad layout", "email | time(foo)", "bad layout", 0},
		{"unterminated template", `"abc`, "unterminated string", 1},
		{"unterminated arg", `x | default("abc)`, "unterminated string", 13},
		{"trailing escape", `x | default("abc\"`, "unterminated string", 0},
		{"missing pipe", "email lower", `unexpected "lower": transforms follow "|"; did you mean "email | lower"?`, 7},
		{"no hint for an operator", "first + last", `unexpected "+ last": transforms follow "|" (column`, 7},
		{"space in name", "First Name | trim", "unexpected \"Name | trim\": transforms follow \"|\"; a field name with a space is written in backquotes: `First Name`", 7},
		{"spaces in name", " Date of  birth ", "written in backquotes: `Date of  birth`", 7},
		{"no hint after a transform", "x | trim y", `unexpected "y": transforms follow "|"`, 10},
		{"unterminated backquote", "`First Name | trim", "unterminated `", 1},
		{"empty backquotes", "`` | trim", "empty path", 1},
		{"word after backquotes", "`ab`c", `unexpected "c"`, 5},
		{"dangling pipe", "email |", "expected a transform name", 0},
		{"double pipe", "email | | lower", "expected a transform name", 9},
		{"missing paren", "email | default(a", `missing ")"`, 0},
		{"two words", "email | default(a b)", `expected "," or ")"`, 19},
		{"trailing comma", "email | concat(a,)", "expected an argument", 18},
		{"leading comma", "email | concat(,a)", "expected an argument", 16},
		{"unknown variable", "$foo", `unknown variable "$foo"`, 1},
		{"empty segment", "a..b", "empty segment", 1},
		{"trailing dot", "a.", "empty segment", 0},
		{"unclosed brace", `"{first"`, "unclosed", 0},
		{"lone close brace", `"first}"`, "unmatched", 0},
		{"empty placeholder", `"{}"`, "empty path", 0},
		{"variable in template", `"{$sync_time}"`, "variables", 0},
		{"unquoted template", `{first} {last}`, "must be double-quoted", 1},
		{"split name arg", `x | split_name(middle)`, "first or last", 0},
		{"amount locale", `x | amount("nl")`, `unknown locale "nl" (known: de, en, fr, ch; none for 12345.60)`, 0},
		{"empty replace", `x | replace("", "y")`, "must not be empty", 0},
		{"variable in concat", `x | concat($sync_time)`, "variables", 0},
		{"bad escape", `"\q"`, "invalid string", 1},
		{"no source", "| lower", "expected a source", 1},
		{"garbage after args", `x | default("a") extra`, `unexpected "extra"`, 18},
		{"paren source", "(x)", "expected a source", 1},
		{"garbage after variable", "$sync_time x", `unexpected "x"`, 12},
		{"column counts runes", "prénom | lowr", `transform "lowr"`, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %q, want error containing %q", tt.in, e, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse(%q) error %q, want it to contain %q", tt.in, err, tt.want)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) error is %T, want *ParseError", tt.in, err)
			}
			if tt.col != 0 && pe.Column != tt.col {
				t.Fatalf("Parse(%q) column %d, want %d (%v)", tt.in, pe.Column, tt.col, err)
			}
		})
	}
}

func TestSourceAndTracking(t *testing.T) {
	tests := []struct {
		in, source string
		tracking   bool
	}{
		{"email | lower", "email", false},
		{"a.0.b", "a.0.b", false},
		{"$credential_name", "$credential_name", true},
		{"$sync_time | default(never)", "$sync_time", true},
		{`"{first} {last}"`, "", false},
		{`"const"`, "", false},
		{"`First Name` | trim", "First Name", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			e, err := Parse(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if e.Source() != tt.source || e.Tracking() != tt.tracking {
				t.Fatalf("Source() = %q, Tracking() = %v; want %q, %v", e.Source(), e.Tracking(), tt.source, tt.tracking)
			}
		})
	}
}

const testRecord = `{
	"email": "Ada@Example.COM ",
	"name": "Ada King  Lovelace",
	"rev": "Lovelace,  Ada  Augusta ",
	"single": "Cher",
	"first": "Ada", "last": "Lovelace",
	"First Name": "Ada",
	"n": 1.7e9, "ms": 1700000000123, "msstr": "1700000000123", "secstr": " 1700000000 ",
	"fsec": 1700000000.9, "neg": -1, "negms": -100000000001,
	"huge": "123456789012345678901234567890", "big": 1e21,
	"null": null, "empty": "",
	"t": true, "f": false, "yes": "YES", "off": " off", "one": 1, "zero": 0, "maybe": "maybe",
	"rfc": "2024-03-05T10:11:12.345+02:00", "rfcz": "2024-03-05T10:11:12Z",
	"iso": "2024-03-05T10:11:12", "isofrac": "2024-03-05T10:11:12.987", "date": "2024-03-05",
	"sqlish": "2024-03-05 10:11:12", "nocolon": "2024-03-05T10:11:12+0100",
	"us": "03/05/2024 10:11", "junk": "yesterday",
	"groups": [{"name": "admins"}, {"name": "dev"}],
	"tags": ["a", "b", 3, true, null],
	"nested": [[1, 2], [3]],
	"profile": {"name": "P", "dept.name": "Sales"},
	"a.b": "literal", "a": {"b": "nested", "c": "deep"},
	"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "R&D"},
	"dashes": "a-b-c",
	"eur": "1.234,56", "usd": "1,234.56", "plain": " 12345.60 ", "num": 12345.6
}`

func decode(t testing.TB, s string) map[string]any {
	t.Helper()
	var rec map[string]any
	if err := json.Unmarshal([]byte(s), &rec); err != nil {
		t.Fatal(err)
	}
	return rec
}

var testEnv = Env{
	CredentialName: "ironclad-prod",
	SyncTime:       time.Date(2024, 1, 2, 3, 4, 5, 6789, time.FixedZone("CET", 3600)),
}

// eval parses expr, failing t if it does not parse, and evaluates it on
// rec in testEnv.
func eval(t *testing.T, expr string, rec map[string]any) (string, error) {
	t.Helper()
	e, err := Parse(expr)
	if err != nil {
		t.Fatalf("Parse(%q): %v", expr, err)
	}
	return e.Eval(rec, testEnv)
}

func TestEval(t *testing.T) {
	rec := decode(t, testRecord)
	tests := []struct {
		name, expr, want string
	}{
		{"plain", "first", "Ada"},
		{"missing", "nope", ""},
		{"null", "null", ""},
		{"number", "n", "1700000000"},
		{"big float", "big", "1000000000000000000000"},
		{"bool value", "t", "true"},
		{"array of scalars", "tags", "a, b, 3, true, "},
		{"nested arrays", "nested", "[[1,2],[3]]"},
		{"map", "profile", `{"dept.name":"Sales","name":"P"}`},
		{"array index", "groups.1.name", "dev"},
		{"index out of range", "groups.5.name", ""},
		{"literal dotted key first", "a.b", "literal"},
		{"fall back to nesting", "a.c", "deep"},
		{"dotted key inside", "profile.dept.name", "Sales"},
		{"scim", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.department", "R&D"},

		{"lower", "email | lower", "ada@example.com "},
		{"upper", "first | upper", "ADA"},
		{"trim lower", "email | trim | lower", "ada@example.com"},
		{"lower of missing", "nope | lower", ""},

		{"credential", "$credential_name", "ironclad-prod"},
		{"sync time", "$sync_time", "2024-01-02T02:04:05Z"},

		{"template", `"{first} {last}"`, "Ada Lovelace"},
		{"template missing part", `"{first} {nope}" | trim`, "Ada"},
		{"template braces", `"{{{first}}}"`, "{Ada}"},
		{"template key with space", `"{First Name}"`, "Ada"},
		{"backquoted key with space", "`First Name` | upper", "ADA"},
		{"backquoted concat arg", "first | concat(\"/\", `First Name`)", "Ada/Ada"},
		{"template array", `"{groups.0.name}/{n}"`, "admins/1700000000"},
		{"constant", `"Sales"`, "Sales"},

		{"time rfc3339 fraction", "rfc | time", "2024-03-05T08:11:12Z"},
		{"time rfc3339 z", "rfcz | time", "2024-03-05T10:11:12Z"},
		{"time iso no zone", "iso | time", "2024-03-05T10:11:12Z"},
		{"time iso fraction", "isofrac | time", "2024-03-05T10:11:12Z"},
		{"time date", "date | time", "2024-03-05T00:00:00Z"},
		{"time sql-ish", "sqlish | time", "2024-03-05T10:11:12Z"},
		{"time offset no colon", "nocolon | time", "2024-03-05T09:11:12Z"},
		{"time epoch number", "n | time", "2023-11-14T22:13:20Z"},
		{"time epoch ms number", "ms | time", "2023-11-14T22:13:20Z"},
		{"time epoch ms string", "msstr | time", "2023-11-14T22:13:20Z"},
		{"time epoch string padded", "secstr | time", "2023-11-14T22:13:20Z"},
		{"time epoch fraction", "fsec | time", "2023-11-14T22:13:20Z"},
		{"time epoch negative", "neg | time", "1969-12-31T23:59:59Z"},
		{"time epoch negative ms", "negms | time", "1966-10-31T14:13:19Z"},
		{"time empty", "empty | time", ""},
		{"time missing", "nope | time", ""},
		{"time layout", `us | time("01/02/2006 15:04")`, "2024-03-05T10:11:00Z"},
		{"time layout empty", `nope | time("01/02/2006")`, ""},
		{"time of sync time", `$sync_time | time`, "2024-01-02T02:04:05Z"},

		{"bool true", "t | bool", "true"},
		{"bool false", "f | bool", "false"},
		{"bool yes", "yes | bool", "true"},
		{"bool off", "off | bool", "false"},
		{"bool one", "one | bool", "true"},
		{"bool zero", "zero | bool", "false"},
		{"bool empty", "nope | bool", ""},

		{"amount plain", "plain | amount", "12345.60"},
		{"amount number", "num | amount", "12345.6"},
		{"amount de", `eur | amount("de")`, "1234.56"},
		{"amount en", `usd | amount(en)`, "1234.56"},
		{"amount empty", `nope | amount("de")`, ""},

		{"default used", "nope | default(n/a)", "n/a"},
		{"default unused", "first | default(n/a)", "Ada"},
		{"default quoted", `empty | default("no one")`, "no one"},

		{"split first", "name | split_name(first)", "Ada"},
		{"split last", "name | split_name(last)", "King Lovelace"},
		{"split comma first", "rev | split_name(first)", "Ada Augusta"},
		{"split comma last", "rev | split_name(last)", "Lovelace"},
		{"split single first", "single | split_name(first)", "Cher"},
		{"split single last", "single | split_name(last)", ""},
		{"split empty", "nope | split_name(first)", ""},

		{"concat", `first | concat(" ", last)`, "Ada Lovelace"},
		{"concat missing path", `first | concat("-", nope, "!")`, "Ada-!"},
		{"concat number", `first | concat(n)`, "Ada1700000000"},

		{"const", `first | const(x)`, "x"},
		{"const quoted", `nope | const("a b")`, "a b"},

		{"replace", `dashes | replace("-", "")`, "abc"},
		{"replace bare", `dashes | replace(-, _)`, "a_b_c"},

		{"prefix", `first | prefix("Dr. ")`, "Dr. Ada"},
		{"prefix empty stays", `nope | prefix("Dr. ")`, ""},
		{"suffix", `first | suffix(!)`, "Ada!"},
		{"trim prefix", `email | trim_prefix(Ada@)`, "Example.COM "},
		{"trim suffix", `email | trim | trim_suffix(.COM)`, "Ada@Example"},
		{"chain", `nope | default("  MiXed ") | trim | lower | prefix(x-)`, "x-mixed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := eval(t, tt.expr, rec)
			if err != nil {
				t.Fatalf("Eval(%q): %v", tt.expr, err)
			}
			if got != tt.want {
				t.Fatalf("Eval(%q) = %q, want %q", tt.expr, got, tt.want)
			}
		})
	}
}

func TestEvalErrors(t *testing.T) {
	rec := decode(t, testRecord)
	tests := []struct {
		name, expr string
		want       []string
	}{
		{"time junk", "junk | time", []string{`transform "time"`, `"yesterday"`}},
		{"time layout mismatch", `date | time("01/02/2006")`, []string{`transform "time"`, `"2024-03-05"`, `layout "01/02/2006"`}},
		{"time out of range", "huge | time", []string{`transform "time"`, "out of range"}},
		{"time huge number", "big | time", []string{`transform "time"`, "out of range"}},
		{"time of array", "tags | time", []string{`transform "time"`, `"a, b, 3, true,"`}},
		{"bool maybe", "maybe | bool", []string{`transform "bool"`, `"maybe"`}},
		{"bool number", "n | bool", []string{`transform "bool"`, `"1700000000"`}},
		{"second step", "first | lower | bool", []string{`transform "bool"`, `"ada"`}},
		{"amount thousands", "usd | amount", []string{`transform "amount"`, `"1,234.56" is not an amount`, "no thousands separator"}},
		{"amount wrong locale", `usd | amount("de")`, []string{`transform "amount"`, `"1,234.56" is not an amount written the German way (e.g. 1.234,56)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := eval(t, tt.expr, rec)
			if err == nil {
				t.Fatalf("Eval(%q) = %q, want an error", tt.expr, got)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Eval(%q) error %q, want it to contain %q", tt.expr, err, w)
				}
			}
		})
	}
}

func TestEvalZeroEnvAndNilRecord(t *testing.T) {
	for _, s := range []string{"$sync_time", "$credential_name", "email", `"{a}"`, "x | concat(y)"} {
		e, err := Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := e.Eval(nil, Env{}); got != "" || err != nil {
			t.Errorf("Eval(%q) with nothing = %q, %v; want \"\", nil", s, got, err)
		}
	}
}
