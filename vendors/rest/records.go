package rest

import (
	"fmt"
	"sort"
	"strings"

	"github.com/agentsync/agent/credentials"
	"github.com/agentsync/agent/mapping"
	"github.com/agentsync/agent/vendors"
	"github.com/agentsync/agent/vendors/web"
)

// Records takes the users out of a decoded page: the array at the dotted
// path records_path ("" is the body itself), every element an object. A
// missing path, a null, or anything but an array of objects is an error:
// an API that changed its envelope must not read as zero users. red (may
// be nil) takes the run's secrets out of what the error quotes.
func Records(doc any, recordsPath string, red *credentials.Redactor) ([]vendors.Record, error) {
	v := doc
	if recordsPath != "" {
		m, ok := doc.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%w: the response is %s, so rest.records_path %q cannot be in it", ErrEnvelope, describe(doc), recordsPath)
		}
		if v, ok = mapping.Lookup(m, recordsPath); !ok {
			return nil, fmt.Errorf("%w: rest.records_path %q is not in the response (%s)%s", ErrEnvelope, recordsPath, keysOf(doc, red), saying(m, red))
		}
	}
	arr, ok := v.([]any)
	if !ok {
		where := "the response"
		if recordsPath != "" {
			where = fmt.Sprintf("rest.records_path %q", recordsPath)
		}
		return nil, fmt.Errorf("%w: %s holds %s, not an array of users", ErrEnvelope, where, describe(v))
	}
	recs := make([]vendors.Record, len(arr))
	for i, e := range arr {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%w: user %d of the page is %s, not an object", ErrEnvelope, i+1, describe(e))
		}
		recs[i] = m
	}
	return recs, nil
}

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
