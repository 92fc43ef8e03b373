package mapping

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/agentsync/agent/internal/jsonpath"
)

// Filter ops.
const (
	OpEq     = "eq"
	OpNe     = "ne"
	OpIn     = "in"
	OpNotIn  = "not_in"
	OpExists = "exists"
	OpRegex  = "regex"
)

// Filter is one [[integration.filter]] entry; a record is kept only when
// every filter matches. Values are compared as jsonpath.Stringify renders
// them, so the TOML 5 matches the JSON 5.0 and a missing field compares
// as "".
type Filter struct {
	field string
	op    string
	want  string              // eq, ne
	set   map[string]struct{} // in, not_in
	list  []string            // in, not_in, for String
	exist bool                // exists
	re    *regexp.Regexp      // regex
}

// NewFilter validates and compiles a filter. value is what the TOML decoder
// gives: eq/ne take a string, number or bool; in/not_in a non-empty array of
// those; exists a bool (nil means true: present and non-empty); regex an
// RE2 pattern string, matched unanchored.
func NewFilter(field, op string, value any) (*Filter, error) {
	if err := checkPath(field); err != nil {
		return nil, fmt.Errorf("filter field: %v", err)
	}
	f := &Filter{field: field, op: op}
	switch op {
	case OpEq, OpNe:
		s, ok := scalar(value)
		if !ok {
			return nil, fmt.Errorf("filter %q: op %q: value must be a string, number or bool, got %s", field, op, typeName(value))
		}
		f.want = s
	case OpIn, OpNotIn:
		list, err := scalarList(value)
		if err != nil {
			return nil, fmt.Errorf("filter %q: op %q: value %v", field, op, err)
		}
		f.list = list
		f.set = make(map[string]struct{}, len(list))
		for _, s := range list {
			f.set[s] = struct{}{}
		}
	case OpExists:
		switch v := value.(type) {
		case nil:
			f.exist = true
		case bool:
			f.exist = v
		default:
			return nil, fmt.Errorf("filter %q: op %q: value must be true or false, got %s", field, op, typeName(value))
		}
	case OpRegex:
		s, ok := value.(string)
		if !ok {
			return nil, fmt.Errorf("filter %q: op %q: value must be a pattern string, got %s", field, op, typeName(value))
		}
		re, err := regexp.Compile(s)
		if err != nil {
			return nil, fmt.Errorf("filter %q: op %q: bad pattern: %v", field, op, err)
		}
		f.re = re
	default:
		return nil, fmt.Errorf("filter %q: unknown op %q (known: eq, ne, in, not_in, exists, regex)", field, op)
	}
	return f, nil
}

// scalar renders a string, number or bool filter value.
func scalar(v any) (string, bool) {
	switch v.(type) {
	case string, bool, float64, float32, int, int64, int32, uint64, json.Number:
		return jsonpath.Stringify(v), true
	}
	return "", false
}

func scalarList(v any) ([]string, error) {
	var items []any
	switch x := v.(type) {
	case []any:
		items = x
	case []string:
		if len(x) == 0 {
			return nil, fmt.Errorf("must not be an empty array")
		}
		return append([]string(nil), x...), nil
	default:
		return nil, fmt.Errorf("must be an array of strings, numbers or bools, got %s", typeName(v))
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("must not be an empty array")
	}
	out := make([]string, len(items))
	for i, it := range items {
		s, ok := scalar(it)
		if !ok {
			return nil, fmt.Errorf("item %d must be a string, number or bool, got %s", i+1, typeName(it))
		}
		out[i] = s
	}
	return out, nil
}

// typeName names a decoded TOML/JSON value's type for error messages.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "nothing"
	case string:
		return "a string"
	case bool:
		return "a bool"
	case float64, float32, int, int64, int32, uint64, json.Number:
		return "a number"
	case []any, []string:
		return "an array"
	case map[string]any:
		return "a table"
	}
	return fmt.Sprintf("%T", v)
}

// Field returns the filter's path.
func (f *Filter) Field() string { return f.field }

// Op returns the filter's op.
func (f *Filter) Op() string { return f.op }

// String renders the filter for logs and `agent validate`.
func (f *Filter) String() string {
	var v string
	switch f.op {
	case OpEq, OpNe:
		v = strconv.Quote(f.want)
	case OpIn, OpNotIn:
		q := make([]string, len(f.list))
		for i, s := range f.list {
			q[i] = strconv.Quote(s)
		}
		v = "[" + strings.Join(q, ", ") + "]"
	case OpExists:
		v = strconv.FormatBool(f.exist)
	case OpRegex:
		v = strconv.Quote(f.re.String())
	}
	return f.field + " " + f.op + " " + v
}

// Match reports whether the record passes the filter.
func (f *Filter) Match(rec map[string]any) bool {
	v, ok := jsonpath.Lookup(rec, f.field)
	if f.op == OpExists {
		return (ok && !isEmpty(v)) == f.exist
	}
	s := jsonpath.Stringify(v)
	switch f.op {
	case OpEq:
		return s == f.want
	case OpNe:
		return s != f.want
	case OpIn:
		_, in := f.set[s]
		return in
	case OpNotIn:
		_, in := f.set[s]
		return !in
	case OpRegex:
		return f.re.MatchString(s)
	}
	return false
}

// MatchAll reports whether every filter matches (true for no filters).
func MatchAll(filters []*Filter, rec map[string]any) bool {
	for _, f := range filters {
		if !f.Match(rec) {
			return false
		}
	}
	return true
}
