package mapping

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/agentsync/agent/internal/jsonpath"
)

type sourceKind uint8

const (
	srcPath sourceKind = iota
	srcCredential
	srcSyncTime
	srcTemplate
)

const (
	varCredential = "$credential_name"
	varSyncTime   = "$sync_time"
)

// Expr is a parsed mapping expression. Everything the evaluation needs is
// worked out by Parse, so Eval does no parsing and no regexp.
type Expr struct {
	kind  sourceKind
	path  string     // srcPath
	tmpl  string     // srcTemplate: the unquoted template text
	parts []tmplPart // srcTemplate, compiled
	steps []step
	text  string // canonical form
}

// tmplPart is a literal run or a placeholder path of a template.
type tmplPart struct {
	text   string
	isPath bool
}

// arg remembers whether it was quoted: concat reads a bare arg as a path.
type arg struct {
	text   string
	quoted bool
}

func (a arg) String() string {
	if a.quoted {
		return strconv.Quote(a.text)
	}
	return name(a.text, false)
}

// name writes a path or bare argument as a word when it reads back as
// one, else in backquotes (`First Name`). A source path must also not read
// as a variable ($…) or an unquoted template ({…}).
func name(s string, source bool) string {
	bare := s != "" && (!source || !strings.HasPrefix(s, "$") && !strings.HasPrefix(s, "{"))
	for i := 0; bare && i < len(s); i++ {
		bare = isWord(s[i])
	}
	if bare {
		return s
	}
	return "`" + s + "`"
}

// applyFunc is one compiled transform.
type applyFunc func(v string, rec map[string]any) (string, error)

type step struct {
	name string
	args []arg
	fn   applyFunc
}

// String returns the canonical text; Parse(e.String()) gives the same Expr.
func (e *Expr) String() string { return e.text }

// Source returns the source path, "$credential_name" or "$sync_time", or ""
// when the source is a template (a constant is a template without
// placeholders).
func (e *Expr) Source() string {
	switch e.kind {
	case srcPath:
		return e.path
	case srcCredential:
		return varCredential
	case srcSyncTime:
		return varSyncTime
	}
	return ""
}

// Tracking reports whether the source is $credential_name or $sync_time:
// such values come from the runs, not the record.
func (e *Expr) Tracking() bool {
	return e.kind == srcCredential || e.kind == srcSyncTime
}

// Eval evaluates the expression against one record. A missing or null source
// is ""; an error names the transform and the bad value.
func (e *Expr) Eval(rec map[string]any, env Env) (string, error) {
	var v string
	switch e.kind {
	case srcPath:
		if x, ok := jsonpath.Lookup(rec, e.path); ok {
			v = jsonpath.Stringify(x)
		}
	case srcCredential:
		v = env.CredentialName
	case srcSyncTime:
		if !env.SyncTime.IsZero() {
			v = env.SyncTime.UTC().Format(time.RFC3339)
		}
	case srcTemplate:
		v = render(e.parts, rec)
	}
	for i := range e.steps {
		st := &e.steps[i]
		nv, err := st.fn(v, rec)
		if err != nil {
			return "", fmt.Errorf("transform %q: %w", st.name, err)
		}
		v = nv
	}
	return v, nil
}

func render(parts []tmplPart, rec map[string]any) string {
	if len(parts) == 1 && !parts[0].isPath {
		return parts[0].text
	}
	var b strings.Builder
	for _, p := range parts {
		if !p.isPath {
			b.WriteString(p.text)
			continue
		}
		if x, ok := jsonpath.Lookup(rec, p.text); ok {
			b.WriteString(jsonpath.Stringify(x))
		}
	}
	return b.String()
}

// canonical builds the text String returns: " | " between steps, ", "
// between args, no "()" for a transform without args.
func (e *Expr) canonical() string {
	var b strings.Builder
	switch e.kind {
	case srcPath:
		b.WriteString(name(e.path, true))
	case srcCredential:
		b.WriteString(varCredential)
	case srcSyncTime:
		b.WriteString(varSyncTime)
	case srcTemplate:
		b.WriteString(strconv.Quote(e.tmpl))
	}
	for _, st := range e.steps {
		b.WriteString(" | ")
		b.WriteString(st.name)
		if len(st.args) == 0 {
			continue
		}
		b.WriteByte('(')
		for i, a := range st.args {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(a.String())
		}
		b.WriteByte(')')
	}
	return b.String()
}

// quoteTrunc quotes a value for an error message, cut so that a huge field
// does not flood the run report.
func quoteTrunc(s string) string {
	const max = 64
	if len(s) > max {
		return strconv.Quote(s[:max-3]) + "..."
	}
	return strconv.Quote(s)
}
