package engine

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

func TestCanonicalRoundTrips(t *testing.T) {
	tests := []map[string]string{
		{},
		{"email": "a@example.com", "full_name": "Ada"},
		{"b": "quote \" backslash \\ newline \n tab \t cr \r bell \a", "a": "<html> & ünïcödé 日本"},
		{"bad": "\xff\xfe invalid utf-8", "custom.x": "\u2028"},
	}
	for _, fields := range tests {
		got := canonical(fields, nil)
		var back map[string]string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("canonical(%q) = %s: not JSON: %v", fields, got, err)
		}
		want, _ := json.Marshal(fields)
		var wantBack map[string]string
		json.Unmarshal(want, &wantBack)
		if len(back) != len(wantBack) {
			t.Fatalf("round trip of %q = %q", fields, back)
		}
		for k, v := range wantBack {
			if back[k] != v {
				t.Errorf("key %q: got %q, want %q (as encoding/json reads it back)", k, back[k], v)
			}
		}
	}
}

func FuzzCanonical(f *testing.F) {
	f.Add("k", "v", "k2", "\x00\"\\")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		if !utf8.ValidString(k1) || !utf8.ValidString(k2) {
			t.Skip("keys are target names, identifiers checked by the config")
		}
		fields := map[string]string{k1: v1, k2: v2}
		got := canonical(fields, nil)
		var back map[string]string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("not JSON: %s: %v", got, err)
		}
		want, _ := json.Marshal(fields)
		var wantBack map[string]string
		json.Unmarshal(want, &wantBack)
		for k, v := range wantBack {
			if back[k] != v {
				t.Fatalf("key %q: got %q, want %q", k, back[k], v)
			}
		}
		// Re-encoding what was read back must give the same text, or a
		// record whose stored value carries over would look changed.
		if again := canonical(back, nil); string(again) != string(got) {
			t.Fatalf("unstable: %s then %s", got, again)
		}
	})
}
