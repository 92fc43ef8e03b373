package config

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// FuzzLoad feeds arbitrary bytes as a config file: Parse must not panic,
// must fail only with an *Error whose problems all have a position in the
// file, and on every text the TOML library accepts the scanner must find
// every key and array element the library found.
func FuzzLoad(f *testing.F) {
	f.Add([]byte("[[integration]]\nname = \"a\"\nvendor = \"file\"\nfile.path = \"a.csv\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("fuzz.toml", data)
		if err == nil {
			if cfg == nil {
				t.Fatal("nil config without error")
			}
		} else {
			var e *Error
			if !errors.As(err, &e) || len(e.Problems) == 0 {
				t.Fatalf("error %T without problems: %v", err, err)
			}
			lines := bytes.Count(data, []byte("\n")) + 1
			for _, p := range e.Problems {
				if p.Line < 1 || p.Col < 1 || p.Line > lines {
					t.Fatalf("problem at %d:%d of a %d-line file: %s", p.Line, p.Col, lines, p.Msg)
				}
			}
		}

		var raw map[string]any
		if _, err := toml.Decode(string(data), &raw); err != nil {
			return
		}
		ix := scan(string(data)) // no safety net
		walk(nil, raw, func(p path) {
			off, ok := ix.at[p.key()]
			if !ok {
				t.Fatalf("scanner did not find %q (%q)", p, p.key())
			}
			// A key's offset is that of its own piece, or of a header.
			last := p[len(p)-1]
			if strings.HasPrefix(last, idxMark) || ix.src[off] == '[' {
				return
			}
			sc := &scanner{s: ix.src, i: off}
			if keys, _ := sc.keyPieces(); len(keys) == 0 || keys[0] != last {
				t.Fatalf("%q recorded at offset %d, where the key is %q", p, off, keys)
			}
		})
	})
}

// walk calls fn for every key and array element under v.
func walk(p path, v any, fn func(path)) {
	switch x := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(x) {
			fn(p.with(k))
			walk(p.with(k), x[k], fn)
		}
	case []map[string]any:
		for i, e := range x {
			fn(p.with(idx(i)))
			walk(p.with(idx(i)), e, fn)
		}
	case []any:
		for i, e := range x {
			fn(p.with(idx(i)))
			walk(p.with(idx(i)), e, fn)
		}
	}
}
