package mapping

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// autoLayouts are tried in order by time without a layout; the common
// RFC 3339 comes first so the usual value costs one parse. Go accepts a
// fractional second after "05" even when the layout does not show one.
var autoLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05",
	"2006-01-02",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02 15:04:05Z07:00",
}

// Epoch values must land in years 1..9999, which RFC 3339 can print.
const (
	minEpoch = -62135596800
	maxEpoch = 253402300799
	msAbove  = 1e11 // a larger epoch number is read as milliseconds
)

func formatTime(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format(time.RFC3339)
}

func parseTimeAuto(v string) (string, error) {
	s := strings.TrimSpace(v)
	if s == "" {
		return "", nil
	}
	if t, numeric, err := parseEpoch(s); numeric {
		if err != nil {
			return "", err
		}
		return formatTime(t), nil
	}
	for _, layout := range autoLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return formatTime(t), nil
		}
	}
	return "", fmt.Errorf("cannot parse %s as a time (want RFC 3339, 2006-01-02T15:04:05, 2006-01-02 or epoch seconds/milliseconds)", quoteTrunc(s))
}

func parseTimeLayout(v, layout string) (string, error) {
	s := strings.TrimSpace(v)
	if s == "" {
		return "", nil
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return "", fmt.Errorf("cannot parse %s with layout %q", quoteTrunc(s), layout)
	}
	return formatTime(t), nil
}

// parseEpoch reads [+-]digits[.digits]. numeric is false when s does not
// have that shape (then it is not an epoch value at all).
func parseEpoch(s string) (t time.Time, numeric bool, err error) {
	i := 0
	if s[0] == '-' || s[0] == '+' {
		i++
	}
	digits, frac := 0, false
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !frac && digits > 0:
			frac = true
		default:
			return time.Time{}, false, nil
		}
	}
	if digits == 0 || s[len(s)-1] == '.' {
		return time.Time{}, false, nil
	}
	outOfRange := func() error { return fmt.Errorf("epoch value %s is out of range", quoteTrunc(s)) }
	if !frac {
		n, perr := strconv.ParseInt(s, 10, 64)
		if perr != nil {
			return time.Time{}, true, outOfRange()
		}
		if n > msAbove || n < -msAbove {
			n = floorDiv(n, 1000)
		}
		if n < minEpoch || n > maxEpoch {
			return time.Time{}, true, outOfRange()
		}
		return time.Unix(n, 0), true, nil
	}
	f, perr := strconv.ParseFloat(s, 64)
	if perr != nil {
		return time.Time{}, true, outOfRange()
	}
	if math.Abs(f) > msAbove {
		f /= 1000
	}
	f = math.Floor(f)
	if f < minEpoch || f > maxEpoch {
		return time.Time{}, true, outOfRange()
	}
	return time.Unix(int64(f), 0), true, nil
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// checkLayout rejects a layout that has no date or time element or cannot
// read back what it writes. The sample time differs from Go's reference
// time in every element, so any element changes the output.
func checkLayout(layout string) error {
	sample := time.Date(2017, 11, 28, 21, 37, 49, 123456789, time.UTC)
	out := sample.Format(layout)
	if out == layout {
		return fmt.Errorf("bad layout %q: no date or time element (write Go's reference time, e.g. \"2006-01-02 15:04:05\")", layout)
	}
	if _, err := time.Parse(layout, out); err != nil {
		return fmt.Errorf("bad layout %q: %v", layout, err)
	}
	return nil
}

// parseBool accepts the usual spellings, case-insensitively.
func parseBool(v string) (string, error) {
	s := strings.TrimSpace(v)
	switch {
	case s == "":
		return "", nil
	case len(s) <= 5:
		switch strings.ToLower(s) {
		case "true", "t", "1", "yes", "y", "on":
			return "true", nil
		case "false", "f", "0", "no", "n", "off":
			return "false", nil
		}
	}
	return "", fmt.Errorf("%s is not a boolean (want true/false, yes/no, y/n, t/f, 1/0 or on/off)", quoteTrunc(s))
}
