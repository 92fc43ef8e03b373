// Package jsonpath reads decoded JSON records: Lookup resolves a dotted
// path ("a.b", "a.0.b") and Stringify renders a value as the string the
// store keeps. The vendors (a records path, a total count) and the mapping
// (every source path) share these, so a path means the same everywhere.
package jsonpath

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Lookup resolves a dotted path in a decoded JSON record: "a.b", "a.0.b"
// (a numeric segment indexes an array). Vendors use keys that contain dots
// (SCIM: "urn:...:2.0:User.department"), so at every level the longest
// literal key is tried first, then shorter ones. Each node of the record is
// visited at most once, so the backtracking stays linear in the record.
func Lookup(rec map[string]any, path string) (any, bool) {
	if rec == nil {
		return nil, false
	}
	return lookup(rec, path)
}

func lookup(cur any, p string) (any, bool) {
	switch c := cur.(type) {
	case map[string]any:
		if v, ok := c[p]; ok {
			return v, true
		}
		for i := strings.LastIndexByte(p, '.'); i >= 0; i = strings.LastIndexByte(p[:i], '.') {
			if v, ok := c[p[:i]]; ok {
				if r, ok := lookup(v, p[i+1:]); ok {
					return r, true
				}
			}
		}
	case []any:
		seg, rest, more := strings.Cut(p, ".")
		n, ok := parseIndex(seg)
		if !ok || n >= len(c) {
			return nil, false
		}
		if !more {
			return c[n], true
		}
		return lookup(c[n], rest)
	}
	return nil, false
}

// parseIndex reads a non-negative decimal array index without allocating
// (strconv.Atoi allocates its error on the miss path, which is common).
func parseIndex(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// Stringify renders a decoded JSON value as the string the store keeps.
// Numbers never use an exponent (1.7e9 is "1700000000"), arrays of scalars
// are joined with ", ", maps and nested arrays are compact JSON.
func Stringify(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case json.Number:
		return string(x)
	case bool:
		return strconv.FormatBool(x)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32)
	case []string:
		return strings.Join(x, ", ")
	case []any:
		return stringifySlice(x)
	}
	return compactJSON(v)
}

func stringifySlice(x []any) string {
	switch len(x) {
	case 0:
		return ""
	case 1:
		if isScalar(x[0]) {
			return Stringify(x[0])
		}
	}
	var b strings.Builder
	for i, e := range x {
		if !isScalar(e) {
			return compactJSON(x)
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(Stringify(e))
	}
	return b.String()
}

func isScalar(v any) bool {
	switch v.(type) {
	case []any, []string, map[string]any:
		return false
	}
	return true
}

// compactJSON keeps <, > and & as they are: the store is not HTML.
func compactJSON(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}
