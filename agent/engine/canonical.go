package engine

import (
	"slices"
	"unicode/utf8"
)

// canonical renders fields as a JSON object with sorted keys: the stored
// form of a record, compared byte for byte to tell an unchanged record.
// It is json.Marshal's output without its reflection and HTML escaping,
// on the hot path of every sync.
func canonical(fields map[string]string, buf []byte) []byte {
	var scratch []string
	return canonicalKeys(fields, buf, &scratch)
}

// canonicalKeys is canonical with a reusable slice for the sorted keys.
func canonicalKeys(fields map[string]string, buf []byte, scratch *[]string) []byte {
	keys := (*scratch)[:0]
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	*scratch = keys
	buf = append(buf, '{')
	for i, k := range keys {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendString(buf, k)
		buf = append(buf, ':')
		buf = appendString(buf, fields[k])
	}
	return append(buf, '}')
}

const hexDigits = "0123456789abcdef"

func appendString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			buf = append(buf, s[start:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			// Invalid UTF-8 becomes U+FFFD, as encoding/json does, written
			// raw so that decoding and encoding again gives the same text.
			buf = append(buf, s[start:i]...)
			buf = append(buf, "\uFFFD"...)
			i++
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}
