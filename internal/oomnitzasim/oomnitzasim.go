// Package oomnitzasim is a loopback Oomnitza tenant for tests and
// benchmarks of the Oomnitza destination: the token check and the bulk
// path that Oomnitza's open-source local connector uses
// (/work/shared/oomnitza-api.md; the request shapes were checked against
// Oomnitza/oomnitza-connector 2026.08.1, connectors/oomnitza.py and
// lib/connector.py). Pure standard library; a *Sim is an http.Handler for
// httptest.NewServer or a small command.
//
// Endpoints (every request needs "Authorization2: <Config.Token>"):
//
//	GET  /api/v2/mappings?name=AuthTest        the token check; carries X-CSRF-Token when Config.CSRFToken is set
//	POST /api/v3/bulk                          one batch ("portion part") of a portion; stored, not applied
//	GET  /api/v3/bulk/{portion}                {"id","finalized","canceled","batches","records",...}
//	POST /api/v3/bulk/{portion}/finalize       body {}: applies the portion's records to the user table
//	POST /api/v3/bulk/{id}/add_ready_portion   a synthetic finished (failed or empty) portion
//
// Every error answers JSON {"error": "<what is wrong>"} with status 400
// (bad body or field), 401 (token), 403 (CSRF), 404 (unknown path,
// mapping or portion), 405, 409 (portion cancelled, already finalized, or
// a part that disagrees with the portion's first part), 413 (body over
// Config.MaxBodyBytes), 415 (POST without application/json) or the status
// of an injected fault (FailWith; 429 and 503 carry Retry-After).
//
// API:
//
//	New(Config) *Sim                  a tenant; *Sim implements http.Handler
//	(*Sim).FailWith(status, n)        the next n requests (n<0: all until FailWith(0,0)) answer status
//	(*Sim).SetRetryAfter(v)           the Retry-After of fault answers ("" = "1" on 429/503, none otherwise)
//	(*Sim).SetLatency(d)              every answer waits d first
//	(*Sim).CancelPortions(on)         while on, every unfinalized portion a request names becomes cancelled (sticky)
//	(*Sim).CancelPortion(id)          cancels one portion (known or not yet seen)
//	(*Sim).Users() / UserCount()      the user table (finalized portions only), keyed by Key(sync-field values)
//	(*Sim).Portions()                 every portion seen, in order of first sight
//	(*Sim).Requests() / RequestLog()  how many requests arrived / the last Config.LogLimit of them
//	(*Sim).Reset()                    forget users, portions, log and knobs
//	Key(values...)                    the Users() key of a user with these sync-field values
//
// A bulk POST is decoded and validated outside every lock and stored as
// its records' raw field values; Config.Discard keeps counts only. On two
// cores, BenchmarkBulk (batches of 100 records with a SaaS user each,
// client in the same process) runs at about 80,000 records/s.
package oomnitzasim

import (
	"encoding/json"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config is the tenant's fixed setup.
type Config struct {
	// Token is the API token accepted in the Authorization2 header; any
	// other value, or none, answers 401 (oomnitza-api.md: Authentication;
	// connector connectors/oomnitza.py get_headers).
	Token string
	// CSRFToken, when set, is sent as X-CSRF-Token on the AuthTest answer
	// and every POST must send it back, else 403 (connector
	// connectors/oomnitza.py: the header is taken from the token check
	// and added to every later request).
	CSRFToken string
	// Discard validates every batch as usual but keeps only counts: no
	// records, no user table (for memory-bounded benchmarks).
	Discard bool
	// MaxBodyBytes bounds a request body (default 10 MiB); larger is 413.
	MaxBodyBytes int64
	// LogLimit is how many requests RequestLog keeps, newest last
	// (default 100000); Requests counts all of them.
	LogLimit int
}

// Portion describes one portion as the tenant saw it.
type Portion struct {
	ID               string
	ConnectorName    string // or the connector_id of managed mode
	ConnectorVersion string
	DataType         string
	SyncField        []string
	InsertOnly       bool
	UpdateOnly       bool
	TestRun          bool
	Batches          int // accepted bulk POSTs (a resent batch counts again)
	Records          int // records in those batches
	ErrorBatches     int // batches that carried "error": their records are kept as errors, never applied
	Error            string
	Finalized        bool
	Cancelled        bool
	// Set by finalize: how the records applied (records of error or
	// test-run batches count in none of them).
	Inserted, Updated, Skipped int
	// Ready marks a synthetic portion from add_ready_portion, with its
	// outcome.
	Ready, Failed, Empty bool
}

// Request is one logged request.
type Request struct {
	Method  string
	Path    string
	Status  int
	Portion string // the portion it named, if any
	Records int    // records in an accepted bulk POST
}

// Sim is a simulated Oomnitza tenant. Its methods are safe for concurrent
// use.
type Sim struct {
	cfg Config

	mu        sync.Mutex // portions and knobs
	portions  map[string]*portion
	order     []string
	cancelAll bool
	failCode  int
	failLeft  int // <0: until cleared
	retryAft  string
	latency   time.Duration

	tmu   sync.Mutex // the user table
	users *table

	nreq atomic.Int64
	lmu  sync.Mutex
	log  []Request // ring of cfg.LogLimit
	lpos int
}

// New returns a tenant with an empty user table.
func New(cfg Config) *Sim {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 10 << 20
	}
	if cfg.LogLimit <= 0 {
		cfg.LogLimit = 100000
	}
	s := &Sim{cfg: cfg}
	s.Reset()
	return s
}

// Reset forgets users, portions, the request log and every knob.
func (s *Sim) Reset() {
	s.mu.Lock()
	s.portions = map[string]*portion{}
	s.order = nil
	s.cancelAll, s.failCode, s.failLeft, s.retryAft, s.latency = false, 0, 0, "", 0
	s.mu.Unlock()
	s.tmu.Lock()
	s.users = newTable()
	s.tmu.Unlock()
	s.lmu.Lock()
	s.log, s.lpos = nil, 0
	s.lmu.Unlock()
	s.nreq.Store(0)
}

// FailWith makes the next n requests (n<0: every request until
// FailWith(0, 0)) answer status before anything else is checked, with
// {"error": "simulated <status>"}. Such requests change nothing.
func (s *Sim) FailWith(status, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if status == 0 || n == 0 {
		s.failCode, s.failLeft = 0, 0
		return
	}
	s.failCode, s.failLeft = status, n
}

// SetRetryAfter sets the Retry-After header of fault answers; "" restores
// the default: "1" on 429 and 503, none on other statuses.
func (s *Sim) SetRetryAfter(v string) {
	s.mu.Lock()
	s.retryAft = v
	s.mu.Unlock()
}

// SetLatency makes every answer wait d (or until the client gives up).
func (s *Sim) SetLatency(d time.Duration) {
	s.mu.Lock()
	s.latency = d
	s.mu.Unlock()
}

// Requests is the number of requests received since New or Reset.
func (s *Sim) Requests() int { return int(s.nreq.Load()) }

// RequestLog returns the last Config.LogLimit requests, oldest first.
func (s *Sim) RequestLog() []Request {
	s.lmu.Lock()
	defer s.lmu.Unlock()
	if len(s.log) < s.cfg.LogLimit {
		return append([]Request(nil), s.log...)
	}
	out := make([]Request, 0, len(s.log))
	out = append(out, s.log[s.lpos:]...)
	return append(out, s.log[:s.lpos]...)
}

func (s *Sim) record(q Request) {
	s.lmu.Lock()
	if len(s.log) < s.cfg.LogLimit {
		s.log = append(s.log, q)
	} else {
		s.log[s.lpos] = q
		s.lpos = (s.lpos + 1) % len(s.log)
	}
	s.lmu.Unlock()
}

type recorder struct {
	http.ResponseWriter
	q *Request
}

func (w *recorder) WriteHeader(code int) {
	if w.q.Status == 0 {
		w.q.Status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(b []byte) (int, error) {
	if w.q.Status == 0 {
		w.q.Status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// ServeHTTP answers one request of the Oomnitza API subset above.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.nreq.Add(1)
	q := Request{Method: r.Method, Path: r.URL.Path}
	rw := &recorder{ResponseWriter: w, q: &q}
	defer func() { s.record(q) }()

	s.mu.Lock()
	lat := s.latency
	code := 0
	if s.failLeft != 0 {
		code = s.failCode
		if s.failLeft > 0 {
			s.failLeft--
		}
	}
	ra := s.retryAft
	s.mu.Unlock()

	if lat > 0 {
		t := time.NewTimer(lat)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			q.Status = 499 // the client went away
			return
		}
	}
	if code != 0 {
		// Faults come first, as from an overloaded front end; the
		// connector (lib/httpadapters.py) retries 429 and 5xx.
		if ra == "" && (code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable) {
			ra = "1"
		}
		if ra != "" {
			rw.Header().Set("Retry-After", ra)
		}
		writeError(rw, code, "simulated "+strconv.Itoa(code))
		return
	}

	// oomnitza-api.md: Authentication — the token travels in
	// Authorization2, never in Authorization.
	if tok := r.Header.Get("Authorization2"); tok == "" || tok != s.cfg.Token {
		msg := "missing or invalid API token in the Authorization2 header"
		if tok == "" && r.Header.Get("Authorization") != "" {
			msg += " (Authorization is not read)"
		}
		writeError(rw, http.StatusUnauthorized, msg)
		return
	}
	if r.Method == http.MethodPost {
		// connector connectors/oomnitza.py: the CSRF token of the token
		// check is sent back on later requests.
		if s.cfg.CSRFToken != "" && r.Header.Get("X-CSRF-Token") != s.cfg.CSRFToken {
			writeError(rw, http.StatusForbidden, "missing or invalid X-CSRF-Token")
			return
		}
		// oomnitza-api.md: Authentication — Content-Type application/json.
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			writeError(rw, http.StatusUnsupportedMediaType, "Content-Type must be application/json")
			return
		}
	}
	s.route(rw, r, &q)
}

func (s *Sim) route(w http.ResponseWriter, r *http.Request, q *Request) {
	p := r.URL.Path
	switch {
	case p == "/api/v2/mappings":
		if !allow(w, r, http.MethodGet) {
			return
		}
		s.mappings(w, r)
	case p == "/api/v3/bulk" || p == "/api/v3/bulk/":
		if !allow(w, r, http.MethodPost) {
			return
		}
		s.bulk(w, r, q)
	case strings.HasPrefix(p, "/api/v3/bulk/"):
		parts := strings.Split(strings.TrimPrefix(p, "/api/v3/bulk/"), "/")
		switch {
		case len(parts) == 1:
			if !allow(w, r, http.MethodGet) {
				return
			}
			s.getPortion(w, parts[0], q)
		case len(parts) == 2 && parts[1] == "finalize":
			if !allow(w, r, http.MethodPost) {
				return
			}
			s.finalize(w, r, parts[0], q)
		case len(parts) == 2 && parts[1] == "add_ready_portion":
			if !allow(w, r, http.MethodPost) {
				return
			}
			s.addReady(w, r, parts[0], q)
		default:
			writeError(w, http.StatusNotFound, "no such endpoint: "+p)
		}
	default:
		writeError(w, http.StatusNotFound, "no such endpoint: "+p)
	}
}

func allow(w http.ResponseWriter, r *http.Request, method string) bool {
	if r.Method == method {
		return true
	}
	w.Header().Set("Allow", method)
	writeError(w, http.StatusMethodNotAllowed, r.Method+" not allowed here; use "+method)
	return false
}

// mappings answers the token check (oomnitza-api.md: Authentication;
// connector connectors/oomnitza.py authenticate). The body is a plausible
// mapping; the connector reads only the status and X-CSRF-Token.
func (s *Sim) mappings(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("name")
	if name != "AuthTest" {
		writeError(w, http.StatusNotFound, "no mapping named "+strconv.Quote(name))
		return
	}
	if s.cfg.CSRFToken != "" {
		w.Header().Set("X-CSRF-Token", s.cfg.CSRFToken)
	}
	writeJSON(w, http.StatusOK, map[string]any{"name": "AuthTest", "mappings": map[string]any{}})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}
