package mapping

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/agentsync/agent/internal/amount"
	"github.com/agentsync/agent/internal/jsonpath"
	"github.com/agentsync/agent/internal/plural"
)

// transformSpec describes one transform: how many args it takes and how to
// compile them into an applyFunc (all validation happens there, at Parse).
type transformSpec struct {
	min, max int // max < 0: no limit
	build    func(args []arg) (applyFunc, error)
}

func (s transformSpec) checkCount(n int) error {
	switch {
	case s.min == s.max && n != s.min:
		switch s.min {
		case 0:
			return fmt.Errorf("takes no arguments, got %d", n)
		case 1:
			return fmt.Errorf("takes 1 argument, got %d", n)
		}
		return fmt.Errorf("takes %d arguments, got %d", s.min, n)
	case n < s.min:
		return fmt.Errorf("takes at least %s, got %d", plural.Count(s.min, "argument", "arguments"), n)
	case s.max >= 0 && n > s.max:
		return fmt.Errorf("takes at most %s, got %d", plural.Count(s.max, "argument", "arguments"), n)
	}
	return nil
}

// transforms is the table of known transforms.
var transforms = map[string]transformSpec{
	"lower":       {0, 0, simple(strings.ToLower)},
	"upper":       {0, 0, simple(strings.ToUpper)},
	"trim":        {0, 0, simple(strings.TrimSpace)},
	"time":        {0, 1, buildTime},
	"bool":        {0, 0, buildBool},
	"amount":      {0, 1, buildAmount},
	"default":     {1, 1, buildDefault},
	"split_name":  {1, 1, buildSplitName},
	"concat":      {1, -1, buildConcat},
	"const":       {1, 1, buildConst},
	"replace":     {2, 2, buildReplace},
	"prefix":      {1, 1, buildAffix(true)},
	"suffix":      {1, 1, buildAffix(false)},
	"trim_prefix": {1, 1, buildTrimAffix(strings.TrimPrefix)},
	"trim_suffix": {1, 1, buildTrimAffix(strings.TrimSuffix)},
}

// transformNames lists the known transforms for error messages.
var transformNames = func() []string {
	names := make([]string, 0, len(transforms))
	for n := range transforms {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}()

func simple(f func(string) string) func([]arg) (applyFunc, error) {
	return func([]arg) (applyFunc, error) {
		return func(v string, _ map[string]any) (string, error) { return f(v), nil }, nil
	}
}

func buildTime(args []arg) (applyFunc, error) {
	if len(args) == 0 {
		return func(v string, _ map[string]any) (string, error) { return parseTimeAuto(v) }, nil
	}
	layout := args[0].text
	if err := checkLayout(layout); err != nil {
		return nil, err
	}
	return func(v string, _ map[string]any) (string, error) { return parseTimeLayout(v, layout) }, nil
}

func buildBool([]arg) (applyFunc, error) {
	return func(v string, _ map[string]any) (string, error) { return parseBool(v) }, nil
}

// buildAmount reads an amount written the way of the locale argument
// ("de" 1.234,56, "en" 1,234.56, "fr" 1 234,56, "ch" 1'234.56; none: seed
// 000's 12345.60) and gives it in seed 000's format, digits kept exactly.
func buildAmount(args []arg) (applyFunc, error) {
	loc := ""
	if len(args) == 1 {
		loc = args[0].text
		if loc == "" || !amount.Known(loc) {
			return nil, fmt.Errorf("unknown locale %s (known: de, en, fr, ch; none for 12345.60)", quoteTrunc(loc))
		}
	}
	return func(v string, _ map[string]any) (string, error) {
		if strings.TrimSpace(v) == "" {
			return "", nil
		}
		return amount.Parse(v, loc)
	}, nil
}

func buildDefault(args []arg) (applyFunc, error) {
	x := args[0].text
	return func(v string, _ map[string]any) (string, error) {
		if v == "" {
			return x, nil
		}
		return v, nil
	}, nil
}

func buildConst(args []arg) (applyFunc, error) {
	x := args[0].text
	return func(string, map[string]any) (string, error) { return x, nil }, nil
}

func buildSplitName(args []arg) (applyFunc, error) {
	var first bool
	switch args[0].text {
	case "first":
		first = true
	case "last":
	default:
		return nil, fmt.Errorf("argument must be first or last, got %s", quoteTrunc(args[0].text))
	}
	return func(v string, _ map[string]any) (string, error) {
		f, l := splitName(v)
		if first {
			return f, nil
		}
		return l, nil
	}, nil
}

// splitName reads "First Middle Last" (first word / the rest) and
// "Last, First Middle" (before / after the comma).
func splitName(v string) (first, last string) {
	if before, after, ok := strings.Cut(v, ","); ok {
		return joinFields(after), joinFields(before)
	}
	s := strings.TrimSpace(v)
	i := strings.IndexFunc(s, unicode.IsSpace)
	if i < 0 {
		return s, ""
	}
	return s[:i], joinFields(s[i:])
}

// joinFields trims and collapses inner whitespace to single spaces; it
// returns a substring (no allocation) when there is nothing to collapse.
func joinFields(s string) string {
	s = strings.TrimSpace(s)
	prevSpace := false
	for _, r := range s {
		sp := unicode.IsSpace(r)
		if sp && (prevSpace || r != ' ') {
			return strings.Join(strings.Fields(s), " ")
		}
		prevSpace = sp
	}
	return s
}

func buildConcat(args []arg) (applyFunc, error) {
	parts := make([]tmplPart, len(args))
	for i, a := range args {
		if a.quoted {
			parts[i] = tmplPart{text: a.text}
			continue
		}
		if strings.HasPrefix(a.text, "$") {
			return nil, fmt.Errorf("argument %d: variables are only allowed as the source; quote it for a literal", i+1)
		}
		if err := checkPath(a.text); err != nil {
			return nil, fmt.Errorf("argument %d: %v", i+1, err)
		}
		parts[i] = tmplPart{text: a.text, isPath: true}
	}
	return func(v string, rec map[string]any) (string, error) {
		var b strings.Builder
		b.WriteString(v)
		for _, p := range parts {
			if !p.isPath {
				b.WriteString(p.text)
			} else if x, ok := jsonpath.Lookup(rec, p.text); ok {
				b.WriteString(jsonpath.Stringify(x))
			}
		}
		return b.String(), nil
	}, nil
}

func buildReplace(args []arg) (applyFunc, error) {
	old, nw := args[0].text, args[1].text
	if old == "" {
		return nil, errors.New("the text to replace must not be empty")
	}
	return func(v string, _ map[string]any) (string, error) {
		return strings.ReplaceAll(v, old, nw), nil
	}, nil
}

// buildAffix adds x to a non-empty value only: an empty value means "no
// data" and must stay empty (so default() and mandatory checks still work).
func buildAffix(front bool) func([]arg) (applyFunc, error) {
	return func(args []arg) (applyFunc, error) {
		x := args[0].text
		return func(v string, _ map[string]any) (string, error) {
			switch {
			case v == "":
				return "", nil
			case front:
				return x + v, nil
			}
			return v + x, nil
		}, nil
	}
}

func buildTrimAffix(trim func(s, x string) string) func([]arg) (applyFunc, error) {
	return func(args []arg) (applyFunc, error) {
		x := args[0].text
		return func(v string, _ map[string]any) (string, error) { return trim(v, x), nil }, nil
	}
}
