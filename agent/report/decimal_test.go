package report

import "testing"

func TestDecimalSums(t *testing.T) {
	tests := []struct {
		in   []string
		want string
	}{
		{[]string{"1200.50", "99.99"}, "1300.49"},
		{[]string{"0.10", "0.20"}, "0.30"}, // 0.30000000000000004 as floats
		{[]string{"12345.60", "10"}, "12355.60"},
		{[]string{"10.5", "1.25"}, "11.75"},
		{[]string{"-5.00", "2.50"}, "-2.50"},
		{[]string{"0.05", "-0.10"}, "-0.05"},
		{[]string{"99999999999999999999.99", "0.01"}, "100000000000000000000.00"},
		{[]string{"+7"}, "7"},
	}
	for _, tc := range tests {
		var sum decimal
		for _, s := range tc.in {
			d, err := parseDecimal(s)
			if err != nil {
				t.Fatal(err)
			}
			sum = sum.add(d)
		}
		if got := sum.String(); got != tc.want {
			t.Errorf("sum %v = %s, want %s", tc.in, got, tc.want)
		}
	}
	for _, bad := range []string{"", "1.234,56", "1,234.56", "1e3", "12.", ".5", "EUR 10", "NaN"} {
		if _, err := parseDecimal(bad); err == nil {
			t.Errorf("parseDecimal(%q) accepted it", bad)
		}
	}
}
