package vendorsim

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Profile is a vendor's users API as its public docs describe it: the
// endpoint, the credential it wants, how it pages, the envelope of a page
// and the users themselves. Each template of the REST connector
// (vendors/<name>) declares the profile of its vendor in its test, and
// internal/vendortest runs the template against it; the README beside it
// says which page of the docs each fact comes from.
type Profile struct {
	Path string // the users endpoint, e.g. "/api/v1/users"

	// Key is the API key a users request must carry in Header (default
	// Authorization), after Scheme and a space when Scheme is set (e.g.
	// Authorization: SSWS <key>). With Token set, the users endpoint wants
	// Authorization: Bearer <a token it issued> instead.
	Key, Header, Scheme string
	Token               *TokenEndpoint
	// Refusal is the body of the answer to any other request, with
	// RefusalStatus (default 401).
	Refusal       string
	RefusalStatus int

	Paging Paging
	// RateLimit, when set, is announced on every page.
	RateLimit *RateLimit

	// User is user i.
	User func(i int) map[string]any
	// Asked holds the fields a user has only when the query asks for
	// them, by the parameter that asks ("include=lastLogin").
	Asked map[string]map[string]any
	// Envelope is the body of a page.
	Envelope func(p Page) any
}

// TokenEndpoint is an OAuth2 token endpoint (POST Path) that
// authenticates the client in an HTTP Basic header and requires the form
// parameters Params (grant_type among them).
type TokenEndpoint struct {
	Path             string
	ClientID, Secret string
	Params           map[string]string
	// Answer holds the members of a token answer besides access_token
	// (token_type, expires_in, scope...).
	Answer map[string]any
	// Refusal is the body of the answer to a wrong client or form, with
	// RefusalStatus (default 400, RFC 6749 §5.2).
	Refusal       string
	RefusalStatus int
}

// Paging is how a request names its page and how a page names the next.
// The position is a page number in PageParam (1-based) or, with
// CursorParam, a cursor: CursorPrefix followed by the index of the page's
// first user.
type Paging struct {
	SizeParam   string
	DefaultSize int // when the request names no size; 0: everything
	MaxSize     int // the largest page served; 0: no limit
	// Fill is the percent of the size asked for that a page holds
	// (default 100; Slack serves fewer, pages that are not the last
	// included).
	Fill int

	PageParam    string
	CursorParam  string
	CursorPrefix string

	// Link announces the next page in a Link header (rel="next") while
	// more follow; LinkLast adds rel="last", LinkSelf a rel="self" link to
	// the request itself on every page.
	Link, LinkLast, LinkSelf bool
}

// RateLimit is announced in the headers Prefix-Limit, Prefix-Remaining
// and Prefix-Reset (a Unix time, Reset from now).
type RateLimit struct {
	Prefix           string
	Limit, Remaining int
	Reset            time.Duration
}

// Page is what an envelope is made of.
type Page struct {
	Users      []map[string]any
	Number     int    // the page number (page-number paging)
	Size       int    // the page size asked for
	Total      int    // the users in all
	TotalPages int    // at Size
	Next       string // the next page's cursor; "" on the last page (cursor paging)
}

// ProfileSim serves a Profile with a number of users; mount it on an
// httptest.Server.
type ProfileSim struct {
	profile Profile
	users   int

	mu     sync.Mutex
	tokens map[string]bool

	TokenCalls atomic.Int64 // token requests, answered or not
	Requests   atomic.Int64 // users requests, answered or not
}

// NewProfile returns a simulator of p listing users users.
func NewProfile(p Profile, users int) *ProfileSim {
	return &ProfileSim{profile: p, users: users, tokens: map[string]bool{}}
}

// ServeHTTP routes the token endpoint (if any) and the users endpoint.
func (s *ProfileSim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := s.profile
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	switch {
	case p.Token != nil && r.URL.Path == p.Token.Path:
		s.token(w, r)
	case r.URL.Path == p.Path && s.authorized(r):
		s.Requests.Add(1)
		s.page(w, r)
	default:
		if r.URL.Path == p.Path {
			s.Requests.Add(1)
		}
		w.WriteHeader(cmp.Or(p.RefusalStatus, http.StatusUnauthorized))
		io.WriteString(w, p.Refusal)
	}
}

func (s *ProfileSim) token(w http.ResponseWriter, r *http.Request) {
	s.TokenCalls.Add(1)
	te := s.profile.Token
	id, secret, ok := r.BasicAuth()
	r.ParseForm()
	ok = ok && id == te.ClientID && secret == te.Secret
	for k, v := range te.Params {
		ok = ok && r.PostForm.Get(k) == v
	}
	if !ok {
		w.WriteHeader(cmp.Or(te.RefusalStatus, http.StatusBadRequest))
		io.WriteString(w, te.Refusal)
		return
	}
	var b [16]byte
	rand.Read(b[:])
	tok := hex.EncodeToString(b[:])
	s.mu.Lock()
	s.tokens[tok] = true
	s.mu.Unlock()
	answer := map[string]any{"access_token": tok}
	maps.Copy(answer, te.Answer)
	json.NewEncoder(w).Encode(answer)
}

func (s *ProfileSim) authorized(r *http.Request) bool {
	p := s.profile
	if p.Token == nil {
		want := p.Key
		if p.Scheme != "" {
			want = p.Scheme + " " + p.Key
		}
		return r.Header.Get(cmp.Or(p.Header, "Authorization")) == want
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	defer s.mu.Unlock()
	return ok && s.tokens[tok]
}

// page serves the page the request asks for.
func (s *ProfileSim) page(w http.ResponseWriter, r *http.Request) {
	p, pg, q := s.profile, s.profile.Paging, r.URL.Query()
	size, _ := strconv.Atoi(q.Get(pg.SizeParam))
	if size <= 0 {
		size = pg.DefaultSize
	}
	if pg.MaxSize > 0 {
		size = min(size, pg.MaxSize)
	}
	if size <= 0 {
		size = max(s.users, 1)
	}
	number, start := 1, 0
	if pg.CursorParam != "" {
		start, _ = strconv.Atoi(strings.TrimPrefix(q.Get(pg.CursorParam), pg.CursorPrefix))
		start = min(max(start, 0), s.users)
	} else {
		number, _ = strconv.Atoi(q.Get(pg.PageParam))
		number = max(number, 1)
		start = min((number-1)*size, s.users)
	}
	end := min(start+size*cmp.Or(pg.Fill, 100)/100, s.users)
	page := Page{Users: []map[string]any{}, Number: number, Size: size, Total: s.users, TotalPages: (s.users + size - 1) / size}
	for i := start; i < end; i++ {
		u := p.User(i)
		for ask, fields := range p.Asked {
			if name, value, _ := strings.Cut(ask, "="); q.Get(name) == value {
				maps.Copy(u, fields)
			}
		}
		page.Users = append(page.Users, u)
	}
	next := url.Values{pg.SizeParam: {strconv.Itoa(size)}}
	if more := end < s.users; more && pg.CursorParam != "" {
		page.Next = pg.CursorPrefix + strconv.Itoa(end)
		next.Set(pg.CursorParam, page.Next)
	} else if more {
		next.Set(pg.PageParam, strconv.Itoa(number+1))
	}
	base := "http://" + r.Host + r.URL.Path
	h := w.Header()
	if pg.LinkSelf {
		h.Add("Link", fmt.Sprintf(`<%s?%s>; rel="self"`, base, r.URL.RawQuery))
	}
	if pg.Link && end < s.users {
		link := fmt.Sprintf(`<%s?%s>; rel="next"`, base, next.Encode())
		if pg.LinkLast {
			last := url.Values{pg.SizeParam: {strconv.Itoa(size)}, pg.PageParam: {strconv.Itoa(page.TotalPages)}}
			link += fmt.Sprintf(`, <%s?%s>; rel="last"`, base, last.Encode())
		}
		h.Add("Link", link)
	}
	if rl := p.RateLimit; rl != nil {
		h.Set(rl.Prefix+"-Limit", strconv.Itoa(rl.Limit))
		h.Set(rl.Prefix+"-Remaining", strconv.Itoa(rl.Remaining))
		h.Set(rl.Prefix+"-Reset", strconv.FormatInt(time.Now().Add(rl.Reset).Unix(), 10))
	}
	json.NewEncoder(w).Encode(p.Envelope(page))
}
