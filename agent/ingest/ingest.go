// Package ingest serves push ingest: the records of an integration with
// vendor = "ingest" are pushed to the agent over HTTP instead of fetched.
//
//	POST   /ingest/{integration}        one record (a JSON object) or a JSON array of them
//	DELETE /ingest/{integration}/{key}  deactivate the record with that key
//
// Both take the integration's ingest key in X-Ingest-Key (the api_key
// credential the integration names), and ?event= and ?actor=, which the
// change history shows. Every record is validated against the
// integration's [[schema]] and mapped before anything is written: a push
// is applied whole or not at all, as one run of trigger "push" (package
// engine), through filter, mapping, preference and the store like a
// fetched page, and queued for the integration's destinations. A push
// never deactivates a record it does not list.
//
// Answers are JSON: {"error": "..."} for a refusal (with "pointer", and
// "record" for a bulk, on 422), the run's id and counts on success.
// Neither the key nor a record's contents are ever logged.
package ingest

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/agent/engine"
	"github.com/agentsync/agent/agent/runner"
	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/credentials"
	"github.com/agentsync/agent/internal/filelock"
	ingestvendor "github.com/agentsync/agent/vendors/ingest"
)

// Prefix is where the handler is mounted.
const Prefix = "/ingest/"

// KeyHeader carries the ingest key.
const KeyHeader = "X-Ingest-Key"

// Limits of the query parameters, as the seed has them.
const (
	maxEvent = 100
	maxActor = 1000
)

// Deps is what the handler needs of the agent.
type Deps struct {
	// Config returns the current config (it may be reloaded between
	// requests).
	Config  func() *config.Config
	Store   *store.Store
	Secrets interface {
		Get(ctx context.Context, name string) (credentials.Secret, error)
	}
	Logger *slog.Logger
	// Deliver, when set, is called after a push changed records, in a
	// goroutine of its own with a context that outlives the request, to
	// deliver to the integration's destinations.
	Deliver func(ctx context.Context, integration string)
	// Now is the clock of the rate limit and the key cache; nil is
	// time.Now.
	Now func() time.Time
}

// Handler serves POST and DELETE under Prefix.
func Handler(d Deps) http.Handler {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &handler{Deps: d, limits: newLimiter(d.Now), keys: map[string]cachedKey{}, busy: map[string]*sync.Mutex{}}
}

type handler struct {
	Deps
	limits *limiter

	mu   sync.Mutex
	keys map[string]cachedKey // by credential name
	busy map[string]*sync.Mutex
}

// keyTTL is how long a key read from the keyring is trusted: the file
// backend derives its key at every read, and a rotated key takes effect
// within this time.
const keyTTL = 30 * time.Second

// lockWait bounds the wait for the integration's lock (a run-now of it,
// another process pushing).
const lockWait = 15 * time.Second

type cachedKey struct {
	sum [sha256.Size]byte
	at  time.Time
}

// request is one request's state after routing.
type request struct {
	w     http.ResponseWriter
	r     *http.Request
	in    *config.Integration
	cfg   *config.Config
	key   string // DELETE: the record's key
	event string
	actor string
	log   *slog.Logger
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, key, hasKey, ok := route(r.URL)
	if !ok {
		writeError(w, http.StatusNotFound, "not found: POST "+Prefix+"{integration} or DELETE "+Prefix+"{integration}/{key}")
		return
	}
	switch {
	case r.Method == http.MethodPost && !hasKey, r.Method == http.MethodDelete && hasKey:
	case hasKey:
		w.Header().Set("Allow", http.MethodDelete)
		writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed: DELETE "+Prefix+"{integration}/{key} deactivates a record")
		return
	default:
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed: POST "+Prefix+"{integration} pushes records")
		return
	}
	cfg := h.Config()
	in, found := cfg.Integration(name)
	if !found || !in.PushOnly() {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no ingest integration named %q", name))
		return
	}
	q := &request{w: w, r: r, in: in, cfg: cfg, key: key, log: h.Logger.With("integration", name, "method", r.Method)}
	if !h.authorize(q) || !h.allow(q) || !q.params() {
		return
	}
	if missing := in.Missing(); len(missing) > 0 {
		writeError(w, http.StatusConflict, fmt.Sprintf("integration %s is in draft (missing: %s): it takes no push until the config completes it", name, strings.Join(missing, ", ")))
		return
	}
	if r.Method == http.MethodDelete {
		h.remove(q)
		return
	}
	h.push(q)
}

// route splits /ingest/{integration}[/{key}]; the key may hold an
// escaped "/".
func route(u *url.URL) (name, key string, hasKey, ok bool) {
	rest, found := strings.CutPrefix(u.EscapedPath(), Prefix)
	if !found {
		return "", "", false, false
	}
	rawName, rawKey, hasKey := strings.Cut(rest, "/")
	var err error
	if name, err = url.PathUnescape(rawName); err != nil || name == "" {
		return "", "", false, false
	}
	if hasKey {
		if key, err = url.PathUnescape(rawKey); err != nil || key == "" {
			return "", "", false, false
		}
	}
	return name, key, hasKey, true
}

// authorize checks X-Ingest-Key against the integration's credential, in
// constant time. A missing and a wrong key get the same answer.
func (h *handler) authorize(q *request) bool {
	given := q.r.Header.Get(KeyHeader)
	want, err := h.key(q.r.Context(), q.in)
	if err != nil {
		// The admin's problem, told in the log; the pusher learns nothing.
		q.log.Error("ingest key unreadable: no push is accepted", "credential", q.in.Credential, "error", err)
		writeError(q.w, http.StatusServiceUnavailable, "the ingest key cannot be checked now; see the agent's log")
		return false
	}
	sum := sha256.Sum256([]byte(given))
	if given == "" || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
		q.log.Warn("ingest key refused", "remote", q.r.RemoteAddr, "key_given", given != "")
		writeError(q.w, http.StatusUnauthorized, "missing or wrong "+KeyHeader)
		return false
	}
	return true
}

// key returns the SHA-256 of the integration's ingest key, from the
// keyring at most every keyTTL. Only the hash is kept.
func (h *handler) key(ctx context.Context, in *config.Integration) ([sha256.Size]byte, error) {
	if in.Credential == "" {
		return [sha256.Size]byte{}, errors.New("the integration names no credential (kind api_key) holding its ingest key")
	}
	now := h.Now()
	h.mu.Lock()
	c, ok := h.keys[in.Credential]
	h.mu.Unlock()
	if ok && now.Sub(c.at) < keyTTL && now.Sub(c.at) >= 0 {
		return c.sum, nil
	}
	if h.Secrets == nil {
		return [sha256.Size]byte{}, errors.New("no credential store")
	}
	sec, err := h.Secrets.Get(ctx, in.Credential)
	if err != nil {
		return [sha256.Size]byte{}, err
	}
	if sec.Kind != credentials.APIKey || sec.Token == "" {
		return [sha256.Size]byte{}, fmt.Errorf("credential %q is of kind %s: an ingest key is an api_key credential", in.Credential, sec.Kind)
	}
	c = cachedKey{sum: sha256.Sum256([]byte(sec.Token)), at: now}
	h.mu.Lock()
	h.keys[in.Credential] = c
	h.mu.Unlock()
	return c.sum, nil
}

// allow takes a token from the key's bucket, or answers 429.
func (h *handler) allow(q *request) bool {
	s := ingestvendor.SettingsOf(q.in.Settings)
	ok, wait := h.limits.allow(q.in.Credential, s.Rate, s.Burst)
	if !ok {
		secs := max(1, int(math.Ceil(wait.Seconds())))
		q.w.Header().Set("Retry-After", strconv.Itoa(secs))
		writeError(q.w, http.StatusTooManyRequests, fmt.Sprintf("rate limit of this ingest key (%g requests a second, burst %d): retry in %d s", s.Rate, s.Burst, secs))
	}
	return ok
}

// params reads ?event= and ?actor=.
func (q *request) params() bool {
	v := q.r.URL.Query()
	q.event, q.actor = v.Get("event"), v.Get("actor")
	switch {
	case len([]rune(q.event)) > maxEvent:
		writeError(q.w, http.StatusBadRequest, fmt.Sprintf("event is longer than %d characters", maxEvent))
	case len([]rune(q.actor)) > maxActor:
		writeError(q.w, http.StatusBadRequest, fmt.Sprintf("actor is longer than %d characters", maxActor))
	default:
		return true
	}
	return false
}

// lock serializes the integration's pushes in this process, and takes the
// integration's run lock against other processes (a run-now, the service).
func (h *handler) lock(q *request) (unlock func(), ok bool) {
	h.mu.Lock()
	m := h.busy[q.in.Name]
	if m == nil {
		m = &sync.Mutex{}
		h.busy[q.in.Name] = m
	}
	h.mu.Unlock()
	m.Lock()
	ctx := q.r.Context()
	deadline := time.Now().Add(lockWait)
	for {
		l, err := filelock.Acquire(q.cfg.Agent.DataDir, q.in.Name)
		if err == nil {
			// A push cut short by a crash left its run "running".
			if _, err := h.Store.FailInterrupted(ctx, q.in.Name); err != nil {
				q.log.Error("interrupted runs", "error", err)
			}
			return func() { l.Release(); m.Unlock() }, true
		}
		if !errors.Is(err, filelock.ErrHeld) || time.Now().After(deadline) || ctx.Err() != nil {
			m.Unlock()
			q.log.Warn("integration busy", "error", err)
			q.w.Header().Set("Retry-After", "5")
			writeError(q.w, http.StatusServiceUnavailable, fmt.Sprintf("integration %s is busy (%v): retry later", q.in.Name, err))
			return nil, false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// remove deactivates one record (DELETE).
func (h *handler) remove(q *request) {
	if !q.in.Deactivate {
		writeError(q.w, http.StatusConflict, fmt.Sprintf("integration %s has deactivate = false: a record cannot be deactivated; set deactivate = true in its config", q.in.Name))
		return
	}
	unlock, ok := h.lock(q)
	if !ok {
		return
	}
	defer unlock()
	rep, err := engine.Deactivate(q.r.Context(), h.Store, runner.Spec(q.in), q.key, engine.PushOptions{Event: q.event, Actor: q.actor, Logger: h.Logger})
	switch {
	case errors.Is(err, engine.ErrNoRecord):
		writeError(q.w, http.StatusNotFound, fmt.Sprintf("integration %s has no record with that key", q.in.Name))
		return
	case errors.Is(err, engine.ErrNotDeactivated):
		writeError(q.w, http.StatusConflict, fmt.Sprintf("integration %s (mode %s) does not deactivate on request: an invoice is never deactivated, and a contract ends by its end date", q.in.Name, q.in.Mode))
		return
	case err != nil:
		h.failed(q, rep, err)
		return
	}
	h.done(q, http.StatusOK, rep)
}

// failed answers a push the store could not apply.
func (h *handler) failed(q *request, rep engine.Report, err error) {
	q.log.Error("push failed", "run_id", rep.RunID, "error", err)
	writeError(q.w, http.StatusInternalServerError, "the push could not be applied (run "+rep.RunID+"); see the agent's log")
}

// done answers a committed push and has its changes delivered.
func (h *handler) done(q *request, code int, rep engine.Report) {
	q.log.Info("push applied", "run_id", rep.RunID, "status", code, "fetched", rep.Counts.Fetched, "created", rep.Counts.Created,
		"updated", rep.Counts.Updated, "deactivated", rep.Counts.Deactivated, "reactivated", rep.Counts.Reactivated)
	writeJSON(q.w, code, result{Integration: rep.Integration, RunID: rep.RunID, Counts: rep.Counts, SaaSCounts: rep.SaaSCounts})
	if h.Deliver != nil && len(q.in.Destinations) > 0 && (changed(rep.Counts) || (rep.SaaSCounts != nil && changed(*rep.SaaSCounts))) {
		go h.Deliver(context.WithoutCancel(q.r.Context()), q.in.Name)
	}
}

func changed(c store.Counts) bool {
	return c.Created+c.Updated+c.Deactivated+c.Reactivated > 0
}

// result is the body of a successful answer.
type result struct {
	Integration string        `json:"integration"`
	RunID       string        `json:"run_id"`
	Counts      store.Counts  `json:"counts"`
	SaaSCounts  *store.Counts `json:"saas_counts,omitempty"`
}

// refusal is the body of an error answer.
type refusal struct {
	Error   string  `json:"error"`
	Pointer *string `json:"pointer,omitempty"` // 422: the JSON pointer of the failing value in the body
	Record  *int    `json:"record,omitempty"`  // 422 of a bulk: the failing record's index, from 0
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, refusal{Error: msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}
