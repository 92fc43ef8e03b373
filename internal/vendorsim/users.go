package vendorsim

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"
)

// mix is splitmix64: a cheap, well-spread hash of a user index.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// chance reports whether index i falls in pct percent for the given salt.
func chance(i int, salt uint64, pct float64) bool {
	return pct > 0 && float64(mix(uint64(i)^salt)%1_000_000) < pct*10_000
}

// span is the raw index space of a generation: the original users plus
// the added ones.
func (c Config) span() int {
	if c.Generation == 0 {
		return c.Users
	}
	return c.Users + int(float64(c.Users)*c.Churn.Added/100)
}

func (c Config) present(i int) bool {
	return c.Generation == 0 || i >= c.Users || !chance(i, 0x51, c.Churn.Removed)
}

func (c Config) changed(i int) bool {
	return c.Generation > 0 && chance(i, 0xc4, c.Churn.Changed)
}

func (c Config) inactive(i int) bool {
	return c.Generation > 0 && chance(i, 0x1a, c.Churn.Inactive)
}

// appendUser writes user i of the configured generation as JSON, without
// allocating (benchmarks count the agent's allocations, not ours).
func (c Config) appendUser(b []byte, i int) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, `,"email":"User`...)
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, `@Example.com","name":"User Number`...)
	b = strconv.AppendInt(b, int64(i), 10)
	if c.changed(i) {
		b = append(b, " v"...)
		b = strconv.AppendInt(b, int64(c.Generation), 10)
	}
	b = append(b, `","department":"Dept`...)
	b = strconv.AppendInt(b, int64(i%20), 10)
	b = append(b, `","status":"`...)
	if c.inactive(i) {
		b = append(b, "inactive"...)
	} else {
		b = append(b, "active"...)
	}
	b = append(b, `","last_login":"`...)
	b = time.Unix(1_700_000_000+int64(i)*60, 0).UTC().AppendFormat(b, time.RFC3339)
	b = append(b, `"}`...)
	return b
}

// position is where a request's page starts in the index space.
type position struct {
	start, limit, page int
}

// position reads the page a request asks for.
func (c Config) position(q url.Values) position {
	if c.Shape == ShapeIronclad {
		// "Pagination": page and per_page, 25 a page by default.
		p := position{limit: 25, page: 1}
		if v, err := strconv.Atoi(q.Get("per_page")); err == nil && v > 0 {
			p.limit = min(v, c.MaxPageSize)
		}
		if v, err := strconv.Atoi(q.Get("page")); err == nil && v > 1 {
			p.page = v
		}
		p.start = (p.page - 1) * p.limit
		return p
	}
	p := position{limit: c.MaxPageSize, start: -1}
	if v, err := strconv.Atoi(q.Get("limit")); err == nil && v > 0 && v < p.limit {
		p.limit = v
	}
	switch c.Pagination {
	case Cursor:
		p.start = 0
		if cur := q.Get("cursor"); cur != "" {
			n, err := strconv.ParseInt(cur, 36, 64)
			if err != nil || n < 0 {
				return p // start -1: a bad cursor
			}
			p.start = int(n)
		}
	case OffsetLimit:
		p.start, _ = strconv.Atoi(q.Get("offset"))
		p.start = max(p.start, 0)
	case PageNumber, LinkHeader:
		p.start = 0
		if v, err := strconv.Atoi(q.Get("page")); err == nil && v > 1 {
			p.start = (v - 1) * p.limit
		}
	default: // None: everything at once
		p.start, p.limit = 0, max(c.span(), 1)
	}
	p.page = p.start/p.limit + 1
	return p
}

// users serves one page. Positions are raw indexes, so removed users make
// a page shorter than the limit without it being the last.
func (s *Sim) users(w http.ResponseWriter, r *http.Request) {
	now := time.Now().UnixNano()
	n := s.Requests.Add(1)
	s.first.CompareAndSwap(0, now)
	s.last.Store(now)
	cfg := s.Config()
	if cfg.Latency > 0 {
		time.Sleep(cfg.Latency)
	}
	if !s.admit(w, cfg, n) {
		return
	}
	if !s.authorized(r, cfg) {
		s.Refused.Add(1)
		refuse(w, r, cfg)
		return
	}
	q := r.URL.Query()
	pos := cfg.position(q)
	if pos.start < 0 {
		writeJSON(w, http.StatusBadRequest, `{"error":"invalid_cursor"}`)
		return
	}
	atFault := cfg.Fault != FaultNone && pos.page == cfg.FaultPage
	if atFault {
		if s.failPage(w, r, cfg) {
			return
		}
		if cfg.Fault == FaultRepeatPage {
			pos.start, pos.page = 0, 1
		}
	}
	span := cfg.span()
	if cfg.Fault == FaultEmpty {
		span = 0
	}
	start := min(pos.start, span)
	end := min(start+pos.limit, span)
	if cfg.Shape == ShapeREST && cfg.Pagination == OffsetLimit {
		start = min(s.rawIndex(cfg, pos.start), span)
		end = min(s.rawIndex(cfg, pos.start+pos.limit), span)
	}
	var b []byte
	if cfg.Shape == ShapeIronclad {
		b = cfg.ironcladPage(pos, start, end, span)
	} else {
		b = cfg.restPage(w, r, q, pos, start, end, span, atFault)
	}
	if atFault {
		users := "users"
		if cfg.Shape == ShapeIronclad {
			users = "data"
		}
		b = spoilBody(b, cfg, users)
	}
	s.PagesServed.Add(1)
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

// restPage is the REST shape's page: data.users, the cursor under
// response_metadata.next_cursor, total and has_more (and total_pages with
// Config.TotalPages), and a Link header.
func (c Config) restPage(w http.ResponseWriter, r *http.Request, q url.Values, pos position, start, end, span int, atFault bool) []byte {
	b := make([]byte, 0, 200*(end-start)+200)
	b = append(b, `{"data":{"users":[`...)
	first := true
	for i := start; i < end; i++ {
		if !c.present(i) {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = c.appendUser(b, i)
	}
	b = append(b, `]}`...)
	more := end < span
	if c.Pagination == Cursor {
		b = append(b, `,"response_metadata":{"next_cursor":"`...)
		if more {
			if atFault && c.Fault == FaultRepeatCursor {
				b = append(b, q.Get("cursor")...)
			} else {
				b = strconv.AppendInt(b, int64(end), 36)
			}
		}
		b = append(b, `"}`...)
	}
	b = append(b, `,"total":`...)
	b = strconv.AppendInt(b, int64(span), 10)
	b = append(b, `,"has_more":`...)
	b = strconv.AppendBool(b, more)
	if c.TotalPages {
		b = append(b, `,"total_pages":`...)
		b = strconv.AppendInt(b, int64((span+pos.limit-1)/pos.limit), 10)
	}
	b = append(b, '}')
	if c.Pagination == LinkHeader && more {
		next := url.Values{"page": {strconv.Itoa(pos.page + 1)}, "limit": {strconv.Itoa(pos.limit)}}.Encode()
		if c.RelativeLink {
			w.Header().Set("Link", "<"+r.URL.Path+"?"+next+`>; rel="next", <`+r.URL.Path+`?page=1>; rel="first"`)
		} else {
			u := url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path, RawQuery: next}
			w.Header().Set("Link", "<"+u.String()+`>; rel="next"`)
		}
	}
	return b
}

// Census counts the users of the configured generation by what the churn
// did to them, so tests and benchmarks know what a run must report.
type Census struct {
	Listed        int // users the API lists
	Added         int // listed users beyond the original Users
	Removed       int // original users no longer listed
	Changed       int // listed original users whose name changed
	Inactive      int // listed original users made inactive
	InactiveAdded int // added users listed as inactive
}

// Census walks the index space once.
func (c Config) Census() Census {
	var n Census
	for i := range c.span() {
		switch {
		case !c.present(i):
			n.Removed++
			continue
		case i >= c.Users:
			n.Added++
			if c.inactive(i) {
				n.InactiveAdded++
			}
		default:
			if c.changed(i) {
				n.Changed++
			}
			if c.inactive(i) {
				n.Inactive++
			}
		}
		n.Listed++
	}
	if c.Fault == FaultEmpty {
		return Census{}
	}
	return n
}

// listing maps positions among the listed users to raw indexes, for
// offset pagination (an offset counts listed users, and removed users are
// holes in the index space). It keeps one count per block of indexes.
type listing struct {
	span, users, generation int
	removed                 float64
	cum                     []int // cum[k] = listed users in the blocks before block k
}

const listingBlock = 1024

// rawIndex returns the raw index of the listed user at position k, or the
// span when there are not that many.
func (s *Sim) rawIndex(c Config, k int) int {
	if c.Generation == 0 || c.Churn.Removed == 0 {
		return min(k, c.span())
	}
	s.mu.Lock()
	l := s.listing
	if l == nil || l.span != c.span() || l.users != c.Users || l.generation != c.Generation || l.removed != c.Churn.Removed {
		l = &listing{span: c.span(), users: c.Users, generation: c.Generation, removed: c.Churn.Removed}
		n := 0
		for i := range l.span {
			if i%listingBlock == 0 {
				l.cum = append(l.cum, n)
			}
			if c.present(i) {
				n++
			}
		}
		s.listing = l
	}
	s.mu.Unlock()
	b := sort.Search(len(l.cum), func(b int) bool { return l.cum[b] > k }) - 1
	if b < 0 {
		return 0
	}
	n := l.cum[b]
	for i := b * listingBlock; i < l.span; i++ {
		if c.present(i) {
			if n == k {
				return i
			}
			n++
		}
	}
	return l.span
}
