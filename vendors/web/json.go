package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/agentsync/agent/internal/fastjson"
)

// DecodeJSON decodes a response body that must be exactly one JSON value.
// Numbers stay json.Number, so long ids keep every digit. An HTML page
// (a proxy's error page, a login page, a maintenance notice served with
// 200) fails with ErrHTML; an empty, truncated or otherwise broken body,
// or one followed by more data, with ErrNotJSON. red (may be nil) takes
// the secrets out of an HTML page's title.
func DecodeJSON(resp *http.Response, body []byte, red Redactor) (any, error) {
	if isHTML(resp, body) {
		if t := htmlTitle(body, red); t != "" {
			return nil, fmt.Errorf("%w (HTTP %d, titled %q): a proxy, login or error page answered instead of the API", ErrHTML, resp.StatusCode, t)
		}
		return nil, fmt.Errorf("%w (HTTP %d): a proxy, login or error page answered instead of the API", ErrHTML, resp.StatusCode)
	}
	return ParseJSON(body)
}

// ParseJSON is DecodeJSON without the response: body must be one JSON
// value and nothing else. Only JSON's own whitespace (space, tab, CR, LF)
// may surround it; \v, \f or U+00A0 make the body not JSON.
func ParseJSON(body []byte) (any, error) {
	trimmed := trimJSONSpace(body)
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("%w: the body is empty", ErrNotJSON)
	}
	if v, ok := fastjson.Parse(trimmed); ok {
		return v, nil
	}
	// The fast decoder only says "invalid"; encoding/json says why, with
	// the same messages as always.
	return parseJSONStd(trimmed)
}

// trimJSONSpace cuts the whitespace JSON allows around a value (RFC 8259,
// section 2), and no other, from both ends of b.
func trimJSONSpace(b []byte) []byte {
	return bytes.Trim(b, " \t\r\n")
}

// parseJSONStd decodes a trimmed, non-empty body with encoding/json. It
// yields the same tree as fastjson.Parse, much more slowly, and the errors
// ParseJSON reports.
func parseJSONStd(trimmed []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		var se *json.SyntaxError
		switch {
		case errors.Is(err, io.ErrUnexpectedEOF):
			return nil, fmt.Errorf("%w: the body ends in the middle of a value (truncated after %d bytes)", ErrNotJSON, len(trimmed))
		case errors.As(err, &se):
			return nil, fmt.Errorf("%w: %v (at byte %d)", ErrNotJSON, se, se.Offset)
		}
		return nil, fmt.Errorf("%w: %v", ErrNotJSON, err)
	}
	if dec.InputOffset() != int64(len(trimmed)) {
		return nil, fmt.Errorf("%w: more data after the JSON value (at byte %d)", ErrNotJSON, dec.InputOffset())
	}
	return v, nil
}

func isHTML(resp *http.Response, body []byte) bool {
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err == nil &&
		(mt == "text/html" || mt == "application/xhtml+xml") {
		return true
	}
	b := bytes.TrimSpace(body)
	return len(b) > 0 && b[0] == '<'
}

var titleRE = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)

// htmlTitle returns the <title> of an HTML body, shortened, or "".
func htmlTitle(body []byte, red Redactor) string {
	if b := bytes.TrimSpace(body); len(b) == 0 || b[0] != '<' {
		return ""
	}
	m := titleRE.FindSubmatch(body[:min(len(body), 64<<10)])
	if m == nil {
		return ""
	}
	return Clip(red, strings.Join(strings.Fields(string(m[1])), " "), 80)
}

// errorText returns the message of a small JSON error body, such as
// {"error":"invalid_token"} or {"message":"Not Found"}, shortened; "" for
// anything else.
func errorText(body []byte, red Redactor) string {
	if len(body) > 4<<10 {
		return ""
	}
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return ""
	}
	var parts []string
	for _, k := range []string{"error", "code", "message", "error_description", "errorSummary", "detail"} {
		switch v := m[k].(type) {
		case string:
			parts = append(parts, v)
		case map[string]any: // {"error": {"message": ...}}
			if s, ok := v["message"].(string); ok {
				parts = append(parts, s)
			}
		}
	}
	return Clip(red, strings.Join(parts, ": "), 160)
}

// Redactor takes the secrets of a run out of a text; *credentials.Redactor
// is one.
type Redactor interface {
	String(s string) string
}

func redact(red Redactor, s string) string {
	if red == nil {
		return s
	}
	return red.String(s)
}

// Clip makes s, a text that came from a vendor, fit a message: red (may
// be nil) redacts it first, since a secret cut short would no longer be
// recognised, then it is shortened to n runes on one printable line.
func Clip(red Redactor, s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, redact(red, s))
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
