package schedule

import "time"

// A schedule is a set of local wall-clock times. Wall-clock times are
// represented here as time.Time values in UTC ("walls"), which have no DST:
// the wall 2025-03-09 02:30 UTC stands for 02:30 on the local clock. A wall is
// turned into an instant by resolve.

const (
	day = 24 * time.Hour
	// PrevWindow is how far back Prev looks.
	PrevWindow = 400 * day
	// scanLimit bounds the walls Next examines; far above what any schedule
	// needs (an "every 1m" crosses ~60 walls per hour of DST shift).
	scanLimit = 100000
)

// Next returns the first run strictly after after, in loc (nil means
// time.Local). It returns the zero time for a manual schedule or, for a cron
// expression, when no run comes within five years.
func (s Schedule) Next(after time.Time, loc *time.Location) time.Time {
	if s.kind == Manual || (s.kind == Cron && s.spec == nil) {
		return time.Time{}
	}
	if loc == nil {
		loc = time.Local
	}
	after = after.In(loc)
	// A run u of wall w satisfies u = w - o with o the zone offset at u (or,
	// inside a spring-forward gap, the offset just before it). Near after, o
	// is at least lo, so walls up to after+lo resolve to instants ≤ after.
	lo, _ := offsetRange(after.Add(-2*day), after.Add(2*day), loc)
	w := wallOf(after).Add(lo - wallOffset(after))
	var best time.Time
	var hi time.Duration
	for range scanLimit {
		w = s.nextWall(w)
		if w.IsZero() {
			break
		}
		// Every later wall resolves to at least w - hi.
		if !best.IsZero() && w.Add(-hi).After(best) {
			break
		}
		u := resolve(w, loc)
		if u.After(after) && (best.IsZero() || u.Before(best)) {
			best = u
			_, hi = offsetRange(after.Add(-2*day), best.Add(day), loc)
		}
	}
	return best
}

// Prev returns the latest run at or before at, in loc (nil means
// time.Local), or the zero time for a manual schedule or when no run falls
// within PrevWindow before at. Used to detect missed runs.
func (s Schedule) Prev(at time.Time, loc *time.Location) time.Time {
	if s.kind == Manual {
		return time.Time{}
	}
	if loc == nil {
		loc = time.Local
	}
	at = at.In(loc)
	// c is a run ≤ at, found first in the last day, else in the window.
	var c time.Time
	for _, w := range []time.Duration{25 * time.Hour, PrevWindow} {
		if n := s.Next(at.Add(-w), loc); !n.IsZero() && !n.After(at) {
			c = n
			break
		}
	}
	if c.IsZero() {
		return time.Time{}
	}
	// Next is non-decreasing. Move c forward until the run after it is
	// past at, halving the span [c, hi] each round: Next(hi) > at.
	hi := at
	for {
		n := s.Next(c, loc)
		if n.IsZero() || n.After(at) {
			return c
		}
		c = n
		mid := c.Add(hi.Sub(c) / 2)
		if m := s.Next(mid, loc); !m.IsZero() && !m.After(at) {
			c = m
		} else {
			hi = mid
		}
	}
}

// nextWall returns the first wall of the schedule strictly after w, or the
// zero time when there is none.
func (s Schedule) nextWall(w time.Time) time.Time {
	switch s.kind {
	case Daily:
		y, m, d := w.Date()
		c := time.Date(y, m, d, s.hour, s.minute, 0, 0, time.UTC)
		if !c.After(w) {
			c = c.Add(day)
		}
		return c
	case Every:
		y, m, d := w.Date()
		midnight := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		c := midnight.Add((w.Sub(midnight)/s.every + 1) * s.every)
		if !c.Before(midnight.Add(day)) {
			c = midnight.Add(day)
		}
		return c
	case Cron:
		// The spec has no location, so robfig computes in w's (UTC).
		return s.spec.Next(w)
	}
	return time.Time{}
}

// wallOf returns the local wall clock of t as a UTC wall.
func wallOf(t time.Time) time.Time {
	y, mo, d := t.Date()
	h, mi, sec := t.Clock()
	return time.Date(y, mo, d, h, mi, sec, t.Nanosecond(), time.UTC)
}

// wallOffset is the zone offset of t as a duration.
func wallOffset(t time.Time) time.Duration {
	_, off := t.Zone()
	return time.Duration(off) * time.Second
}

// resolve returns the instant at which the wall w happens in loc: its first
// occurrence when clocks go back; when w falls in a spring-forward gap, the
// instant as far after the jump as w is after its start.
func resolve(w time.Time, loc *time.Location) time.Time {
	y, mo, d := w.Date()
	h, mi, sec := w.Clock()
	guess := time.Date(y, mo, d, h, mi, sec, w.Nanosecond(), loc)
	lo, hi := offsetRange(guess.Add(-day), guess.Add(day), loc)
	var valid, shifted time.Time
	// Candidates are w - o for the offsets o in effect around w. A candidate
	// is an occurrence when its own offset is o.
	cands := []time.Duration{lo, hi, wallOffset(guess)}
	for _, o := range cands {
		u := w.Add(-o).In(loc)
		if wallOffset(u) == o {
			if valid.IsZero() || u.Before(valid) {
				valid = u
			}
		} else if wallOf(u).After(w) && (shifted.IsZero() || u.Before(shifted)) {
			shifted = u
		}
	}
	switch {
	case !valid.IsZero():
		return valid
	case !shifted.IsZero():
		return shifted
	}
	return guess
}

// offsetRange returns the smallest and largest zone offsets loc uses between
// the instants a and b.
func offsetRange(a, b time.Time, loc *time.Location) (lo, hi time.Duration) {
	t := a.In(loc)
	lo, hi = wallOffset(t), wallOffset(t)
	for range 1000 {
		_, end := t.ZoneBounds()
		if end.IsZero() || !end.After(t) || end.After(b) {
			break
		}
		t = end.In(loc)
		o := wallOffset(t)
		lo, hi = min(lo, o), max(hi, o)
	}
	return lo, hi
}
