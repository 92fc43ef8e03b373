package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sync"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/agent/httpd"
	"github.com/agentsync/agent/agent/httpd/page"
	"github.com/agentsync/agent/agent/ingest"
	"github.com/agentsync/agent/agent/metrics"
	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/vendors"
)

func init() {
	commands["serve"] = cmdServe
}

// mountHandlers mounts, beside health, readiness and metrics, the
// handlers of the HTTP endpoint of `agent run` and of `agent serve`: the
// status page at "/" and, where the state is the service's (it can run
// and holds the keyring), push ingest at "/ingest/" and the page's Run
// now button. `agent serve` (srv.ReadOnly()) gets a page that only reads.
func mountHandlers(srv *httpd.Server) {
	state := srv.State()
	live, _ := state.(liveState)
	if srv.ReadOnly() {
		live = nil
	}
	log := srv.Logger()
	// The page opens to whoever can read data_dir/http.token (agent page):
	// the service makes it; agent serve only reads it.
	dataDir := state.Config().Agent.DataDir
	token := func() (string, error) { return httpd.PageToken(dataDir, !srv.ReadOnly()) }
	if _, err := token(); err != nil {
		log.Warn("the status page stays closed until its token can be read", "error", err)
	}
	srv.Handle("/", httpd.SignIn(token, &onStore{state: state, build: func(st *store.Store) http.Handler {
		d := page.Deps{Config: state.Config, Store: st, Logger: log.With("component", "page")}
		if live != nil {
			d.RunNow = live.RunNow
		}
		return page.Handler(d)
	}}))
	if live == nil {
		return
	}
	srv.Handle(ingest.Prefix, &onStore{state: state, build: func(st *store.Store) http.Handler {
		return ingest.Handler(ingest.Deps{Config: state.Config, Store: st, Secrets: live.Secrets(), Deliver: live.Deliver,
			Logger: log.With("component", "ingest")})
	}})
}

// liveState is what the service's state adds to httpd.State: runs,
// the keyring, deliveries (service.Daemon).
type liveState interface {
	RunNow(ctx context.Context, integration string) error
	Secrets() vendors.SecretSource
	Deliver(ctx context.Context, integration string)
}

// onStore builds its handler the first time the store opens (`agent
// serve` may start before the service has made one); until then it
// answers 503 with the reason.
type onStore struct {
	state httpd.State
	build func(*store.Store) http.Handler
	mu    sync.Mutex
	h     http.Handler
}

func (o *onStore) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	if o.h == nil {
		st, err := o.state.Store(r.Context())
		if err != nil {
			o.mu.Unlock()
			http.Error(w, "the store is not readable yet: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		o.h = o.build(st)
	}
	h := o.h
	o.mu.Unlock()
	h.ServeHTTP(w, r)
}

// cmdServe serves [http] alone and read-only: health, readiness and
// metrics read from the config and the store, for a machine where the
// service runs elsewhere (the store a replica or a shared mount). It runs
// nothing and writes nothing; the run counters of /metrics are the
// service's own, so here only the series read from the store are there.
// It serves until interrupted.
func cmdServe(ctx context.Context, a *app, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	if err := parseFlags(fs, args, "it serves the whole config's health, readiness and metrics"); err != nil {
		return err
	}
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	if !cfg.HTTP.Enabled() {
		return usagef(`serve: http.listen is "" in %s: nothing to serve (set it in [http], e.g. listen = %q)`, a.configPath, config.DefaultListen)
	}
	state := &readOnlyState{cfg: cfg}
	defer state.close()
	log := a.logger(cfg)
	m := metrics.New(version, state, log.With("component", "metrics"))
	srv := httpd.New(httpd.Options{HTTP: cfg.HTTP, State: state, Metrics: m, ReadOnly: true, Logger: log.With("component", "http")})
	mountHandlers(srv)
	return srv.Serve(ctx)
}

// readOnlyState is `agent serve`'s httpd.State: the config it started
// with, and the store opened read-only once it exists (a store that does
// not exist yet is not ready, and is looked for again at the next
// request, never created).
type readOnlyState struct {
	cfg *config.Config
	mu  sync.Mutex
	st  *store.Store
}

func (s *readOnlyState) Config() *config.Config { return s.cfg }

func (s *readOnlyState) Store(ctx context.Context) (*store.Store, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st != nil {
		return s.st, nil
	}
	path := filepath.Join(s.cfg.Agent.DataDir, store.FileName)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("store: %s does not exist: has the service run with data_dir %s?", path, s.cfg.Agent.DataDir)
	}
	st, err := store.OpenReadOnly(ctx, s.cfg.Agent.DataDir)
	if err != nil {
		return nil, err
	}
	s.st = st
	return st, nil
}

func (s *readOnlyState) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st != nil {
		s.st.Close()
	}
}
