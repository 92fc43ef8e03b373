package amount

import (
	"strings"
	"testing"
)

func TestParseCanonical(t *testing.T) {
	for _, tt := range []struct{ in, want, err string }{
		{"12345.60", "12345.60", ""},
		{" 12345.60 ", "12345.60", ""},
		{"12345", "12345", ""},
		{"-0.50", "-0.50", ""},
		{"-0.00", "0.00", ""},
		{"007.5", "7.5", ""},
		{"12,345.60", "", "not an amount"},
		{"1.234,56", "", "not an amount"},
		{"1e3", "", "not an amount"},
		{"12345.", "", "not an amount"},
		{".5", "", "not an amount"},
		{"", "", "not an amount"},
	} {
		got, err := Parse(tt.in, "")
		if tt.err == "" && (err != nil || got != tt.want) || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("Parse(%q) = %q, %v; want %q, error %q", tt.in, got, err, tt.want, tt.err)
		}
	}
}
