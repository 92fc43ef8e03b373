package config

import (
	"strconv"
	"strings"
)

// The TOML decoder gives values but no positions, so a small scanner reads
// the file text once more and records where every key, table header and
// array element starts, by concrete path. It runs only on text the decoder
// accepted, but never fails or loops on anything else.

// locate indexes src. It never panics: should the scanner trip over text
// it does not expect, the index holds what was found until then, and
// positions not found fall back to an enclosing table or the file's start.
func locate(src string) (ix *index) {
	ix = newIndex(src)
	defer func() { _ = recover() }()
	(&scanner{s: ix.src, ix: ix, aot: map[string]int{}}).document()
	return ix
}

// scan is locate without the safety net, for tests and fuzzing.
func scan(src string) *index {
	ix := newIndex(src)
	(&scanner{s: ix.src, ix: ix, aot: map[string]int{}}).document()
	return ix
}

func newIndex(src string) *index {
	// Offsets count from after a UTF-8 BOM, as the decoder's do.
	src = strings.TrimPrefix(src, "\ufeff")
	ix := &index{src: src, at: map[string]int{}, lines: []int{0}}
	for i := 0; i < len(src); i++ {
		if src[i] == '\n' {
			ix.lines = append(ix.lines, i+1)
		}
	}
	return ix
}

type scanner struct {
	s   string
	i   int
	ix  *index
	aot map[string]int // array of tables → how many elements so far
	cur path           // the table the key/value lines belong to
}

func (sc *scanner) peek() byte {
	if sc.i < len(sc.s) {
		return sc.s[sc.i]
	}
	return 0
}

func (sc *scanner) eof() bool { return sc.i >= len(sc.s) }

func (sc *scanner) record(p path, off int) {
	if k := p.key(); len(p) > 0 {
		if _, ok := sc.ix.at[k]; !ok {
			sc.ix.at[k] = off
		}
	}
}

func (sc *scanner) skipSpace() {
	for !sc.eof() && (sc.peek() == ' ' || sc.peek() == '\t') {
		sc.i++
	}
}

// skipBlank skips whitespace, newlines and comments.
func (sc *scanner) skipBlank() {
	for !sc.eof() {
		switch sc.peek() {
		case ' ', '\t', '\r', '\n':
			sc.i++
		case '#':
			for !sc.eof() && sc.peek() != '\n' {
				sc.i++
			}
		default:
			return
		}
	}
}

func (sc *scanner) document() {
	for {
		sc.skipBlank()
		if sc.eof() {
			return
		}
		start := sc.i
		if sc.peek() == '[' {
			sc.header()
		} else {
			sc.keyval(sc.cur)
		}
		if sc.i == start { // not TOML; move on
			sc.i++
		}
	}
}

// header reads [a.b] or [[a.b]].
func (sc *scanner) header() {
	start := sc.i
	array := strings.HasPrefix(sc.s[sc.i:], "[[")
	sc.i++
	if array {
		sc.i++
	}
	sc.skipSpace()
	keys, _ := sc.keyPieces()
	sc.skipSpace()
	if sc.peek() == ']' {
		sc.i++
		if array && sc.peek() == ']' {
			sc.i++
		}
	}
	if len(keys) == 0 {
		return
	}
	var p path
	if array {
		p = sc.concrete(keys[:len(keys)-1]).with(keys[len(keys)-1])
		n := sc.aot[p.key()]
		sc.aot[p.key()] = n + 1
		for j := 1; j <= len(p); j++ {
			sc.record(p[:j], start)
		}
		p = p.with(idx(n))
	} else {
		p = sc.concrete(keys)
	}
	for j := 1; j <= len(p); j++ {
		sc.record(p[:j], start)
	}
	sc.cur = p
}

// concrete turns header keys into a path, entering the last element of
// every array of tables on the way.
func (sc *scanner) concrete(keys []string) path {
	var p path
	for _, k := range keys {
		p = p.with(k)
		if n := sc.aot[p.key()]; n > 0 {
			p = p.with(idx(n - 1))
		}
	}
	return p
}

// keyval reads key = value under base.
func (sc *scanner) keyval(base path) {
	keys, offs := sc.keyPieces()
	if len(keys) == 0 {
		return
	}
	for j := range keys {
		sc.record(base.with(keys[:j+1]...), offs[j])
	}
	sc.skipSpace()
	if sc.peek() == '=' {
		sc.i++
	}
	sc.skipSpace()
	sc.value(base.with(keys...))
}

// keyPieces reads a possibly dotted key and the offset of each piece.
func (sc *scanner) keyPieces() (keys []string, offs []int) {
	for {
		sc.skipSpace()
		off := sc.i
		var k string
		switch sc.peek() {
		case '"':
			k = unescape(sc.basicString())
		case '\'':
			k = sc.literalString()
		default:
			for !sc.eof() && isBare(rune(sc.peek())) {
				sc.i++
			}
			if sc.i == off {
				return keys, offs
			}
			k = sc.s[off:sc.i]
		}
		keys, offs = append(keys, k), append(offs, off)
		sc.skipSpace()
		if sc.peek() != '.' {
			return keys, offs
		}
		sc.i++
	}
}

// value skips one value, recording the elements of arrays and the keys of
// inline tables under p.
func (sc *scanner) value(p path) {
	switch {
	case strings.HasPrefix(sc.s[sc.i:], `"""`), strings.HasPrefix(sc.s[sc.i:], `'''`):
		sc.multiline(sc.s[sc.i : sc.i+3])
	case sc.peek() == '"':
		sc.basicString()
	case sc.peek() == '\'':
		sc.literalString()
	case sc.peek() == '[':
		sc.elements(']', func(n int) {
			sc.record(p.with(idx(n)), sc.i)
			sc.value(p.with(idx(n)))
		})
	case sc.peek() == '{':
		sc.elements('}', func(int) { sc.keyval(p) })
	default: // number, bool, date-time (which may hold a space)
		for !sc.eof() && !strings.ContainsRune(",]}#\r\n", rune(sc.peek())) {
			sc.i++
		}
	}
}

// elements skips the open bracket at sc.i and reads the comma-separated
// elements up to the closing one with each, passing the element's index.
// An element each cannot read is skipped a byte at a time.
func (sc *scanner) elements(closing byte, each func(n int)) {
	sc.i++
	for n := 0; ; n++ {
		sc.skipBlank()
		if sc.eof() || sc.peek() == closing {
			break
		}
		start := sc.i
		each(n)
		sc.skipBlank()
		if sc.peek() == ',' {
			sc.i++
		} else if sc.i == start {
			sc.i++
		}
	}
	if sc.peek() == closing {
		sc.i++
	}
}

// basicString reads "..." and returns its raw content.
func (sc *scanner) basicString() string {
	sc.i++
	start := sc.i
	for !sc.eof() && sc.peek() != '"' && sc.peek() != '\n' {
		if sc.peek() == '\\' {
			sc.i++
		}
		sc.i++
	}
	end := min(sc.i, len(sc.s))
	if sc.peek() == '"' {
		sc.i++
	}
	return sc.s[start:end]
}

// literalString reads '...' and returns its content.
func (sc *scanner) literalString() string {
	sc.i++
	start := sc.i
	for !sc.eof() && sc.peek() != '\'' && sc.peek() != '\n' {
		sc.i++
	}
	end := sc.i
	if sc.peek() == '\'' {
		sc.i++
	}
	return sc.s[start:end]
}

// multiline skips a """ or ”' string, with up to two quotes of content
// right before the closing delimiter.
func (sc *scanner) multiline(delim string) {
	sc.i += 3
	for !sc.eof() {
		if delim == `"""` && sc.peek() == '\\' {
			sc.i += 2
			continue
		}
		if strings.HasPrefix(sc.s[sc.i:], delim) {
			sc.i += 3
			for n := 0; n < 2 && sc.peek() == delim[0]; n++ {
				sc.i++
			}
			return
		}
		sc.i++
	}
	sc.i = len(sc.s)
}

// unescape decodes the escapes of a basic string's raw content.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch c := s[i]; c {
		case 'b':
			b.WriteByte('\b')
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'f':
			b.WriteByte('\f')
		case 'r':
			b.WriteByte('\r')
		case 'e':
			b.WriteByte(0x1b)
		case 'x', 'u', 'U':
			n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[c]
			if i+n < len(s) {
				if r, err := strconv.ParseUint(s[i+1:i+1+n], 16, 32); err == nil {
					b.WriteRune(rune(r)) // U+FFFD when not a valid rune
					i += n
					continue
				}
			}
			b.WriteByte(c)
		default: // \" \\ and anything else
			b.WriteByte(c)
		}
	}
	return b.String()
}
