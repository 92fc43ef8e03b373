package mapping

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

var fuzzExprs = []string{
	"email | lower",
	`"{first} {last}" | trim`,
	`"{{x}} {a.0.b}"`,
	"$sync_time",
	"$credential_name | default(none)",
	`last_login | time("2006-01-02 15:04")`,
	"ts | time",
	"v | bool",
	`name | split_name(last)`,
	`first | concat(" ", last, "\t")`,
	`x | replace("-", "") | prefix(a) | suffix(b) | trim_prefix(c) | trim_suffix(d) | upper`,
	`x | const("\u00e9")`,
	"a..b",
	`"unterminated`,
	"x | lowr(",
	"`First Name` | trim",
	"first | concat(\" \", `Last Name`)",
	"`$x` | default(`a b`)",
	"First Name | trim",
	"`unterminated",
}

// FuzzParse: Parse never panics, and the canonical text is a fixed point.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzExprs {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			return
		}
		text := e.String()
		again, err := Parse(text)
		if err != nil {
			t.Fatalf("Parse(%q) ok, but its String() %q does not parse: %v", s, text, err)
		}
		if again.String() != text {
			t.Fatalf("String() not stable: %q -> %q -> %q", s, text, again.String())
		}
		if again.Source() != e.Source() || again.Tracking() != e.Tracking() {
			t.Fatalf("re-parse of %q changed the source", text)
		}
	})
}

// FuzzEval: any JSON record with any expression never panics, and an
// expression evaluates the same after a String round trip.
func FuzzEval(f *testing.F) {
	recs := []string{
		`{"email": "A@B.C", "first": "Ada", "last": "Lovelace", "name": "Lovelace, Ada"}`,
		`{"ts": 1700000000123, "v": "yes", "a": [{"b": 2}], "x": "a-b"}`,
		`{"last_login": "2024-01-02 03:04", "a.b": {"c": null}}`,
	}
	for i, s := range fuzzExprs {
		f.Add(recs[i%len(recs)], s, i%2 == 0)
	}
	env := Env{CredentialName: "cred", SyncTime: time.Unix(1700000000, 0)}
	f.Fuzz(func(t *testing.T, rec, expr string, useNumber bool) {
		e, err := Parse(expr)
		if err != nil {
			return
		}
		dec := json.NewDecoder(bytes.NewReader([]byte(rec)))
		if useNumber {
			dec.UseNumber()
		}
		var m map[string]any
		if dec.Decode(&m) != nil {
			return
		}
		v1, err1 := e.Eval(m, env)
		again, err := Parse(e.String())
		if err != nil {
			t.Fatalf("String() %q does not parse: %v", e, err)
		}
		v2, err2 := again.Eval(m, env)
		if v1 != v2 || (err1 == nil) != (err2 == nil) {
			t.Fatalf("%q and its String() %q disagree: %q, %v vs %q, %v", expr, e, v1, err1, v2, err2)
		}
	})
}
