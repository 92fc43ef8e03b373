package jsonpath

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestLookup(t *testing.T) {
	var rec map[string]any
	if err := json.Unmarshal([]byte(`{
		"a": {"b": {"c": 1}, "list": [10, {"x": "y"}, [5, 6]]},
		"a.b": "literal",
		"k.with.dots": {"inner": "found"},
		"k": {"with": {"dots": {"inner": "shadowed"}}},
		"x.y": {"z": "str-parent"},
		"x": {"y": {"w": "backtracked"}},
		"arr": [{"n": 0}, {"n": 1}],
		"nil": null,
		"0": "zero-key",
		"": "empty-key"
	}`), &rec); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		want       any
		ok         bool
	}{
		{"top", "nil", nil, true},
		{"nested", "a.b.c", 1.0, true},
		{"literal wins over nesting", "a.b", "literal", true},
		{"longer literal prefix", "k.with.dots.inner", "found", true},
		{"backtrack when literal has no child", "x.y.w", "backtracked", true},
		{"literal then child", "x.y.z", "str-parent", true},
		{"array index", "arr.1.n", 1.0, true},
		{"array of arrays", "a.list.2.1", 6.0, true},
		{"array then map", "a.list.1.x", "y", true},
		{"numeric map key", "0", "zero-key", true},
		{"empty key", "", "empty-key", true},
		{"index out of range", "arr.2.n", nil, false},
		{"negative index", "arr.-1.n", nil, false},
		{"non-numeric index", "arr.first", nil, false},
		{"huge index", "arr.99999999999", nil, false},
		{"through a scalar", "a.b.c.d", nil, false},
		{"missing", "nope", nil, false},
		{"whole array", "arr.0", map[string]any{"n": 0.0}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Lookup(rec, tt.path)
			if ok != tt.ok || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Lookup(%q) = %v, %v; want %v, %v", tt.path, got, ok, tt.want, tt.ok)
			}
		})
	}
	if _, ok := Lookup(nil, "a"); ok {
		t.Fatal("Lookup(nil) found something")
	}
}

func TestStringify(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"nil", nil, ""},
		{"string", "héllo", "héllo"},
		{"integer float", 1.7e9, "1700000000"},
		{"big float", 1e21, "1000000000000000000000"},
		{"epoch ms", 1700000000123.0, "1700000000123"},
		{"fraction", 0.25, "0.25"},
		{"negative", -3.5, "-3.5"},
		{"tiny", 1e-7, "0.0000001"},
		{"json number", json.Number("1.50"), "1.50"},
		{"true", true, "true"},
		{"false", false, "false"},
		{"int64", int64(42), "42"},
		{"int", -7, "-7"},
		{"scalars", []any{"a", 1.0, true, nil}, "a, 1, true, "},
		{"one scalar", []any{"a"}, "a"},
		{"empty array", []any{}, ""},
		{"nested array", []any{[]any{1.0}, 2.0}, "[[1],2]"},
		{"array of maps", []any{map[string]any{"a": "b"}}, `[{"a":"b"}]`},
		{"map sorted, no html escaping", map[string]any{"b": "<&>", "a": 1e9}, `{"a":1000000000,"b":"<&>"}`},
		{"empty map", map[string]any{}, "{}"},
		{"strings", []string{"x", "y"}, "x, y"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Stringify(tt.in); got != tt.want {
				t.Fatalf("Stringify(%#v) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestStringifyNoExponent(t *testing.T) {
	for _, f := range []float64{1e15, 1.7e9, 9.007199254740993e15, 1e100, 123456789.125} {
		if s := Stringify(f); strings.ContainsAny(s, "eE") {
			t.Errorf("Stringify(%g) = %q has an exponent", f, s)
		}
	}
}
