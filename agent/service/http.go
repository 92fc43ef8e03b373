package service

import (
	"context"
	"sync"
	"time"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/agent/engine"
	"github.com/agentsync/agent/agent/httpd"
	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/vendors"
)

// listenRetry is how often the service tries again to listen on an
// address that was taken (a previous instance still stopping, another
// program).
const listenRetry = 30 * time.Second

// Store is the daemon's store, for the HTTP endpoint (httpd.State).
func (d *Daemon) Store(context.Context) (*store.Store, error) { return d.st, nil }

// serveHTTP serves [http] until ctx ends: health, readiness, metrics and
// what Mount adds. An address that is taken, or TLS files that do not
// load, are logged and tried again every listenRetry: the syncs go on
// without the endpoint meanwhile (a probe of /readyz, unanswered, says
// so). [http] is read once: a reload that changes it applies at restart.
func (d *Daemon) serveHTTP(ctx context.Context, cfg *config.Config, wg *sync.WaitGroup) {
	if !cfg.HTTP.Enabled() {
		d.log.Info(`http.listen is "": no health, readiness or metrics endpoint`)
		return
	}
	log := d.log.With("component", "http")
	srv := httpd.New(httpd.Options{HTTP: cfg.HTTP, State: d, Metrics: d.metrics, Logger: log})
	if d.Mount != nil {
		d.Mount(srv)
	}
	wg.Go(func() {
		for failed := false; ; failed = true {
			_, err := srv.Listen()
			if err == nil {
				break
			}
			if !failed {
				log.Error("the HTTP endpoint (health, readiness, metrics) is not served; the syncs go on, and it is tried again every "+listenRetry.String(), "error", err)
			} else {
				log.Debug("the HTTP endpoint is still not served", "error", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-d.Clock.After(listenRetry):
			}
		}
		if err := srv.Serve(ctx); err != nil {
			log.Error("the HTTP endpoint stopped; the syncs go on", "error", err)
		}
	})
}

// RunNow runs the named integration now, as `agent run-now` does, with the
// current config: the status page's button. A run that could not start
// (draft, already running) is the error.
func (d *Daemon) RunNow(ctx context.Context, name string) error {
	_, err := d.generationNow().runner.Run(ctx, name, engine.Options{Trigger: engine.TriggerManual})
	return err
}

// Secrets is the daemon's credential store (nil when it could not open).
func (d *Daemon) Secrets() vendors.SecretSource { return d.secrets }

// Deliver delivers what is queued of the integration now (after a push).
func (d *Daemon) Deliver(ctx context.Context, integration string) {
	if _, err := d.generationNow().runner.Deliverer.Integration(ctx, integration, false); err != nil {
		d.log.Error("delivery after a push", "integration", integration, "error", err)
	}
}

func (d *Daemon) generationNow() *generation {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cur
}
