package registry

import (
	"slices"
	"strings"
	"testing"
)

func TestRegistry(t *testing.T) {
	r := New[int]("things")
	r.Add("b", 2, nil)
	r.Add("a", 1, func(v int) string { return "" })
	if v, ok := r.Get("a"); !ok || v != 1 {
		t.Fatalf("Get(a) = %d, %v", v, ok)
	}
	if _, ok := r.Get("c"); ok {
		t.Fatal("Get(c) found something")
	}
	if got := r.Names(); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("Names = %v", got)
	}
	for _, tc := range []struct {
		name  string
		add   func()
		panic string
	}{
		{"twice", func() { r.Add("a", 3, nil) }, `things: "a" registered twice`},
		{"refused", func() { r.Add("z", 0, func(int) string { return "without a value" }) }, `things: "z" registered without a value`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if p, _ := recover().(string); !strings.Contains(p, tc.panic) {
					t.Fatalf("panic %q, want %q", p, tc.panic)
				}
			}()
			tc.add()
		})
	}
	if _, ok := r.Get("z"); ok {
		t.Fatal("a refused entry was registered")
	}
}
