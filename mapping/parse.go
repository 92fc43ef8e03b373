package mapping

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ParseError is a syntax or validation error in an expression. Column is
// 1-based and counts runes, so a config loader can add it to the column of
// the TOML string.
type ParseError struct {
	Column int
	Msg    string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%s (column %d)", e.Msg, e.Column)
}

// Parse parses "source | transform | transform(arg, ...)"; see the package
// comment for the grammar.
func Parse(s string) (*Expr, error) {
	p := &parser{s: s}
	e, err := p.expr()
	if err != nil {
		return nil, err
	}
	e.text = e.canonical()
	return e, nil
}

type parser struct {
	s   string
	pos int
}

func (p *parser) errAt(pos int, format string, args ...any) error {
	if pos > len(p.s) {
		pos = len(p.s)
	}
	return &ParseError{Column: utf8.RuneCountInString(p.s[:pos]) + 1, Msg: fmt.Sprintf(format, args...)}
}

func isSpace(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '\v', '\f':
		return true
	}
	return false
}

// isWord says which bytes make a bare word (path, transform name, arg).
func isWord(c byte) bool {
	switch c {
	case '|', '(', ')', ',', '"':
		return false
	}
	return !isSpace(c)
}

func (p *parser) eof() bool { return p.pos >= len(p.s) }

func (p *parser) skipSpace() {
	for p.pos < len(p.s) && isSpace(p.s[p.pos]) {
		p.pos++
	}
}

func (p *parser) word() string {
	start := p.pos
	for p.pos < len(p.s) && isWord(p.s[p.pos]) {
		p.pos++
	}
	return p.s[start:p.pos]
}

// quoted reads a double-quoted Go string literal at p.pos.
func (p *parser) quoted() (string, error) {
	start := p.pos
	i := start + 1
	for i < len(p.s) && p.s[i] != '"' {
		if p.s[i] == '\\' {
			i++
		}
		i++
	}
	if i >= len(p.s) {
		return "", p.errAt(start, "unterminated string")
	}
	text, err := strconv.Unquote(p.s[start : i+1])
	if err != nil {
		return "", p.errAt(start, "invalid string %s: bad escape or control character", quoteTrunc(p.s[start:i+1]))
	}
	p.pos = i + 1
	return text, nil
}

// rest describes what follows pos, for "unexpected ..." messages.
func (p *parser) rest() string {
	return quoteTrunc(p.s[p.pos:])
}

func (p *parser) expr() (*Expr, error) {
	p.skipSpace()
	if p.eof() {
		return nil, p.errAt(p.pos, "empty expression")
	}
	e := &Expr{}
	if err := p.source(e); err != nil {
		return nil, err
	}
	for {
		p.skipSpace()
		if p.eof() {
			return e, nil
		}
		if p.s[p.pos] != '|' {
			return nil, p.errAt(p.pos, "unexpected %s: transforms follow \"|\"", p.rest())
		}
		p.pos++
		p.skipSpace()
		st, err := p.transform()
		if err != nil {
			return nil, err
		}
		e.steps = append(e.steps, st)
	}
}

func (p *parser) source(e *Expr) error {
	start := p.pos
	switch p.s[p.pos] {
	case '"':
		text, err := p.quoted()
		if err != nil {
			return err
		}
		parts, err := parseTemplate(text)
		if err != nil {
			return p.errAt(start, "template: %v", err)
		}
		e.kind, e.tmpl, e.parts = srcTemplate, text, parts
		return nil
	case '$':
		switch w := p.word(); w {
		case varCredential:
			e.kind = srcCredential
		case varSyncTime:
			e.kind = srcSyncTime
		default:
			return p.errAt(start, "unknown variable %s (known: %s, %s)", quoteTrunc(w), varCredential, varSyncTime)
		}
		return nil
	}
	w := p.word()
	if w == "" {
		return p.errAt(start, "expected a source (a path, $credential_name, $sync_time or a quoted template), found %s", p.rest())
	}
	if strings.HasPrefix(w, "{") {
		return p.errAt(start, "a template must be double-quoted, as in \"{first} {last}\"")
	}
	if err := checkPath(w); err != nil {
		return p.errAt(start, "%v", err)
	}
	e.kind, e.path = srcPath, w
	return nil
}

func (p *parser) transform() (step, error) {
	namePos := p.pos
	name := p.word()
	if name == "" {
		return step{}, p.errAt(namePos, "expected a transform name after \"|\", found %s", p.rest())
	}
	spec, ok := transforms[name]
	if !ok {
		return step{}, p.errAt(namePos, "transform %s: unknown; known: %s", quoteTrunc(name), strings.Join(transformNames, ", "))
	}
	p.skipSpace()
	var args []arg
	if !p.eof() && p.s[p.pos] == '(' {
		var err error
		if args, err = p.args(name); err != nil {
			return step{}, err
		}
	}
	if err := spec.checkCount(len(args)); err != nil {
		return step{}, p.errAt(namePos, "transform %q: %v", name, err)
	}
	fn, err := spec.build(args)
	if err != nil {
		return step{}, p.errAt(namePos, "transform %q: %v", name, err)
	}
	return step{name: name, args: args, fn: fn}, nil
}

// args reads "(a, "b", c)" starting at the "(".
func (p *parser) args(name string) ([]arg, error) {
	p.pos++
	p.skipSpace()
	if !p.eof() && p.s[p.pos] == ')' {
		p.pos++
		return nil, nil
	}
	var args []arg
	for {
		p.skipSpace()
		if p.eof() {
			return nil, p.errAt(p.pos, "transform %q: missing \")\"", name)
		}
		if p.s[p.pos] == '"' {
			text, err := p.quoted()
			if err != nil {
				return nil, err
			}
			args = append(args, arg{text: text, quoted: true})
		} else {
			w := p.word()
			if w == "" {
				return nil, p.errAt(p.pos, "transform %q: expected an argument, found %s", name, p.rest())
			}
			args = append(args, arg{text: w})
		}
		p.skipSpace()
		if p.eof() {
			return nil, p.errAt(p.pos, "transform %q: missing \")\"", name)
		}
		switch p.s[p.pos] {
		case ',':
			p.pos++
		case ')':
			p.pos++
			return args, nil
		default:
			return nil, p.errAt(p.pos, "transform %q: expected \",\" or \")\", found %s", name, p.rest())
		}
	}
}

// parseTemplate splits "{first} {last}" into literal and path parts.
func parseTemplate(t string) ([]tmplPart, error) {
	var parts []tmplPart
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			parts = append(parts, tmplPart{text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(t); i++ {
		switch c := t[i]; c {
		case '{':
			if i+1 < len(t) && t[i+1] == '{' {
				lit.WriteByte('{')
				i++
				continue
			}
			j := strings.IndexByte(t[i+1:], '}')
			if j < 0 {
				return nil, fmt.Errorf("unclosed \"{\" at offset %d", i)
			}
			path := t[i+1 : i+1+j]
			if strings.IndexByte(path, '{') >= 0 {
				return nil, fmt.Errorf("\"{\" inside placeholder {%s}", path)
			}
			if strings.HasPrefix(path, "$") {
				return nil, fmt.Errorf("{%s}: variables are only allowed as the whole source", path)
			}
			if err := checkPath(path); err != nil {
				return nil, fmt.Errorf("{%s}: %v", path, err)
			}
			flush()
			parts = append(parts, tmplPart{text: path, isPath: true})
			i += j + 1
		case '}':
			if i+1 < len(t) && t[i+1] == '}' {
				lit.WriteByte('}')
				i++
				continue
			}
			return nil, fmt.Errorf("unmatched \"}\" at offset %d (write \"}}\" for a literal brace)", i)
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	if len(parts) == 0 {
		parts = []tmplPart{{}}
	}
	return parts, nil
}
