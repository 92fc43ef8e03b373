package web

import "strings"

// NextLink returns the target of the rel="next" link among the Link
// header values (RFC 8288 §3), as written (it may be relative), or "".
// A value may hold several links, a rel may hold several relation types
// ("next last"), parameters may be quoted or not and in any case, and a
// comma inside <...> or a quoted string does not split links.
func NextLink(values []string) string {
	for _, v := range values {
		for _, l := range splitLinks(v) {
			target, params, ok := parseLink(l)
			if !ok {
				continue
			}
			for _, p := range params {
				name, val, _ := strings.Cut(p, "=")
				if !strings.EqualFold(strings.TrimSpace(name), "rel") {
					continue
				}
				for _, rel := range strings.Fields(unquote(strings.TrimSpace(val))) {
					if strings.EqualFold(rel, "next") {
						return target
					}
				}
				break // only the first rel counts (§3.3)
			}
		}
	}
	return ""
}

// splitLinks splits a header value at the commas between links.
func splitLinks(v string) []string {
	var out []string
	inTarget, quoted, start := false, false, 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case quoted && c == '\\':
			i++
		case c == '"' && !inTarget:
			quoted = !quoted
		case c == '<' && !quoted:
			inTarget = true
		case c == '>' && !quoted:
			inTarget = false
		case c == ',' && !quoted && !inTarget:
			out = append(out, v[start:i])
			start = i + 1
		}
	}
	return append(out, v[start:])
}

// parseLink splits `<target>; a=b; c="d"` into the target and "a=b"-style
// parameters.
func parseLink(l string) (target string, params []string, ok bool) {
	l = strings.TrimSpace(l)
	if !strings.HasPrefix(l, "<") {
		return "", nil, false
	}
	end := strings.IndexByte(l, '>')
	if end < 0 {
		return "", nil, false
	}
	target = strings.TrimSpace(l[1:end])
	rest := l[end+1:]
	quoted, start := false, 0
	for i := 0; i < len(rest); i++ {
		switch c := rest[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case c == ';' && !quoted:
			if p := strings.TrimSpace(rest[start:i]); p != "" {
				params = append(params, p)
			}
			start = i + 1
		}
	}
	if p := strings.TrimSpace(rest[min(start, len(rest)):]); p != "" {
		params = append(params, p)
	}
	return target, params, target != ""
}

// unquote removes the quotes and backslash escapes of a quoted string;
// other values are returned as they are.
func unquote(s string) string {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return s
	}
	var b strings.Builder
	for i := 1; i < len(s)-1; i++ {
		if s[i] == '\\' && i+1 < len(s)-1 {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
