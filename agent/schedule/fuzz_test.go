package schedule

import (
	"testing"
	"time"
)

// FuzzParse checks that Parse never panics, that what it accepts prints as a
// spelling it accepts again unchanged, and that Next moves forward.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"daily 23:00", "every 6h", "cron 0 */6 * * *", "manual", "cron @hourly"} {
		f.Add(s)
	}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		f.Fatal(err)
	}
	t0 := time.Date(2025, 11, 2, 5, 17, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, spec string) {
		s, err := Parse(spec)
		if err != nil {
			if s != (Schedule{}) {
				t.Fatalf("Parse(%q) failed but returned %v", spec, s)
			}
			return
		}
		again, err := Parse(s.String())
		if err != nil {
			t.Fatalf("Parse(%q).String() = %q, which does not parse: %v", spec, s, err)
		}
		if again.String() != s.String() || again.Kind() != s.Kind() {
			t.Fatalf("Parse(%q) = %q, reparsed as %q", spec, s, again)
		}
		n := s.Next(t0, ny)
		if s.Manual() != n.IsZero() {
			t.Fatalf("%q: Next = %v", s, n)
		}
		if !n.IsZero() && !n.After(t0) {
			t.Fatalf("%q: Next(%v) = %v", s, t0, n)
		}
	})
}
