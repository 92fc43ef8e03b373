package amount

import (
	"errors"
	"math/big"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in, loc, want string
		err           string // a part of the error; "" = no error
	}{
		{"12345.60", "", "12345.60", ""},
		{" 12345.60 ", "", "12345.60", ""},
		{"12345", "", "12345", ""},
		{"-0.50", "", "-0.50", ""},
		{"-0.00", "", "0.00", ""},
		{"007.5", "", "7.5", ""},
		{"0", "", "0", ""},
		{"12,345.60", "", "", "not an amount (want digits with a decimal point and no thousands separator"},
		{"1.234,56", "", "", `"1.234,56" is not an amount (want digits with a decimal point and no thousands separator, e.g. 12345.60): map it with amount("de")`},
		{"1,234", "", "", "e.g. 12345.60)"}, // English or German: no hint
		{"1 234,50", "", "", `map it with amount("fr")`},
		{"1e3", "", "", "not an amount"},
		{"12345.", "", "", "not an amount"},
		{".5", "", "", "not an amount"},
		{"+5", "", "", "not an amount"},
		{"--5", "", "", "not an amount"},
		{"", "", "", "not an amount"},
		{"1.2.3", "", "", "not an amount"},
		{"1.234,56", "de", "1234.56", ""},
		{"1.234.567,8", "de", "1234567.8", ""},
		{"1234,56", "de", "1234.56", ""},
		{"-1.234", "de", "-1234", ""},
		{"12.34,5", "de", "", `"12.34,5" is not an amount written the German way (e.g. 1.234,56)`},
		{"1,234.56", "de", "", "not an amount written the German way"},
		{"1234.56", "de", "", "not an amount written the German way"},
		{"1,234.56", "en", "1234.56", ""},
		{"1,234", "en", "1234", ""},
		{"1,23", "en", "", "the English way"},
		{"1 234,56", "fr", "1234.56", ""},
		{"1\u00a0234,56", "fr", "1234.56", ""},
		{"1\u202f234\u202f567,00", "fr", "1234567.00", ""},
		{"1'234.56", "ch", "1234.56", ""},
		{"1\u2019234.56", "ch", "1234.56", ""},
		{"1'234'56", "ch", "", "the Swiss way"},
		{"1.00", "xx", "", "unknown amount locale"},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in, tt.loc)
		if tt.err == "" {
			if err != nil || got != tt.want {
				t.Errorf("Parse(%q, %q) = %q, %v; want %q", tt.in, tt.loc, got, err, tt.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("Parse(%q, %q) = %q, %v; want an error containing %q", tt.in, tt.loc, got, err, tt.err)
		}
	}
	if _, err := Parse("1", "xx"); !errors.Is(err, ErrLocale) {
		t.Errorf("an unknown locale's error %v is not ErrLocale", err)
	}
}

func TestSum(t *testing.T) {
	tests := []struct {
		in   []string
		want string
	}{
		{nil, "0"},
		{[]string{"1200.50", "99.99"}, "1300.49"},
		{[]string{"0.10", "0.20"}, "0.30"}, // 0.30000000000000004 as floats
		{[]string{"12345.60", "10"}, "12355.60"},
		{[]string{"10.5", "1.25"}, "11.75"},
		{[]string{"-5.00", "2.50"}, "-2.50"},
		{[]string{"0.05", "-0.10"}, "-0.05"},
		{[]string{"99999999999999999999.99", "0.01"}, "100000000000000000000.00"},
		{[]string{" 7 "}, "7"},
	}
	for _, tc := range tests {
		var sum Sum
		for _, s := range tc.in {
			if err := sum.Add(s); err != nil {
				t.Fatal(err)
			}
		}
		if got := sum.String(); got != tc.want {
			t.Errorf("sum %v = %s, want %s", tc.in, got, tc.want)
		}
	}
	for _, bad := range []string{"", "1.234,56", "1,234.56", "1e3", "12.", ".5", "+7", "EUR 10", "NaN"} {
		var sum Sum
		if err := sum.Add(bad); err == nil || !strings.Contains(err.Error(), "not a decimal amount") {
			t.Errorf("Add(%q) = %v, want an error", bad, err)
		}
		if sum.String() != "0" {
			t.Errorf("Add(%q) changed the sum to %s", bad, sum.String())
		}
	}
}

// FuzzParse: whatever the input and locale, Parse either refuses it or
// returns a canonical amount that parses to itself, equal as a number to
// the input with its separators taken out.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"12345.60", "1.234,56", "1,234.56", "1 234,56", "1'234.56", "-0.0", "007", "1e3", ""} {
		for _, loc := range Locales {
			f.Add(s, loc)
		}
	}
	f.Fuzz(func(t *testing.T, s, loc string) {
		got, err := Parse(s, loc)
		if err != nil {
			if !strings.Contains(err.Error(), "amount") {
				t.Fatalf("Parse(%q, %q): error %q does not say amount", s, loc, err)
			}
			return
		}
		again, err := Parse(got, "")
		if err != nil || again != got {
			t.Fatalf("Parse(%q, %q) = %q, which reparses as %q, %v", s, loc, got, again, err)
		}
		var sum Sum
		if err := sum.Add(got); err != nil {
			t.Fatalf("Sum.Add(%q): %v", got, err)
		}
		r := &sum.r
		l := locales[loc]
		plain := strings.TrimSpace(s)
		for _, g := range l.group {
			plain = strings.ReplaceAll(plain, g, "")
		}
		plain = strings.Replace(plain, string(l.point), ".", 1)
		want, ok := new(big.Rat).SetString(plain)
		if !ok || want.Cmp(r) != 0 {
			t.Fatalf("Parse(%q, %q) = %q, not the number %q", s, loc, got, plain)
		}
	})
}
