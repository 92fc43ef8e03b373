package web

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RetryAfter reads a Retry-After value (RFC 9110 §10.2.3): delay seconds
// or an HTTP date, the latter counted from now (the server's Date when
// known). A date in the past is a zero wait; anything else unreadable is
// not a value (ok false).
func RetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseUint(v, 10, 64); err == nil {
		return seconds(n), true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}

// seconds converts without overflowing: absurd values become very long.
func seconds(n uint64) time.Duration {
	if n > math.MaxInt64/uint64(time.Second) {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(n) * time.Second
}

// Quota is what an API announced about its rate limit in one response.
type Quota struct {
	Limit     int           // requests per window; 0 when not announced
	Remaining int           // requests left in the window
	Reset     time.Duration // until the window resets; 0 when not announced
}

// Pause is how long to wait before the next request so as not to be
// refused: nothing while plenty is left (more than a tenth of the limit,
// or more than 5 when the limit is not announced); with few left, the
// time to the reset shared by the requests left; with none, the whole
// time to the reset.
func (q Quota) Pause() time.Duration {
	low := 5
	if q.Limit > 0 {
		low = max(1, q.Limit/10)
	}
	switch {
	case q.Reset <= 0 || q.Remaining > low:
		return 0
	case q.Remaining <= 0:
		return q.Reset
	default:
		return q.Reset / time.Duration(q.Remaining+1)
	}
}

// ParseRateLimit reads the rate-limit headers APIs use:
//
//	X-RateLimit-Limit / -Remaining / -Reset   (GitHub, many others)
//	X-Rate-Limit-Limit / -Remaining / -Reset  (Okta)
//	RateLimit-Limit / -Remaining / -Reset     (IETF httpapi draft up to -06)
//	RateLimit: limit=100, remaining=5, reset=30         (draft -07)
//	RateLimit: "default";r=5;t=30 with RateLimit-Policy: "default";q=100;w=60  (draft -08 and later)
//
// A reset above 10^9 is a Unix time (GitHub, Okta), counted from now;
// smaller values are seconds from now. ok is false unless a remaining
// count was found.
func ParseRateLimit(h http.Header, now time.Time) (q Quota, ok bool) {
	for _, prefix := range []string{"X-RateLimit-", "X-Rate-Limit-", "RateLimit-"} {
		rem, found := firstInt(h.Get(prefix + "Remaining"))
		if !found {
			continue
		}
		q.Remaining = rem
		q.Limit, _ = firstInt(h.Get(prefix + "Limit"))
		if r, found := firstInt(h.Get(prefix + "Reset")); found {
			q.Reset = resetIn(r, now)
		}
		return q, true
	}
	if v := h.Get("RateLimit"); v != "" {
		return parseStructured(v, h.Get("RateLimit-Policy"), now)
	}
	return q, false
}

// parseStructured reads the single-header forms of the IETF draft.
func parseStructured(v, policy string, now time.Time) (q Quota, ok bool) {
	params := func(s string) map[string]string {
		m := map[string]string{}
		for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' }) {
			k, val, found := strings.Cut(strings.TrimSpace(part), "=")
			if found {
				m[strings.ToLower(strings.TrimSpace(k))] = strings.Trim(strings.TrimSpace(val), `"`)
			}
		}
		return m
	}
	m := params(v)
	rem, found := firstInt(m["remaining"])
	if !found {
		rem, found = firstInt(m["r"])
	}
	if !found {
		return q, false
	}
	q.Remaining = rem
	if n, found := firstInt(m["limit"]); found {
		q.Limit = n
	} else if n, found := firstInt(params(policy)["q"]); found {
		q.Limit = n
	}
	if n, found := firstInt(m["reset"]); found {
		q.Reset = resetIn(n, now)
	} else if n, found := firstInt(m["t"]); found {
		q.Reset = resetIn(n, now)
	}
	return q, true
}

func resetIn(n int, now time.Time) time.Duration {
	if n > 1_000_000_000 {
		return max(time.Unix(int64(n), 0).Sub(now), 0)
	}
	return seconds(uint64(max(n, 0)))
}

// firstInt reads the leading non-negative integer of a header value such
// as "100", " 100, 100;w=60" or "5.0"; ok is false when there is none.
func firstInt(s string) (int, bool) {
	s = strings.TrimSpace(s)
	end := 0
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	if end == 0 || end > 18 {
		return 0, false
	}
	n, err := strconv.Atoi(s[:end])
	return n, err == nil
}
