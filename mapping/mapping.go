// Package mapping turns a vendor record (decoded JSON) into target fields.
// It holds the mapping expressions, their transforms, the record filters and
// the rules about which target fields exist. Everything here is a pure
// function; parsed values are immutable and safe for concurrent use.
//
// Expression grammar:
//
//	expr      = source { "|" transform }
//	source    = path | "$credential_name" | "$sync_time" | template
//	path      = word | raw           dotted: email, profile.name, groups.0.name, `First Name`
//	template  = quoted               "{first} {last}"; "{{" and "}}" are literal braces
//	transform = name [ "(" [ arg { "," arg } ] ")" ]
//	arg       = word | raw | quoted
//	word      = one or more bytes other than whitespace and | ( ) , " `
//	raw       = a backquoted name, taken verbatim as a Go raw string: `First Name`
//	quoted    = a double-quoted Go string literal (read with strconv.Unquote)
//
// Whitespace around "|", "(", "," and ")" is free. A path segment that is a
// number indexes an array; a key that itself contains dots is found too (the
// longest literal key wins). A path with a space or one of | ( ) , " (a CSV
// header "First Name") is written in backquotes: `First Name` | trim; a
// backquoted bare arg is a path too (concat). As quotes make a template, a
// double-quoted "First Name" is the constant text, not the field. Inside a
// template the text between braces is a path taken verbatim, so
// "{First Name}" reaches a key with a space as well.
// A missing or null value is "", which is what transforms then see.
//
// Transforms:
//
//	lower, upper, trim          case and surrounding whitespace
//	time                        RFC 3339, 2006-01-02T15:04:05[.fff] (UTC),
//	                            2006-01-02, epoch seconds or milliseconds
//	                            (ms when |n| > 1e11) -> RFC 3339 UTC, whole seconds
//	time(layout)                the same with an explicit Go layout
//	bool                        true/false/1/0/yes/no/y/n/t/f/on/off -> "true"/"false"
//	default(x)                  x when the value is ""
//	split_name(first|last)      "Ada King Lovelace": first "Ada", last "King Lovelace";
//	                            "Lovelace, Ada": last before the comma, first after
//	concat(arg...)              appends each arg: quoted = literal, bare = path
//	const(x)                    the value becomes x
//	replace(old, new)           every occurrence of old
//	prefix(x), suffix(x)        adds x to a non-empty value
//	trim_prefix(x), trim_suffix(x)
//
// time and bool keep an empty value empty and fail on anything unparseable.
// $sync_time is Env.SyncTime as RFC 3339 UTC ("" when zero); $credential_name
// is Env.CredentialName.
package mapping

import "time"

// Env carries the values of the tracking sources.
type Env struct {
	CredentialName string    // $credential_name
	SyncTime       time.Time // $sync_time
}
