// Package amount reads money amounts as exact decimals in seed 000's
// format: an optional '-', digits, optionally a '.' and more digits; no
// thousands separator, no exponent (12345.60).
//
// This is the kinds branch's stand-in with Parse's signature; the package
// on main (with the locales) replaces it.
package amount

import (
	"fmt"
	"strings"
)

// Parse reads s (surrounding spaces ignored) as an amount and returns it
// in the canonical format, keeping every decimal digit as written;
// leading zeros and the sign of a zero are dropped. Only the canonical
// format (loc "") is known here.
func Parse(s, loc string) (string, error) {
	if loc != "" {
		return "", fmt.Errorf("unknown amount locale %q", loc)
	}
	t := strings.TrimSpace(s)
	neg := strings.HasPrefix(t, "-")
	if neg {
		t = t[1:]
	}
	whole, frac, hasPoint := strings.Cut(t, ".")
	if !digits(whole) || (hasPoint && !digits(frac)) {
		return "", fmt.Errorf("%q is not an amount (want digits with a decimal point and no thousands separator, e.g. 12345.60)", s)
	}
	whole = strings.TrimLeft(whole, "0")
	if whole == "" {
		whole = "0"
	}
	out := whole
	if hasPoint {
		out += "." + frac
	}
	if neg && strings.Trim(out, "0.") != "" {
		out = "-" + out
	}
	return out, nil
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
