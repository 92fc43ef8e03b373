package config

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Problem is one thing wrong in a config file.
type Problem struct {
	File        string // the path as the caller gave it
	Line, Col   int    // 1-based; Col counts bytes
	Msg         string
	Integration string // name of the [[integration]] it is in, "" if none
}

// String formats the problem as FILE:LINE:COL: message.
func (p Problem) String() string {
	if p.Line == 0 {
		return p.File + ": " + p.Msg
	}
	return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Col, p.Msg)
}

// Error is what Load returns for an invalid file: every problem found,
// sorted by position. Use errors.As to get at it.
type Error struct {
	Problems []Problem
	// DataDir is the state folder the file names (absolute), or the
	// default when it names none or could not be read that far (a TOML
	// syntax error): where a command can still read the store.
	DataDir string
}

// Error joins the problems, one per line.
func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// reporter collects problems with positions from the index.
type reporter struct {
	file  string
	ix    *index
	names []string        // integration names by index, for Problem.Integration
	bad   map[string]bool // paths that already have a problem
	probs []Problem
}

// report records a problem at p. A path whose value could not be decoded,
// or that lies under one, gets no further problems.
func (r *reporter) report(p path, format string, args ...any) {
	if r.under(p) {
		return
	}
	r.add(p, fmt.Sprintf(format, args...))
}

// fail records a decoding problem at p and marks p as bad.
func (r *reporter) fail(p path, format string, args ...any) {
	r.add(p, fmt.Sprintf(format, args...))
	r.bad[p.key()] = true
}

func (r *reporter) under(p path) bool {
	for n := len(p); n > 0; n-- {
		if r.bad[p[:n].key()] {
			return true
		}
	}
	return false
}

func (r *reporter) add(p path, msg string) {
	pos := r.ix.pos(p)
	pr := Problem{File: r.file, Line: pos.Line, Col: pos.Col, Msg: msg}
	if len(p) > 1 && p[0] == "integration" && strings.HasPrefix(p[1], idxMark) {
		if i, err := strconv.Atoi(p[1][len(idxMark):]); err == nil && i < len(r.names) {
			pr.Integration = r.names[i]
		}
	}
	r.probs = append(r.probs, pr)
}

func (r *reporter) err() *Error {
	if len(r.probs) == 0 {
		return nil
	}
	sort.SliceStable(r.probs, func(i, j int) bool {
		a, b := r.probs[i], r.probs[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	return &Error{Problems: r.probs}
}

// q quotes a value from the file for a message, shortened when long so that
// a pasted secret or blob is not echoed whole.
func q(s string) string {
	const max = 60
	if r := []rune(s); len(r) > max {
		s = string(r[:max]) + "…"
	}
	return strconv.Quote(s)
}

// suggest returns `; did you mean "x"?` for the candidate closest to s, or
// "" when none is close (see Closest).
func suggest(s string, candidates []string) string {
	if best := Closest(s, candidates); best != "" {
		return fmt.Sprintf("; did you mean %q?", best)
	}
	return ""
}

// Closest returns the candidate s is likely a typo of, or "" when none is
// close: a small edit distance, or one is a prefix of the other ("deactiv",
// "warning"). The CLI uses it for commands and flags too.
func Closest(s string, candidates []string) string {
	ls := strings.ToLower(s)
	best, bestD := "", 1<<30
	n := utf8.RuneCountInString(ls)
	for _, c := range candidates {
		lc := strings.ToLower(c)
		// The distance is at least the difference in length, and more
		// than 2 is never suggested: skip the O(len·len) table then (a
		// megabyte-long value took seconds).
		d := 3
		if m := utf8.RuneCountInString(lc); n-m <= 2 && m-n <= 2 {
			d = distance(ls, lc)
		}
		if len(ls) >= 3 && len(lc) >= 3 && (strings.HasPrefix(lc, ls) || strings.HasPrefix(ls, lc)) {
			d = min(d, 1)
		}
		if d < bestD {
			best, bestD = c, d
		}
	}
	limit := 2
	if len([]rune(s)) <= 4 {
		limit = 1
	}
	if best == "" || bestD > limit || best == s {
		return ""
	}
	return best
}

// distance is the optimal string alignment distance between a and b, in
// runes: insertions, deletions, substitutions and swaps of neighbours.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// oneOf checks an enum value: `agent.log_level "verbose" must be one of
// debug, info, warn, error; did you mean ...?`.
func (r *reporter) oneOf(p path, v string, allowed ...string) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	r.report(p, "%s %s must be one of %s%s", p, q(v), strings.Join(allowed, ", "), suggest(v, allowed))
	return false
}
