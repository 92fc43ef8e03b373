package mapping

import (
	"strings"
	"testing"
)

func TestFilterMatch(t *testing.T) {
	rec := decode(t, `{
		"department": "Sales", "level": 5, "ratio": 0.5, "active": true,
		"empty": "", "null": null, "list": [], "obj": {},
		"email": "ada@example.com", "tags": ["a", "b"],
		"org": {"unit.name": "EMEA"}
	}`)
	tests := []struct {
		name, field, op string
		value           any
		want            bool
	}{
		{"eq string", "department", "eq", "Sales", true},
		{"eq is case-sensitive", "department", "eq", "sales", false},
		{"eq int vs float", "level", "eq", int64(5), true},
		{"eq float", "ratio", "eq", 0.5, true},
		{"eq float whole", "level", "eq", 5.0, true},
		{"eq bool", "active", "eq", true, true},
		{"eq bool as string", "active", "eq", "true", true},
		{"eq missing vs empty", "nope", "eq", "", true},
		{"eq missing", "nope", "eq", "Sales", false},
		{"eq dotted key", "org.unit.name", "eq", "EMEA", true},
		{"eq array joined", "tags", "eq", "a, b", true},
		{"ne", "department", "ne", "HR", true},
		{"ne same", "department", "ne", "Sales", false},
		{"ne missing", "nope", "ne", "Sales", true},
		{"in", "department", "in", []any{"HR", "Sales"}, true},
		{"in numbers", "level", "in", []any{int64(4), int64(5)}, true},
		{"in strings slice", "department", "in", []string{"Sales"}, true},
		{"in miss", "department", "in", []any{"HR"}, false},
		{"in missing", "nope", "in", []any{"HR"}, false},
		{"not_in", "department", "not_in", []any{"HR"}, true},
		{"not_in hit", "department", "not_in", []any{"HR", "Sales"}, false},
		{"not_in missing", "nope", "not_in", []any{"HR"}, true},
		{"exists", "department", "exists", true, true},
		{"exists nil means true", "department", "exists", nil, true},
		{"exists empty string", "empty", "exists", true, false},
		{"exists null", "null", "exists", nil, false},
		{"exists empty list", "list", "exists", true, false},
		{"exists empty object", "obj", "exists", true, false},
		{"exists missing", "nope", "exists", true, false},
		{"exists false on missing", "nope", "exists", false, true},
		{"exists false on present", "department", "exists", false, false},
		{"exists false on empty", "empty", "exists", false, true},
		{"regex", "email", "regex", `@example\.com$`, true},
		{"regex unanchored", "email", "regex", `example`, true},
		{"regex miss", "email", "regex", `^bob@`, false},
		{"regex missing field is empty", "nope", "regex", `^$`, true},
		{"regex on number", "level", "regex", `^\d+$`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := NewFilter(tt.field, tt.op, tt.value)
			if err != nil {
				t.Fatalf("NewFilter: %v", err)
			}
			if got := f.Match(rec); got != tt.want {
				t.Fatalf("%s: Match = %v, want %v", f, got, tt.want)
			}
		})
	}
}

func TestNewFilterErrors(t *testing.T) {
	tests := []struct {
		name, field, op string
		value           any
		want            string
	}{
		{"empty field", "", "eq", "x", "filter field: empty path"},
		{"bad field", "a..b", "eq", "x", "filter field"},
		{"unknown op", "a", "like", "x", `unknown op "like"`},
		{"empty op", "a", "", "x", `unknown op ""`},
		{"eq array", "a", "eq", []any{"x"}, "value must be a string, number or bool, got an array"},
		{"eq nil", "a", "eq", nil, "got nothing"},
		{"eq table", "a", "ne", map[string]any{}, "got a table"},
		{"in scalar", "a", "in", "x", "must be an array"},
		{"in empty", "a", "in", []any{}, "empty array"},
		{"not_in empty strings", "a", "not_in", []string{}, "empty array"},
		{"in nested", "a", "in", []any{"x", []any{"y"}}, "item 2 must be a string, number or bool, got an array"},
		{"in nil item", "a", "in", []any{nil}, "item 1"},
		{"exists string", "a", "exists", "yes", "must be true or false, got a string"},
		{"regex number", "a", "regex", int64(1), "must be a pattern string, got a number"},
		{"regex bad", "a", "regex", "(", "bad pattern"},
		{"regex backref", "a", "regex", `(a)\1`, "bad pattern"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := NewFilter(tt.field, tt.op, tt.value)
			if err == nil {
				t.Fatalf("NewFilter = %v, want an error containing %q", f, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewFilter error %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestMatchAll(t *testing.T) {
	rec := map[string]any{"department": "Sales", "email": "a@x.com"}
	mk := func(field, op string, v any) *Filter {
		f, err := NewFilter(field, op, v)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	if !MatchAll(nil, rec) {
		t.Error("no filters must keep the record")
	}
	both := []*Filter{mk("department", "eq", "Sales"), mk("email", "regex", "@x\\.com$")}
	if !MatchAll(both, rec) {
		t.Error("all filters hold, record dropped")
	}
	if MatchAll(append(both, mk("email", "exists", false)), rec) {
		t.Error("one filter fails, record kept")
	}
}

func TestFilterString(t *testing.T) {
	tests := []struct {
		op    string
		value any
		want  string
	}{
		{"eq", int64(5), `f eq "5"`},
		{"not_in", []any{"a", true}, `f not_in ["a", "true"]`},
		{"exists", nil, "f exists true"},
		{"regex", "^a", `f regex "^a"`},
	}
	for _, tt := range tests {
		f, err := NewFilter("f", tt.op, tt.value)
		if err != nil {
			t.Fatal(err)
		}
		if f.String() != tt.want || f.Field() != "f" || f.Op() != tt.op {
			t.Errorf("String() = %q, want %q", f, tt.want)
		}
	}
}
