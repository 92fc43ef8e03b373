// Package schedule parses the `schedule` key of an integration and computes
// its run times.
//
// Four forms are accepted:
//
//	daily HH:MM    every day at HH:MM (24h), e.g. "daily 23:00"
//	every DURATION a Go duration of at least 1m and at most 24h, counted
//	               from local midnight: "every 6h" runs at 00:00, 06:00,
//	               12:00 and 18:00; "every 7h" at 00:00, 07:00, 14:00, 21:00
//	cron EXPR      a standard 5-field cron expression or a descriptor such
//	               as @hourly, @daily, @weekly, @monthly, @yearly
//	manual         never runs on its own
//
// All forms are read on the local wall clock of the location given to Next
// and Prev, and every wall-clock time runs at most once: when clocks go back
// only the first pass through the repeated hour runs; a time that a
// spring-forward skips runs as far after the jump as it was after the jump's
// start (02:30 becomes 03:30 in America/New_York).
package schedule

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Kind is the form of a schedule.
type Kind int

// The schedule kinds. The zero Kind is Manual.
const (
	Manual Kind = iota
	Daily
	Every
	Cron
)

func (k Kind) String() string {
	switch k {
	case Manual:
		return "manual"
	case Daily:
		return "daily"
	case Every:
		return "every"
	case Cron:
		return "cron"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// MinEvery and MaxEvery bound the duration of an "every" schedule.
const (
	MinEvery = time.Minute
	MaxEvery = 24 * time.Hour
)

// minEvery is the bound Parse applies: MinEvery, except in the end-to-end
// test's build (tag agent_e2e), which needs runs seconds apart.
var minEvery = MinEvery

// Schedule is a parsed schedule. The zero value is "manual". Schedules are
// immutable and safe for concurrent use.
type Schedule struct {
	kind   Kind
	hour   int           // Daily
	minute int           // Daily
	every  time.Duration // Every
	expr   string        // Cron: fields joined by single spaces
	spec   *cron.SpecSchedule
}

// Want describes the accepted forms; it ends the message of a schedule whose
// form is not recognised.
const Want = `want "daily HH:MM", "every DURATION", "cron EXPR" or "manual"`

// Parse parses a schedule. Errors read
// `schedule "daily 25:00": hour must be 00-23`.
func Parse(spec string) (Schedule, error) {
	fail := func(format string, args ...any) (Schedule, error) {
		return Schedule{}, fmt.Errorf("schedule %s: %s", quote(spec), fmt.Sprintf(format, args...))
	}
	fields := strings.Fields(spec)
	if len(fields) == 0 {
		return fail("empty; %s", Want)
	}
	kw, args := strings.ToLower(fields[0]), fields[1:]
	switch kw {
	case "manual":
		if len(args) > 0 {
			return fail(`"manual" takes no argument`)
		}
		return Schedule{}, nil
	case "daily":
		if len(args) != 1 {
			return fail(`want "daily HH:MM", e.g. "daily 23:00"`)
		}
		h, m, err := parseClock(args[0])
		if err != nil {
			return fail("%v", err)
		}
		return Schedule{kind: Daily, hour: h, minute: m}, nil
	case "every":
		if len(args) != 1 {
			return fail(`want "every DURATION", e.g. "every 6h" or "every 90m"`)
		}
		d, err := time.ParseDuration(args[0])
		if err != nil {
			return fail("%s is not a duration (use e.g. 6h, 90m, 1h30m)", quote(args[0]))
		}
		if d < minEvery {
			return fail("the interval must be at least %s", formatDuration(minEvery))
		}
		if d > MaxEvery {
			return fail(`the interval must be at most 24h (it restarts at midnight); use "cron EXPR" for longer periods`)
		}
		return Schedule{kind: Every, every: d}, nil
	case "cron":
		if len(args) == 0 {
			return fail(`want "cron EXPR", e.g. "cron 0 */6 * * *"`)
		}
		expr := strings.Join(args, " ")
		if strings.Contains(args[0], "=") {
			return fail("time zone prefixes are not supported; schedules use the agent's time_zone")
		}
		if strings.HasPrefix(args[0], "@every") {
			return fail(`use "every DURATION" instead of "@every"`)
		}
		if !strings.HasPrefix(args[0], "@") && len(args) != 5 {
			return fail("a cron expression has 5 fields (minute hour day-of-month month day-of-week), got %d", len(args))
		}
		spec, err := parseCron(expr)
		if err != nil {
			return fail("%v", err)
		}
		s := Schedule{kind: Cron, expr: expr, spec: spec}
		// A day that never comes (e.g. 30 February) would never run.
		if spec.Next(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)).IsZero() {
			return fail("the expression never matches a date")
		}
		return s, nil
	}
	return fail("unknown form %s; %s", quote(fields[0]), Want)
}

// MustParse is like Parse but panics on error; for tests and constants.
func MustParse(spec string) Schedule {
	s, err := Parse(spec)
	if err != nil {
		panic(err)
	}
	return s
}

func parseClock(s string) (hour, minute int, err error) {
	hh, mm, ok := strings.Cut(s, ":")
	if !ok || len(hh) == 0 || len(hh) > 2 || len(mm) != 2 || !digits(hh) || !digits(mm) {
		return 0, 0, fmt.Errorf("time %s is not HH:MM (24h), e.g. 23:00", quote(s))
	}
	hour, _ = strconv.Atoi(hh)
	minute, _ = strconv.Atoi(mm)
	if hour > 23 {
		return 0, 0, errors.New("hour must be 00-23")
	}
	if minute > 59 {
		return 0, 0, errors.New("minute must be 00-59")
	}
	return hour, minute, nil
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// parseCron wraps cron.ParseStandard; it accepts only schedules it can
// reason about (a *cron.SpecSchedule in no particular location) and turns a
// panic of the parser into an error.
func parseCron(expr string) (spec *cron.SpecSchedule, err error) {
	defer func() {
		if r := recover(); r != nil {
			spec, err = nil, fmt.Errorf("invalid cron expression")
		}
	}()
	s, err := cron.ParseStandard(expr)
	if err != nil {
		return nil, errors.New(strings.TrimPrefix(err.Error(), "failed to parse "))
	}
	spec, ok := s.(*cron.SpecSchedule)
	if !ok || spec.Location != time.Local {
		return nil, fmt.Errorf("unsupported cron expression")
	}
	return spec, nil
}

// quote quotes s for an error message, shortened when long.
func quote(s string) string {
	const max = 60
	if len(s) > max {
		r := []rune(s)
		if len(r) > max {
			s = string(r[:max]) + "…"
		}
	}
	return strconv.Quote(s)
}

// Kind reports the form of the schedule.
func (s Schedule) Kind() Kind { return s.kind }

// Manual reports whether the schedule never runs on its own.
func (s Schedule) Manual() bool { return s.kind == Manual }

// Clock returns the hour and minute of a daily schedule.
func (s Schedule) Clock() (hour, minute int) { return s.hour, s.minute }

// Interval returns the duration of an "every" schedule, zero otherwise.
func (s Schedule) Interval() time.Duration { return s.every }

// String returns the canonical spelling, which Parse accepts:
// "daily 09:00", "every 1h30m", "cron 0 */6 * * *", "manual".
func (s Schedule) String() string {
	switch s.kind {
	case Daily:
		return fmt.Sprintf("daily %02d:%02d", s.hour, s.minute)
	case Every:
		return "every " + formatDuration(s.every)
	case Cron:
		return "cron " + s.expr
	}
	return "manual"
}

// MarshalText implements encoding.TextMarshaler.
func (s Schedule) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Schedule) UnmarshalText(b []byte) error {
	p, err := Parse(string(b))
	if err != nil {
		return err
	}
	*s = p
	return nil
}

// formatDuration is time.Duration.String without the zero units:
// 1h30m0s → 1h30m, 6h0m0s → 6h.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
