// Package amount reads money amounts as exact decimals. Seed 000's format
// is the canonical one: an optional '-', digits, optionally a '.' and more
// digits; no thousands separator, no exponent (12345.60). Other ways of
// writing an amount are a locale's: "de" 1.234,56, "en" 1,234.56, "fr"
// 1 234,56, "ch" 1'234.56. An amount is never a float: it stays decimal
// text, and sums are exact (Sum).
package amount

import (
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// A locale's separators. group lists every character accepted between
// groups of three digits.
type locale struct {
	name    string
	example string
	group   []string
	point   byte
}

var locales = map[string]locale{
	"":   {"", "12345.60", nil, '.'},
	"de": {"German", "1.234,56", []string{"."}, ','},
	"en": {"English", "1,234.56", []string{","}, '.'},
	"fr": {"French", "1 234,56", []string{" ", "\u00a0", "\u202f"}, ','},
	"ch": {"Swiss", "1'234.56", []string{"'", "\u2019"}, '.'},
}

// Locales lists the locales Parse knows, "" (the canonical format) first.
var Locales = []string{"", "de", "en", "fr", "ch"}

// ErrLocale is Parse's error for a locale it does not know.
var ErrLocale = errors.New("unknown amount locale")

// Known reports whether Parse knows the locale.
func Known(loc string) bool {
	_, ok := locales[loc]
	return ok
}

// Parse reads s (surrounding spaces ignored) as an amount written the
// locale's way and returns it in the canonical format, keeping every
// decimal digit as written ("1.234,50" → "1234.50"); leading zeros and the
// sign of a zero are dropped. The error quotes s and says what was expected.
func Parse(s, loc string) (string, error) {
	l, ok := locales[loc]
	if !ok {
		return "", fmt.Errorf("%w %q (known: de, en, fr, ch, or none for 12345.60)", ErrLocale, loc)
	}
	out, ok := l.parse(strings.TrimSpace(s))
	if !ok {
		if l.name == "" {
			hint := ""
			if g := guess(strings.TrimSpace(s)); g != "" {
				hint = fmt.Sprintf(": map it with amount(%q)", g)
			}
			return "", fmt.Errorf("%q is not an amount (want digits with a decimal point and no thousands separator, e.g. 12345.60)%s", s, hint)
		}
		return "", fmt.Errorf("%q is not an amount written the %s way (e.g. %s)", s, l.name, l.example)
	}
	return out, nil
}

// guess names the one locale that reads s, "" when none or several do
// (1,234 is 1234 in English and 1.234 in German).
func guess(s string) string {
	found := ""
	for _, loc := range Locales[1:] {
		if _, ok := locales[loc].parse(s); ok {
			if found != "" {
				return ""
			}
			found = loc
		}
	}
	return found
}

func (l locale) parse(s string) (string, bool) {
	neg := false
	if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	}
	whole, frac, hasPoint := strings.Cut(s, string(l.point))
	if hasPoint && (frac == "" || !digits(frac)) {
		return "", false
	}
	whole, ok := l.ungroup(whole)
	if !ok {
		return "", false
	}
	whole = strings.TrimLeft(whole, "0")
	if whole == "" {
		whole = "0"
	}
	var b strings.Builder
	if neg && (whole != "0" || strings.Trim(frac, "0") != "") {
		b.WriteByte('-')
	}
	b.WriteString(whole)
	if hasPoint {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String(), true
}

// ungroup checks the whole part: plain digits, or (where the locale has a
// separator) groups of three after a first group of one to three digits,
// with one separator throughout.
func (l locale) ungroup(s string) (string, bool) {
	if digits(s) {
		return s, true
	}
	for _, sep := range l.group {
		if !strings.Contains(s, sep) {
			continue
		}
		parts := strings.Split(s, sep)
		if len(parts[0]) > 3 || !digits(parts[0]) {
			return "", false
		}
		for _, p := range parts[1:] {
			if len(p) != 3 || !digits(p) {
				return "", false
			}
		}
		return strings.Join(parts, ""), true
	}
	return "", false
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

// Sum adds amounts exactly. Its text has as many decimals as the most
// precise amount it added (12345.60 + 10 = 12355.60; 10.5 + 1.25 = 11.75).
// The zero Sum is 0.
type Sum struct {
	r     big.Rat
	scale int
}

// Add adds a canonical amount (Parse's output); anything else is an error
// that quotes it, and the sum is unchanged.
func (s *Sum) Add(canonical string) error {
	c := strings.TrimSpace(canonical)
	if _, ok := locales[""].parse(c); !ok {
		return fmt.Errorf("%q is not a decimal amount (want digits and a period, such as 12345.60)", canonical)
	}
	r, ok := new(big.Rat).SetString(c)
	if !ok {
		return fmt.Errorf("%q is not a decimal amount", canonical)
	}
	if _, frac, found := strings.Cut(c, "."); found {
		s.scale = max(s.scale, len(frac))
	}
	s.r.Add(&s.r, r)
	return nil
}

// String is the sum with its decimals: exact, since no amount it added
// had more.
func (s *Sum) String() string { return s.r.FloatString(s.scale) }
