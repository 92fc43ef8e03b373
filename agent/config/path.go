package config

import (
	"sort"
	"strconv"
	"strings"
)

// A path names a value in the file: keys, and array indexes made by idx.
// "integration", idx(1), "preference" is the preference of the second
// [[integration]]; a quoted key "user.email" is one element.
type path []string

const idxMark = "\x01"

// idx is the path element of array index i.
func idx(i int) string { return idxMark + strconv.Itoa(i) }

func (p path) with(k ...string) path {
	return append(append(make(path, 0, len(p)+len(k)), p...), k...)
}

func (p path) key() string { return strings.Join(p, "\x00") }

// String shows the path as TOML would, without array indexes and with
// long keys shortened: integration.mapping."user.email".
func (p path) String() string {
	var b strings.Builder
	for _, k := range p {
		if strings.HasPrefix(k, idxMark) {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		switch {
		case len(k) > 60:
			b.WriteString(q(k))
		case k != "" && strings.IndexFunc(k, func(r rune) bool { return !isBare(r) }) < 0:
			b.WriteString(k)
		default:
			b.WriteString(strconv.Quote(k))
		}
	}
	return b.String()
}

func isBare(r rune) bool {
	return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-'
}

// index maps paths to byte offsets in the file.
type index struct {
	src   string
	lines []int          // offsets where lines start
	at    map[string]int // path.key() → offset; the first definition wins
}

// Pos is a 1-based line and column (in bytes) of the file.
type Pos struct{ Line, Col int }

// pos returns where p is, else where its closest recorded ancestor is, else
// the start of the file.
func (ix *index) pos(p path) Pos {
	for n := len(p); n > 0; n-- {
		if off, ok := ix.at[p[:n].key()]; ok {
			return ix.offsetPos(off)
		}
	}
	return Pos{1, 1}
}

func (ix *index) has(p path) bool {
	_, ok := ix.at[p.key()]
	return ok
}

// header reports whether the table p was opened by a [header] line.
func (ix *index) header(p path) bool {
	off, ok := ix.at[p.key()]
	return ok && off < len(ix.src) && ix.src[off] == '['
}

func (ix *index) offsetPos(off int) Pos {
	i := sort.Search(len(ix.lines), func(i int) bool { return ix.lines[i] > off }) - 1
	if i < 0 {
		return Pos{1, 1}
	}
	return Pos{Line: i + 1, Col: off - ix.lines[i] + 1}
}
