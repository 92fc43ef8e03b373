package web

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// Seeds live in testdata/fuzz/<Target>/; run one with
// go test -run='^$' -fuzz=FuzzNextLink -fuzztime=30s ./vendors/web/

func FuzzNextLink(f *testing.F) {
	f.Add(`<https://h/a?page=2>; rel="next", <https://h/a?page=9>; rel="last"`)
	f.Fuzz(func(t *testing.T, v string) {
		got := NextLink([]string{v})
		if got != "" && !strings.Contains(v, got) {
			t.Fatalf("NextLink(%q) = %q, which is not in the header", v, got)
		}
	})
}

func FuzzRetryAfter(f *testing.F) {
	f.Add("120")
	f.Add("Fri, 01 May 2026 12:00:30 GMT")
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := RetryAfter(v, now)
		if d < 0 || !ok && d != 0 {
			t.Fatalf("RetryAfter(%q) = %s, %v", v, d, ok)
		}
	})
}

func FuzzParseRateLimit(f *testing.F) {
	f.Add("100", "3", "1777636830", "")
	f.Add("", "", "", `limit=100, remaining=0, reset=9`)
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, limit, remaining, reset, structured string) {
		for _, prefix := range []string{"X-RateLimit-", "X-Rate-Limit-", "RateLimit-"} {
			h := http.Header{}
			h.Set(prefix+"Limit", limit)
			h.Set(prefix+"Remaining", remaining)
			h.Set(prefix+"Reset", reset)
			h.Set("RateLimit", structured)
			q, ok := ParseRateLimit(h, now)
			if p := q.Pause(); p < 0 || !ok && p != 0 && q != (Quota{}) {
				t.Fatalf("%+v (ok %v) pauses %s", q, ok, p)
			}
			if q.Remaining < 0 || q.Limit < 0 || q.Reset < 0 {
				t.Fatalf("negative quota %+v", q)
			}
		}
	})
}

func FuzzParseJSON(f *testing.F) {
	f.Add([]byte(`{"data":[{"id":1,"email":"a@b.c"}],"has_more":false}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		v, err := ParseJSON(body)
		if err == nil && v == nil && strings.TrimSpace(string(body)) != "null" {
			t.Fatalf("ParseJSON(%q) = nil without an error", body)
		}
	})
}
