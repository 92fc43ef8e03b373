// Package fastjson decodes JSON into the tree encoding/json's Decoder
// with UseNumber builds (map[string]any, []any, string, json.Number,
// bool, nil), with far fewer allocations. It only says whether the input
// was valid: callers fall back to encoding/json for the error message.
// vendors/web's differential tests and fuzzing hold the two equal.
package fastjson

import (
	"encoding/json"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepth is encoding/json's nesting limit: it accepts 10000 levels
// and rejects the 10001st, so the fast path must do the same.
const MaxDepth = 10000

// plainStringByte marks the bytes a string can hold as they are: printable
// ASCII other than '"' and '\\'. Anything else needs a closer look.
var plainStringByte = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// fastDecoder builds the same tree as encoding/json's Decoder with
// UseNumber decoding into an any, with far fewer allocations: the body is
// converted to one string, and strings without escapes and all numbers
// are substrings of it (so any value kept alive keeps the whole body
// alive). It only says whether the input was valid; the caller falls back
// to encoding/json for the error message.
type fastDecoder struct {
	s     string
	i     int
	depth int

	// vals and keys are scratch stacks shared by every array and object
	// being built, so each []any and map is allocated once at its exact
	// size.
	vals []any
	keys []string

	buf    []byte            // scratch for strings with escapes
	intern map[string]string // keys with escapes; plain keys are substrings and free already
}

// Parse decodes body, which must be one JSON value with at most JSON
// whitespace around it. ok is false for anything encoding/json rejects.
func Parse(body []byte) (v any, ok bool) {
	d := fastDecoder{s: string(body)}
	d.skipSpace()
	v, ok = d.value()
	if !ok {
		return nil, false
	}
	d.skipSpace()
	if d.i != len(d.s) {
		return nil, false
	}
	return v, true
}

func (d *fastDecoder) skipSpace() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// value decodes the value at d.i, which must not be whitespace.
func (d *fastDecoder) value() (any, bool) {
	if d.i >= len(d.s) {
		return nil, false
	}
	switch c := d.s[d.i]; c {
	case '{':
		return d.object()
	case '[':
		return d.array()
	case '"':
		s, ok := d.str(false)
		return s, ok
	case 't':
		return true, d.literal("true")
	case 'f':
		return false, d.literal("false")
	case 'n':
		return nil, d.literal("null")
	default:
		if c == '-' || '0' <= c && c <= '9' {
			return d.number()
		}
		return nil, false
	}
}

// literal consumes lit. What follows it is checked by the caller, as for
// any value: "truex" fails there.
func (d *fastDecoder) literal(lit string) bool {
	if len(d.s)-d.i < len(lit) || d.s[d.i:d.i+len(lit)] != lit {
		return false
	}
	d.i += len(lit)
	return true
}

// number consumes a number with exactly JSON's grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (d *fastDecoder) number() (any, bool) {
	s, i := d.s, d.i
	if s[i] == '-' {
		i++
	}
	switch {
	case i >= len(s):
		return nil, false
	case s[i] == '0':
		i++
	case '1' <= s[i] && s[i] <= '9':
		i = skipDigits(s, i+1)
	default:
		return nil, false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return nil, false
		}
		i = skipDigits(s, i+1)
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return nil, false
		}
		i = skipDigits(s, i+1)
	}
	n := json.Number(s[d.i:i])
	d.i = i
	return n, true
}

func skipDigits(s string, i int) int {
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	return i
}

// open enters the container at d.i ('[' or '{'); empty says it closes at
// once with close.
func (d *fastDecoder) open(close byte) (empty, ok bool) {
	if d.depth++; d.depth > MaxDepth {
		return false, false
	}
	d.i++
	d.skipSpace()
	if d.i < len(d.s) && d.s[d.i] == close {
		d.i++
		d.depth--
		return true, true
	}
	return false, true
}

// next consumes what follows a member: close (done) or a comma.
func (d *fastDecoder) next(close byte) (done, ok bool) {
	d.skipSpace()
	if d.i >= len(d.s) {
		return false, false
	}
	c := d.s[d.i]
	d.i++
	switch c {
	case close:
		d.depth--
		return true, true
	case ',':
		d.skipSpace()
		return false, true
	}
	return false, false
}

func (d *fastDecoder) array() (any, bool) {
	empty, ok := d.open(']')
	if !ok {
		return nil, false
	}
	if empty {
		return []any{}, true // encoding/json never yields a nil slice
	}
	base := len(d.vals)
	for {
		v, ok := d.value()
		if !ok {
			return nil, false
		}
		d.vals = append(d.vals, v)
		done, ok := d.next(']')
		if !ok {
			return nil, false
		}
		if done {
			break
		}
	}
	a := make([]any, len(d.vals)-base)
	copy(a, d.vals[base:])
	d.vals = d.vals[:base]
	return a, true
}

func (d *fastDecoder) object() (any, bool) {
	empty, ok := d.open('}')
	if !ok {
		return nil, false
	}
	if empty {
		return map[string]any{}, true
	}
	kbase, vbase := len(d.keys), len(d.vals)
	for {
		if d.i >= len(d.s) || d.s[d.i] != '"' {
			return nil, false
		}
		k, ok := d.str(true)
		if !ok {
			return nil, false
		}
		d.skipSpace()
		if d.i >= len(d.s) || d.s[d.i] != ':' {
			return nil, false
		}
		d.i++
		d.skipSpace()
		v, ok := d.value()
		if !ok {
			return nil, false
		}
		d.keys = append(d.keys, k)
		d.vals = append(d.vals, v)
		done, ok := d.next('}')
		if !ok {
			return nil, false
		}
		if done {
			break
		}
	}
	keys, vals := d.keys[kbase:], d.vals[vbase:]
	m := make(map[string]any, len(keys))
	for j, k := range keys {
		m[k] = vals[j] // in order, so a duplicate key's last value wins, as in encoding/json
	}
	d.keys, d.vals = d.keys[:kbase], d.vals[:vbase]
	return m, true
}

// str consumes the string at d.i (a '"'). A string of plain bytes and
// valid UTF-8 is returned as a substring; anything else goes to strSlow.
func (d *fastDecoder) str(key bool) (string, bool) {
	s := d.s
	i := d.i + 1
	for i < len(s) {
		c := s[i]
		if plainStringByte[c] {
			i++
			continue
		}
		if c == '"' {
			v := s[d.i+1 : i]
			d.i = i + 1
			return v, true
		}
		if c < utf8.RuneSelf {
			break // an escape or a control character
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			break // invalid UTF-8, to be replaced
		}
		i += n
	}
	return d.strSlow(i, key)
}

// strSlow finishes a string from s[i] on, the bytes before i being plain.
// It follows encoding/json's unquote: the escapes its scanner accepts, a
// \u surrogate pair makes one rune, and an unpaired surrogate or each byte
// of invalid UTF-8 becomes U+FFFD.
func (d *fastDecoder) strSlow(i int, key bool) (string, bool) {
	s := d.s
	b := append(d.buf[:0], s[d.i+1:i]...)
	for {
		if i >= len(s) {
			return "", false
		}
		c := s[i]
		switch {
		case c == '"':
			d.buf = b
			d.i = i + 1
			if !key {
				return string(b), true
			}
			// The lookup with string(b) does not allocate.
			if k, ok := d.intern[string(b)]; ok {
				return k, true
			}
			if d.intern == nil {
				d.intern = make(map[string]string)
			}
			k := string(b)
			d.intern[k] = k
			return k, true
		case c == '\\':
			if i+1 >= len(s) {
				return "", false
			}
			switch e := s[i+1]; e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r := hex4(s, i+2)
				if r < 0 {
					return "", false
				}
				i += 6
				if utf16.IsSurrogate(r) {
					// Pair it with a following \uXXXX if that makes a valid
					// pair; otherwise U+FFFD, and the next escape stands alone.
					r2 := rune(-1)
					if i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
						r2 = hex4(s, i+2)
					}
					if dec := utf16.DecodeRune(r, r2); dec != unicode.ReplacementChar {
						r = dec
						i += 6
					} else {
						r = unicode.ReplacementChar
					}
				}
				b = utf8.AppendRune(b, r)
				continue
			default:
				return "", false // \' and others: encoding/json's scanner rejects them
			}
			i += 2
		case c < ' ':
			return "", false
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			b = utf8.AppendRune(b, r) // RuneError for a bad byte, as encoding/json
			i += n
		}
	}
}

// hex4 returns the value of the four hex digits at s[i:], or -1.
func hex4(s string, i int) rune {
	if len(s)-i < 4 {
		return -1
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}
