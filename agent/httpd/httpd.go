// Package httpd is the agent's own HTTP endpoint ([http] in the config):
// GET /healthz (the process is up), GET /readyz (the config is loaded,
// the store opens and no integration is failed) and GET /metrics
// (Prometheus). Other parts of the agent mount their handlers on the same
// server with Handle (the status page at "/", push ingest at "/ingest/").
//
// The service (`agent run`) serves it beside its schedule; `agent serve`
// serves it alone, read-only, where the service runs on another machine.
package httpd

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/agent/metrics"
	"github.com/agentsync/agent/agent/store"
)

// State is what the handlers read on each request: the config in force
// (a service's reload changes it) and the store. The service's Daemon
// satisfies it.
type State interface {
	Config() *config.Config                          // nil when none is loaded
	Store(ctx context.Context) (*store.Store, error) // an error says why it does not open
}

// Options build a Server.
type Options struct {
	HTTP  config.HTTP // where to listen, and TLS
	State State
	// Metrics is served at /metrics; nil serves none there.
	Metrics *metrics.Metrics
	// ReadOnly marks a server that must change nothing (`agent serve`):
	// mounted handlers ask it with Server.ReadOnly and offer no action.
	ReadOnly bool
	Logger   *slog.Logger // nil discards
	// Now is the clock of the readiness check; nil uses time.Now.
	Now func() time.Time
}

// Timeouts of the server. A handler that streams or takes a long upload
// extends its own deadlines (http.NewResponseController).
const (
	ReadHeaderTimeout = 10 * time.Second
	ReadTimeout       = 5 * time.Minute
	WriteTimeout      = 5 * time.Minute
	IdleTimeout       = 2 * time.Minute
	MaxHeaderBytes    = 64 << 10
	// ShutdownWait bounds how long Serve waits for the requests going on
	// when its context ends.
	ShutdownWait = 5 * time.Second
)

// Server is the endpoint: its handlers, and its listener once Listen
// bound it.
type Server struct {
	o   Options
	mux *http.ServeMux
	log *slog.Logger

	mu sync.Mutex
	ln net.Listener
}

// New builds the server with /healthz, /readyz and, when o.Metrics is
// set, /metrics.
func New(o Options) *Server {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Server{o: o, mux: http.NewServeMux(), log: o.Logger}
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	if o.Metrics != nil {
		s.mux.Handle("GET /metrics", o.Metrics.Handler())
	}
	return s
}

// Handle mounts h at pattern (http.ServeMux patterns: "/" for the status
// page, "/ingest/" for push ingest, "POST /x" for a method). Mount before
// Serve; a pattern that conflicts with one already mounted panics, as
// ServeMux does.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// Handler is every mounted handler: what Serve serves, for tests.
func (s *Server) Handler() http.Handler { return s.mux }

// State is the state the server reads, for mounted handlers.
func (s *Server) State() State { return s.o.State }

// Logger is the server's logger, for mounted handlers.
func (s *Server) Logger() *slog.Logger { return s.log }

// ReadOnly reports whether the server must change nothing.
func (s *Server) ReadOnly() bool { return s.o.ReadOnly }

// Listen binds the configured address (and loads the TLS certificate
// when there is one), so that a caller learns at once that the port is
// taken. Serve calls it when the caller did not.
func (s *Server) Listen() (net.Addr, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		return s.ln.Addr(), nil
	}
	h := s.o.HTTP
	if !h.Enabled() {
		return nil, errors.New(`http: http.listen is "": the endpoint is off`)
	}
	ln, err := net.Listen("tcp", h.Listen)
	if err != nil {
		return nil, fmt.Errorf("http: listen on %s (http.listen): %w", h.Listen, err)
	}
	if h.TLS() {
		cert, err := tls.LoadX509KeyPair(h.TLSCert, h.TLSKey)
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("http: TLS certificate %s and key %s (http.tls_cert, http.tls_key): %w", h.TLSCert, h.TLSKey, err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"h2", "http/1.1"}})
	}
	s.ln = ln
	return ln.Addr(), nil
}

// Serve listens (unless Listen did) and serves until ctx ends, then shuts
// down gracefully, waiting at most ShutdownWait for the requests going
// on. It returns nil after a shutdown, and an error when it could not
// listen or serving failed.
func (s *Server) Serve(ctx context.Context) error {
	addr, err := s.Listen()
	if err != nil {
		return err
	}
	s.mu.Lock()
	ln := s.ln
	s.mu.Unlock()
	srv := &http.Server{
		Handler:           s.mux,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		// The server's own complaints (a scanner's TLS handshake, a
		// client that hung up) are noise at the default level.
		ErrorLog:    slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	scheme := "http"
	if s.o.HTTP.TLS() {
		scheme = "https"
	}
	s.log.Info("serving health, readiness and metrics", "url", scheme+"://"+addr.String(), "read_only", s.o.ReadOnly)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("http: serving %s: %w", addr, err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownWait)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	<-done
	s.log.Info("stopped serving", "url", scheme+"://"+addr.String())
	return nil
}
