package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/agent/httpd"
	"github.com/agentsync/agent/agent/metrics"
	"github.com/agentsync/agent/agent/store"
)

func init() {
	commands["serve"] = cmdServe
}

// mountHandlers mounts, beside health, readiness and metrics, the
// handlers of the HTTP endpoint of `agent run` and of `agent serve`
// (srv.ReadOnly(): nothing that changes anything there): the status page
// at "/", push ingest at "/ingest/". srv.State() gives them the config
// and the store.
func mountHandlers(srv *httpd.Server) {}

// cmdServe serves [http] alone and read-only: health, readiness and
// metrics read from the config and the store, for a machine where the
// service runs elsewhere (the store a replica or a shared mount). It runs
// nothing and writes nothing; the run counters of /metrics are the
// service's own, so here only the series read from the store are there.
// It serves until interrupted.
func cmdServe(ctx context.Context, a *app, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	names, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(names) > 0 {
		return usagef("serve takes no names: it serves the whole config's health, readiness and metrics")
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
