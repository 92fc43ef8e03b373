package rest

import (
	"fmt"
	"sort"
	"strings"

	"github.com/agentsync/agent/credentials"
	"github.com/agentsync/agent/vendors/web"
)

// describe names the JSON type of a decoded value, for messages.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		if len(x) == 0 {
			return "an empty object"
		}
		return "an object"
	default:
		return "a number"
	}
}

// keysOf lists the top-level keys of an object response, to show what the
// API sent instead (never the values: they may be anything).
func keysOf(doc any, red *credentials.Redactor) string {
	m, ok := doc.(map[string]any)
	if !ok {
		return "it is " + describe(doc)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, web.Clip(red, k, 40))
	}
	sort.Strings(keys)
	if len(keys) > 12 {
		keys = append(keys[:12], "…")
	}
	if len(keys) == 0 {
		return "it is an empty object"
	}
	return "its top-level keys: " + strings.Join(keys, ", ")
}

// saying quotes what an answer without users says about itself: a top
// level "error" or "message" string (Slack answers HTTP 200 with
// {"ok": false, "error": "invalid_auth"}).
func saying(m map[string]any, red *credentials.Redactor) string {
	for _, k := range []string{"error", "message", "error_description"} {
		if s, ok := m[k].(string); ok && s != "" {
			return fmt.Sprintf("; it says %s: %q", k, web.Clip(red, s, 120))
		}
	}
	return ""
}
