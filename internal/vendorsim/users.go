package vendorsim

import (
	"fmt"
	"net/http"
	"net/url"
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

// appendUser writes user i of the configured generation as JSON.
func (c Config) appendUser(b []byte, i int) []byte {
	name := fmt.Sprintf("User Number%d", i)
	status := "active"
	if c.Generation > 0 {
		if chance(i, 0xc4, c.Churn.Changed) {
			name += " v" + strconv.Itoa(c.Generation)
		}
		if chance(i, 0x1a, c.Churn.Inactive) {
			status = "inactive"
		}
	}
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, `,"email":"User`...)
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, `@Example.com","name":"`...)
	b = append(b, name...)
	b = append(b, `","department":"Dept`...)
	b = strconv.AppendInt(b, int64(i%20), 10)
	b = append(b, `","status":"`...)
	b = append(b, status...)
	b = append(b, `","last_login":"`...)
	b = time.Unix(1_700_000_000+int64(i)*60, 0).UTC().AppendFormat(b, time.RFC3339)
	b = append(b, `"}`...)
	return b
}

// users serves one page. Positions are raw indexes, so removed users make
// a page shorter than the limit without it being the last.
func (s *Sim) users(w http.ResponseWriter, r *http.Request) {
	s.Requests.Add(1)
	cfg := s.config()
	if cfg.Latency > 0 {
		time.Sleep(cfg.Latency)
	}
	if !s.admit(w, cfg.RatePerSec) {
		return
	}
	if !s.authorized(r) {
		writeJSON(w, http.StatusUnauthorized, `{"error":"invalid_token"}`)
		return
	}
	q := r.URL.Query()
	limit := cfg.MaxPageSize
	if v, err := strconv.Atoi(q.Get("limit")); err == nil && v > 0 && v < limit {
		limit = v
	}
	start := 0
	switch cfg.Pagination {
	case Cursor:
		if c := q.Get("cursor"); c != "" {
			n, err := strconv.ParseInt(c, 36, 64)
			if err != nil {
				writeJSON(w, http.StatusBadRequest, `{"error":"invalid_cursor"}`)
				return
			}
			start = int(n)
		}
	case OffsetLimit:
		start, _ = strconv.Atoi(q.Get("offset"))
	case PageNumber, LinkHeader:
		if p, err := strconv.Atoi(q.Get("page")); err == nil && p > 1 {
			start = (p - 1) * limit
		}
	case None:
		limit = cfg.span()
	}
	page := start/max(limit, 1) + 1

	if cfg.Fault != FaultNone && page == cfg.FaultPage {
		if s.fault(w, cfg) {
			return
		}
	}
	end := min(start+limit, cfg.span())
	b := make([]byte, 0, 200*(end-start)+200)
	users := "users"
	if cfg.Fault == FaultEnvelopeChanged && page == cfg.FaultPage {
		users = "members"
	}
	b = append(b, `{"data":{"`+users+`":[`...)
	first := true
	for i := start; i < end; i++ {
		if !cfg.present(i) {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = cfg.appendUser(b, i)
	}
	b = append(b, `]}`...)
	more := end < cfg.span()
	if cfg.Pagination == Cursor {
		next := ""
		if more {
			next = strconv.FormatInt(int64(end), 36)
			if cfg.Fault == FaultRepeatCursor && page == cfg.FaultPage {
				next = q.Get("cursor")
			}
		}
		b = append(b, `,"response_metadata":{"next_cursor":"`+next+`"}`...)
	}
	b = append(b, `,"total":`...)
	b = strconv.AppendInt(b, int64(cfg.span()), 10)
	b = append(b, `,"has_more":`...)
	b = strconv.AppendBool(b, more)
	b = append(b, '}')
	if cfg.Pagination == LinkHeader && more {
		u := url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path}
		nq := url.Values{"page": {strconv.Itoa(page + 1)}, "limit": {strconv.Itoa(limit)}}
		u.RawQuery = nq.Encode()
		w.Header().Set("Link", fmt.Sprintf(`<%s>; rel="next"`, u.String()))
	}
	if cfg.Fault == FaultTruncatedJSON && page == cfg.FaultPage {
		b = b[:len(b)/2]
	}
	s.PagesServed.Add(1)
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

// fault serves the configured fault for this page and reports whether it
// answered the request.
func (s *Sim) fault(w http.ResponseWriter, cfg Config) bool {
	switch cfg.Fault {
	case Fault500Once:
		if s.oneShot(cfg.Fault) {
			writeJSON(w, http.StatusInternalServerError, `{"error":"internal"}`)
			return true
		}
	case Fault429Once:
		if s.oneShot(cfg.Fault) {
			s.Throttled.Add(1)
			w.Header().Set("Retry-After", "1")
			writeJSON(w, http.StatusTooManyRequests, `{"error":"rate_limited"}`)
			return true
		}
	case Fault500Always:
		writeJSON(w, http.StatusInternalServerError, `{"error":"internal"}`)
		return true
	case FaultHTMLPage:
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html><body><h1>Service temporarily unavailable</h1></body></html>"))
		return true
	case FaultUnauthorized:
		writeJSON(w, http.StatusUnauthorized, `{"error":"invalid_token"}`)
		return true
	}
	return false
}
