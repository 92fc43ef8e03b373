package mapping

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
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
	case '|', '(', ')', ',', '"', '`':
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

// raw reads a backquoted name at p.pos: everything up to the next
// backquote, verbatim (no escapes), as in a Go raw string. It is how a
// path with a space or one of | ( ) , " is written: `First Name`.
func (p *parser) raw() (string, error) {
	start := p.pos
	end := strings.IndexByte(p.s[start+1:], '`')
	if end < 0 {
		return "", p.errAt(start, "unterminated `: a name in backquotes ends with another one, as in `First Name`")
	}
	p.pos = start + 1 + end + 1
	return p.s[start+1 : start+1+end], nil
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
	srcStart := p.pos
	if err := p.source(e); err != nil {
		return nil, err
	}
	for {
		p.skipSpace()
		if p.eof() {
			return e, nil
		}
		if p.s[p.pos] != '|' {
			return nil, p.errAt(p.pos, "unexpected %s: transforms follow \"|\"%s", p.rest(), p.spaceHint(e, srcStart))
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

// spaceHint explains, after a bare path followed by more words, how a
// name with a space is written: "First Name | trim" reads "First" and
// stops at "Name".
func (p *parser) spaceHint(e *Expr, start int) string {
	if e.kind != srcPath || len(e.steps) > 0 || strings.HasPrefix(p.s[p.pos:], "(") {
		return ""
	}
	name := p.s[start:]
	if i := strings.IndexByte(name, '|'); i >= 0 {
		name = name[:i]
	}
	name = strings.TrimRightFunc(name, unicode.IsSpace)
	words := strings.Fields(name)
	if len(words) < 2 || strings.ContainsAny(name, "`\n") {
		return ""
	}
	if _, ok := transforms[words[1]]; ok && len(words) == 2 { // "email lower"
		return fmt.Sprintf("; did you mean %q?", words[0]+" | "+p.s[p.pos:])
	}
	for _, w := range words { // "First Name", "Date of birth", not "a + b"
		if r, _ := utf8.DecodeRuneInString(w); !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return ""
		}
	}
	return fmt.Sprintf("; a field name with a space is written in backquotes: `%s`", name)
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
	case '`':
		text, err := p.raw()
		if err != nil {
			return err
		}
		if err := checkPath(text); err != nil {
			return p.errAt(start, "%v", err)
		}
		e.kind, e.path = srcPath, text
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
		} else if p.s[p.pos] == '`' {
			text, err := p.raw()
			if err != nil {
				return nil, err
			}
			args = append(args, arg{text: text})
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
