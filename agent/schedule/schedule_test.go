package schedule

import (
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, spec string
		kind       Kind
		str        string // canonical String()
		err        string
	}{
		{name: "daily", spec: "daily 23:00", kind: Daily, str: "daily 23:00"},
		{name: "daily one-digit hour", spec: "daily 9:05", kind: Daily, str: "daily 09:05"},
		{name: "daily midnight", spec: "daily 00:00", kind: Daily, str: "daily 00:00"},
		{name: "keyword case and spaces", spec: "  Daily   07:30 ", kind: Daily, str: "daily 07:30"},
		{name: "every hours", spec: "every 6h", kind: Every, str: "every 6h"},
		{name: "every minutes", spec: "every 90m", kind: Every, str: "every 1h30m"},
		{name: "every minimum", spec: "every 1m", kind: Every, str: "every 1m"},
		{name: "every 24h", spec: "every 24h", kind: Every, str: "every 24h"},
		{name: "every seconds", spec: "every 1m30s", kind: Every, str: "every 1m30s"},
		{name: "cron", spec: "cron 0 */6 * * *", kind: Cron, str: "cron 0 */6 * * *"},
		{name: "cron spaces", spec: "cron  0  3 * *   1-5", kind: Cron, str: "cron 0 3 * * 1-5"},
		{name: "cron descriptor", spec: "cron @hourly", kind: Cron, str: "cron @hourly"},
		{name: "cron names", spec: "cron 0 9 * JAN MON", kind: Cron, str: "cron 0 9 * JAN MON"},
		{name: "cron leap day", spec: "cron 0 0 29 2 *", kind: Cron, str: "cron 0 0 29 2 *"},
		{name: "manual", spec: "manual", kind: Manual, str: "manual"},

		{name: "empty", spec: "", err: `schedule "": empty; ` + Want},
		{name: "blank", spec: "   ", err: `schedule "   ": empty; ` + Want},
		{name: "unknown form", spec: "weekly mon", err: `schedule "weekly mon": unknown form "weekly"; ` + Want},
		{name: "bare time", spec: "23:00", err: `schedule "23:00": unknown form "23:00"; ` + Want},
		{name: "hour out of range", spec: "daily 25:00", err: `schedule "daily 25:00": hour must be 00-23`},
		{name: "hour 24", spec: "daily 24:00", err: `schedule "daily 24:00": hour must be 00-23`},
		{name: "minute out of range", spec: "daily 10:60", err: `schedule "daily 10:60": minute must be 00-59`},
		{name: "not a clock", spec: "daily 11pm", err: `schedule "daily 11pm": time "11pm" is not HH:MM (24h), e.g. 23:00`},
		{name: "one-digit minute", spec: "daily 10:5", err: `schedule "daily 10:5": time "10:5" is not HH:MM (24h), e.g. 23:00`},
		{name: "signed", spec: "daily +1:00", err: `schedule "daily +1:00": time "+1:00" is not HH:MM (24h), e.g. 23:00`},
		{name: "daily without time", spec: "daily", err: `schedule "daily": want "daily HH:MM", e.g. "daily 23:00"`},
		{name: "daily two times", spec: "daily 10:00 12:00", err: `schedule "daily 10:00 12:00": want "daily HH:MM", e.g. "daily 23:00"`},
		{name: "every too short", spec: "every 30s", err: `schedule "every 30s": the interval must be at least 1m`},
		{name: "every negative", spec: "every -1h", err: `schedule "every -1h": the interval must be at least 1m`},
		{name: "every too long", spec: "every 48h", err: `schedule "every 48h": the interval must be at most 24h (it restarts at midnight); use "cron EXPR" for longer periods`},
		{name: "every no unit", spec: "every 6", err: `schedule "every 6": "6" is not a duration (use e.g. 6h, 90m, 1h30m)`},
		{name: "every days", spec: "every 1d", err: `schedule "every 1d": "1d" is not a duration (use e.g. 6h, 90m, 1h30m)`},
		{name: "every missing", spec: "every", err: `schedule "every": want "every DURATION", e.g. "every 6h" or "every 90m"`},
		{name: "cron missing", spec: "cron", err: `schedule "cron": want "cron EXPR", e.g. "cron 0 */6 * * *"`},
		{name: "cron six fields", spec: "cron 0 0 */6 * * *", err: `schedule "cron 0 0 */6 * * *": a cron expression has 5 fields (minute hour day-of-month month day-of-week), got 6`},
		{name: "cron bad field", spec: "cron 61 * * * *", err: `schedule "cron 61 * * * *": end of range (61) above maximum (59): 61`},
		{name: "cron never", spec: "cron 0 0 30 2 *", err: `schedule "cron 0 0 30 2 *": the expression never matches a date`},
		{name: "cron tz", spec: "cron CRON_TZ=UTC 0 * * * *", err: `schedule "cron CRON_TZ=UTC 0 * * * *": time zone prefixes are not supported; schedules use the agent's time_zone`},
		{name: "cron @every", spec: "cron @every 1h", err: `schedule "cron @every 1h": use "every DURATION" instead of "@every"`},
		{name: "cron bad descriptor", spec: "cron @sometimes", err: `schedule "cron @sometimes": unrecognized descriptor: @sometimes`},
		{name: "manual with argument", spec: "manual 1", err: `schedule "manual 1": "manual" takes no argument`},
		{name: "long value shortened", spec: "daily 0123456789012345678901234567890123456789012345678901234567890123456789",
			err: `schedule "daily 012345678901234567890123456789012345678901234567890123…": time "012345678901234567890123456789012345678901234567890123456789…" is not HH:MM (24h), e.g. 23:00`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(tt.spec)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("Parse(%q) error = %v\nwant %s", tt.spec, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.spec, err)
			}
			if s.Kind() != tt.kind || s.String() != tt.str {
				t.Fatalf("Parse(%q) = %v %q, want %v %q", tt.spec, s.Kind(), s, tt.kind, tt.str)
			}
			if s.Manual() != (tt.kind == Manual) {
				t.Fatalf("Manual() = %v", s.Manual())
			}
			again, err := Parse(s.String())
			if err != nil || again.String() != s.String() {
				t.Fatalf("round trip %q: %v %q", s, err, again)
			}
		})
	}
}

func TestZeroIsManual(t *testing.T) {
	var s Schedule
	if !s.Manual() || s.String() != "manual" || !s.Next(time.Now(), nil).IsZero() || !s.Prev(time.Now(), nil).IsZero() {
		t.Fatal("zero Schedule is not manual")
	}
}

func TestText(t *testing.T) {
	var s Schedule
	if err := s.UnmarshalText([]byte("every 90m")); err != nil {
		t.Fatal(err)
	}
	b, _ := s.MarshalText()
	if string(b) != "every 1h30m" {
		t.Fatalf("MarshalText = %q", b)
	}
	if err := s.UnmarshalText([]byte("daily 99:00")); err == nil {
		t.Fatal("UnmarshalText accepted a bad schedule")
	}
}

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// at parses "2006-01-02 15:04 MST"-like local times: "2025-03-09 01:59 -0500".
func at(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse("2006-01-02 15:04 -0700", s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// step is one case of Next or Prev: the run of spec in the zone loc next
// after from (for Prev: the last at or before it), want "" for the zero
// time; times as "2006-01-02 15:04 -0700".
type step struct {
	name, spec, loc, from, want string
}

// testSteps runs tests through f, the method Next or Prev: both answer in
// loc.
func testSteps(t *testing.T, method string, f func(Schedule, time.Time, *time.Location) time.Time, tests []step) {
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := mustLoc(t, tt.loc)
			got := f(MustParse(tt.spec), at(t, tt.from), loc)
			if tt.want == "" {
				if !got.IsZero() {
					t.Fatalf("%s = %v, want zero", method, got)
				}
				return
			}
			want := at(t, tt.want)
			if !got.Equal(want) {
				t.Fatalf("%s %s(%s) = %s, want %s", tt.spec, method, tt.from, got, want.In(loc))
			}
			if got.Location() != loc {
				t.Fatalf("%s returned a time in %v, want %v", method, got.Location(), loc)
			}
		})
	}
}

func TestNext(t *testing.T) {
	testSteps(t, "Next", Schedule.Next, []step{
		{"daily later today", "daily 23:00", "UTC", "2025-06-01 10:00 +0000", "2025-06-01 23:00 +0000"},
		{"daily tomorrow", "daily 23:00", "UTC", "2025-06-01 23:00 +0000", "2025-06-02 23:00 +0000"},
		{"daily in zone", "daily 23:00", "Europe/Paris", "2025-06-01 21:00 +0000", "2025-06-02 23:00 +0200"},
		{"daily zone before", "daily 23:00", "Europe/Paris", "2025-06-01 20:59 +0000", "2025-06-01 23:00 +0200"},
		{"daily month end", "daily 00:00", "UTC", "2025-01-31 00:00 +0000", "2025-02-01 00:00 +0000"},

		// America/New_York springs forward on 2025-03-09 at 02:00 EST.
		{"spring: skipped time runs after the jump", "daily 02:30", "America/New_York", "2025-03-09 00:00 -0500", "2025-03-09 03:30 -0400"},
		{"spring: started inside the shifted run's hour", "daily 02:30", "America/New_York", "2025-03-09 03:10 -0400", "2025-03-09 03:30 -0400"},
		{"spring: once only", "daily 02:30", "America/New_York", "2025-03-09 03:30 -0400", "2025-03-10 02:30 -0400"},
		{"spring: day before", "daily 02:30", "America/New_York", "2025-03-08 02:30 -0500", "2025-03-09 03:30 -0400"},
		{"spring: unaffected time", "daily 01:30", "America/New_York", "2025-03-09 00:00 -0500", "2025-03-09 01:30 -0500"},
		// and falls back on 2025-11-02 at 02:00 EDT: 01:00-01:59 happens twice.
		{"fall: first 01:30", "daily 01:30", "America/New_York", "2025-11-02 00:00 -0400", "2025-11-02 01:30 -0400"},
		{"fall: not the second 01:30", "daily 01:30", "America/New_York", "2025-11-02 01:30 -0400", "2025-11-03 01:30 -0500"},
		{"fall: inside the repeated hour", "daily 01:30", "America/New_York", "2025-11-02 01:10 -0500", "2025-11-03 01:30 -0500"},
		{"fall: 02:30 once", "daily 02:30", "America/New_York", "2025-11-02 01:45 -0500", "2025-11-02 02:30 -0500"},

		{"every from midnight", "every 6h", "UTC", "2025-06-01 07:00 +0000", "2025-06-01 12:00 +0000"},
		{"every on the dot", "every 6h", "UTC", "2025-06-01 12:00 +0000", "2025-06-01 18:00 +0000"},
		{"every restarts at midnight", "every 7h", "UTC", "2025-06-01 21:00 +0000", "2025-06-02 00:00 +0000"},
		{"every minutes", "every 90m", "UTC", "2025-06-01 01:31 +0000", "2025-06-01 03:00 +0000"},
		{"every 24h", "every 24h", "UTC", "2025-06-01 00:00 +0000", "2025-06-02 00:00 +0000"},
		{"every local", "every 6h", "Asia/Kolkata", "2025-06-01 00:31 +0000", "2025-06-01 12:00 +0530"},
		{"every spring gap", "every 1h", "America/New_York", "2025-03-09 01:30 -0500", "2025-03-09 03:00 -0400"},
		{"every spring after gap", "every 1h", "America/New_York", "2025-03-09 03:00 -0400", "2025-03-09 04:00 -0400"},
		{"every fall", "every 1h", "America/New_York", "2025-11-02 01:00 -0400", "2025-11-02 02:00 -0500"},
		{"every 24h fall day", "every 24h", "America/New_York", "2025-11-02 00:00 -0400", "2025-11-03 00:00 -0500"},

		{"cron hours", "cron 0 */6 * * *", "UTC", "2025-06-01 06:00 +0000", "2025-06-01 12:00 +0000"},
		{"cron weekdays", "cron 0 9 * * 1-5", "UTC", "2025-06-06 09:00 +0000", "2025-06-09 09:00 +0000"},
		{"cron descriptor", "cron @monthly", "Europe/Paris", "2025-06-15 12:00 +0200", "2025-07-01 00:00 +0200"},
		{"cron spring gap", "cron 30 2 * * *", "America/New_York", "2025-03-09 00:00 -0500", "2025-03-09 03:30 -0400"},
		{"cron fall once", "cron 30 1 * * *", "America/New_York", "2025-11-02 01:30 -0400", "2025-11-03 01:30 -0500"},
		{"cron leap day", "cron 0 0 29 2 *", "UTC", "2025-03-01 00:00 +0000", "2028-02-29 00:00 +0000"},

		{"manual", "manual", "UTC", "2025-06-01 00:00 +0000", ""},
	})
}

func TestPrev(t *testing.T) {
	testSteps(t, "Prev", Schedule.Prev, []step{
		{"daily earlier today", "daily 09:00", "UTC", "2025-06-01 10:00 +0000", "2025-06-01 09:00 +0000"},
		{"daily at the run", "daily 09:00", "UTC", "2025-06-01 09:00 +0000", "2025-06-01 09:00 +0000"},
		{"daily yesterday", "daily 23:00", "UTC", "2025-06-01 10:00 +0000", "2025-05-31 23:00 +0000"},
		{"spring shifted run", "daily 02:30", "America/New_York", "2025-03-09 12:00 -0400", "2025-03-09 03:30 -0400"},
		{"fall first pass", "daily 01:30", "America/New_York", "2025-11-02 01:45 -0500", "2025-11-02 01:30 -0400"},
		{"every", "every 6h", "UTC", "2025-06-01 05:59 +0000", "2025-06-01 00:00 +0000"},
		{"every crosses midnight", "every 7h", "UTC", "2025-06-01 00:30 +0000", "2025-06-01 00:00 +0000"},
		{"every last of day", "every 7h", "UTC", "2025-06-01 23:59 +0000", "2025-06-01 21:00 +0000"},
		{"cron yearly", "cron @yearly", "UTC", "2025-06-01 00:00 +0000", "2025-01-01 00:00 +0000"},
		{"cron beyond window", "cron 0 0 29 2 *", "UTC", "2025-06-01 00:00 +0000", ""},
		{"manual", "manual", "UTC", "2025-06-01 00:00 +0000", ""},
	})
}

// TestDSTDays walks whole local days across transitions and checks that
// every wall-clock run happens exactly once.
func TestDSTDays(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	for _, tt := range []struct {
		spec, day string
		count     int
		want      []string // local clock readings of the first runs that day
	}{
		{"daily 02:30", "2025-03-09", 1, []string{"03:30 EDT"}},
		{"daily 02:30", "2025-11-02", 1, []string{"02:30 EST"}},
		{"daily 01:30", "2025-11-02", 1, []string{"01:30 EDT"}},
		{"daily 01:30", "2025-03-09", 1, []string{"01:30 EST"}},
		{"every 6h", "2025-03-09", 4, []string{"00:00 EST", "06:00 EDT", "12:00 EDT", "18:00 EDT"}},
		{"every 6h", "2025-11-02", 4, []string{"00:00 EDT", "06:00 EST", "12:00 EST", "18:00 EST"}},
		{"every 1h", "2025-11-02", 24, []string{"00:00 EDT", "01:00 EDT", "02:00 EST", "03:00 EST"}},
		{"every 1h", "2025-03-09", 23, []string{"00:00 EST", "01:00 EST", "03:00 EDT", "04:00 EDT"}},
		{"every 30m", "2025-03-09", 46, []string{"00:00 EST", "00:30 EST", "01:00 EST", "01:30 EST", "03:00 EDT", "03:30 EDT", "04:00 EDT"}},
		{"cron 30 1 * * *", "2025-11-02", 1, []string{"01:30 EDT"}},
		{"cron 30 2 * * *", "2025-03-09", 1, []string{"03:30 EDT"}},
	} {
		start, _ := time.ParseInLocation("2006-01-02", tt.day, ny)
		end := start.AddDate(0, 0, 1)
		s := MustParse(tt.spec)
		var got []string
		for n := s.Next(start.Add(-time.Nanosecond), ny); n.Before(end); n = s.Next(n, ny) {
			got = append(got, n.Format("15:04 MST"))
		}
		if len(got) != tt.count || len(got) < len(tt.want) {
			t.Errorf("%s on %s: %d runs %v, want %d", tt.spec, tt.day, len(got), got, tt.count)
			continue
		}
		for i := range tt.want {
			if got[i] != tt.want[i] {
				t.Errorf("%s on %s: runs %v, want %v...", tt.spec, tt.day, got, tt.want)
				break
			}
		}
	}
}

// TestInvariants checks Next and Prev against each other in many zones.
func TestInvariants(t *testing.T) {
	specs := []string{"daily 02:30", "daily 01:30", "daily 00:00", "every 1h", "every 7h", "every 45m",
		"cron 30 2 * * *", "cron */20 1-3 * * *", "cron @weekly"}
	zones := []string{"UTC", "America/New_York", "Europe/London", "Australia/Lord_Howe", "America/Havana",
		"Pacific/Apia", "America/Santiago", "Asia/Tehran"}
	base := time.Date(2011, 1, 1, 0, 0, 0, 0, time.UTC)
	step := 13*time.Hour + 7*time.Minute
	if testing.Short() {
		step *= 5
	}
	for _, z := range zones {
		loc := mustLoc(t, z)
		for _, spec := range specs {
			s := MustParse(spec)
			for tm := base; tm.Before(base.AddDate(1, 0, 0)); tm = tm.Add(step) {
				n := s.Next(tm, loc)
				if !n.After(tm) {
					t.Fatalf("%s %s: Next(%v) = %v, not after", z, spec, tm, n)
				}
				if n.Sub(tm) > 8*24*time.Hour {
					t.Fatalf("%s %s: Next(%v) = %v, too far", z, spec, tm, n)
				}
				if p := s.Prev(n, loc); !p.Equal(n) {
					t.Fatalf("%s %s: Prev(Next(%v)=%v) = %v", z, spec, tm, n, p)
				}
				if p := s.Prev(n.Add(-time.Nanosecond), loc); !p.IsZero() && !p.Before(tm.Add(time.Nanosecond)) {
					t.Fatalf("%s %s: Prev before Next(%v)=%v is %v, after %v", z, spec, tm, n, p, tm)
				}
			}
		}
	}
}

func BenchmarkPrev(b *testing.B) {
	loc := mustLoc(b, "America/New_York")
	s := MustParse("cron */5 * * * *")
	now := time.Date(2025, 11, 2, 6, 0, 0, 0, time.UTC)
	for b.Loop() {
		s.Prev(now, loc)
	}
}
