package report

import (
	"fmt"
	"math/big"
	"regexp"
	"strings"
)

// decimal is an exact decimal number: v / 10^scale. Amounts are summed
// this way, never as floats (seed 000: "12345.60").
type decimal struct {
	v     *big.Int
	scale int
}

var decimalText = regexp.MustCompile(`^[+-]?[0-9]+(\.[0-9]+)?$`)

// parseDecimal reads an amount as the store keeps it: digits, an
// optional sign and an optional "." with the decimals; no thousands
// separator, no exponent.
func parseDecimal(s string) (decimal, error) {
	s = strings.TrimSpace(s)
	if !decimalText.MatchString(s) {
		return decimal{}, fmt.Errorf("%q is not a decimal amount (want digits and a period, such as 12345.60)", s)
	}
	scale := 0
	if i := strings.IndexByte(s, '.'); i >= 0 {
		scale = len(s) - i - 1
		s = s[:i] + s[i+1:]
	}
	v, ok := new(big.Int).SetString(strings.TrimPrefix(s, "+"), 10)
	if !ok {
		return decimal{}, fmt.Errorf("%q is not a decimal amount", s)
	}
	return decimal{v: v, scale: scale}, nil
}

// rescale returns d's value at a scale at least d's.
func (d decimal) rescale(scale int) *big.Int {
	if scale == d.scale {
		return d.v
	}
	f := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale-d.scale)), nil)
	return f.Mul(f, d.v)
}

// add returns d + e, at the larger of their scales (10.5 + 1.25 = 11.75;
// 12345.60 + 10.00 = 12355.60).
func (d decimal) add(e decimal) decimal {
	if d.v == nil {
		return e
	}
	scale := max(d.scale, e.scale)
	return decimal{v: new(big.Int).Add(d.rescale(scale), e.rescale(scale)), scale: scale}
}

// String renders d with its scale's decimals.
func (d decimal) String() string {
	if d.v == nil {
		return "0"
	}
	neg := d.v.Sign() < 0
	digits := new(big.Int).Abs(d.v).String()
	if d.scale > 0 {
		if len(digits) <= d.scale {
			digits = strings.Repeat("0", d.scale-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-d.scale] + "." + digits[len(digits)-d.scale:]
	}
	if neg {
		return "-" + digits
	}
	return digits
}
