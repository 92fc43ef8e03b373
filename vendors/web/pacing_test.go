package web

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// TestPacingTimesShortWindowsWithOurClock: a Date header counts whole
// seconds, so a window that resets at the next second is timed with our
// clock when it agrees with the server's, and with the server's when not.
func TestPacingTimesShortWindowsWithOurClock(t *testing.T) {
	date := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		now  time.Time // our clock
		wait time.Duration
	}{
		{"our clock agrees: to the millisecond", date.Add(600 * time.Millisecond), 400 * time.Millisecond},
		{"our clock is off: the server's", date.Add(5 * time.Minute), time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{"Date": date.Format(http.TimeFormat), "X-RateLimit-Limit": "20",
				"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": strconv.FormatInt(date.Unix()+1, 10)}
			srv := httptest.NewServer(&script{answers: []answer{{code: 200, header: h, body: "{}"}}})
			defer srv.Close()
			var sl sleeps
			c := client(t, Options{Now: func() time.Time { return tc.now }}, &sl)
			for range 2 {
				if _, err := c.Get(srv.URL); err != nil {
					t.Fatal(err)
				}
			}
			if len(sl.d) != 1 || sl.d[0] != tc.wait {
				t.Errorf("waits %v, want [%s]", sl.d, tc.wait)
			}
		})
	}
}
