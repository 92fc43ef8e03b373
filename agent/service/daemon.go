package service

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/agent/deliver"
	"github.com/agentsync/agent/agent/httpd"
	"github.com/agentsync/agent/agent/metrics"
	"github.com/agentsync/agent/agent/notify"
	"github.com/agentsync/agent/agent/runner"
	"github.com/agentsync/agent/agent/scheduler"
	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/vendors"
)

// SecretsOpener opens the credential store a config names; the returned
// close func is never nil.
type SecretsOpener func(ctx context.Context, cfg *config.Config) (vendors.SecretSource, func(), error)

// Daemon is the service's body, `agent run`: it runs every integration on
// its schedule, tells the contacts, re-reads the config when told to or
// when the file changes, and stops cleanly when its context ends.
type Daemon struct {
	ConfigPath  string // absolute
	UserAgent   string // "agent/<version>"
	Stderr      io.Writer
	OpenSecrets SecretsOpener
	// Serve, when set, serves the opened credential store to the CLI
	// (`agent credentials set` through the service) until ctx ends.
	Serve func(ctx context.Context, secrets vendors.SecretSource, dataDir string) error
	// Sink, when set, receives the log instead of Stderr (the Windows
	// Event Log when running as a service).
	Sink    slog.Handler
	Clock   clockwork.Clock // nil: the real clock
	Poll    time.Duration   // how often the config file is checked; default 2s
	Options scheduler.Options
	// HTTP serves [http] while the daemon runs: health, readiness,
	// metrics (the runs feed them) and what Mount adds. `agent run` sets
	// it; without it the daemon listens on nothing and keeps no metrics.
	HTTP bool
	// Mount, when set, mounts more handlers on the HTTP endpoint before
	// it serves (the status page at "/", push ingest at "/ingest/").
	Mount func(*httpd.Server)
	// Version is the agent's, for the build-info metric.
	Version string

	mu       sync.Mutex
	cur      *generation
	level    slog.LevelVar
	log      *slog.Logger
	st       *store.Store
	secrets  vendors.SecretSource
	delivery *notify.Delivery
	sched    *scheduler.Scheduler
	reload   chan struct{}
	ready    chan struct{}
	once     sync.Once
	watch    fileState
	rejected string // the hash of the last content rejected
	metrics  *metrics.Metrics
}

// generation is what one loaded config gives the daemon.
type generation struct {
	cfg      *config.Config
	hash     string
	loadedAt time.Time
	runner   *runner.Runner
}

func (d *Daemon) init() {
	d.once.Do(func() {
		d.reload = make(chan struct{}, 1)
		d.ready = make(chan struct{})
		if d.Clock == nil {
			d.Clock = clockwork.NewRealClock()
		}
		if d.Poll <= 0 {
			d.Poll = 2 * time.Second
		}
	})
}

// Ready is closed once the daemon schedules its integrations.
func (d *Daemon) Ready() <-chan struct{} {
	d.init()
	return d.ready
}

// Reload asks the daemon to re-read its config (SIGHUP does the same).
func (d *Daemon) Reload() {
	d.init()
	select {
	case d.reload <- struct{}{}:
	default:
	}
}

// Config is the config the daemon runs on: the last good one.
func (d *Daemon) Config() *config.Config {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cur.cfg
}

// NextRun is an integration's next scheduled time, zero when it has none.
func (d *Daemon) NextRun(name string) time.Time {
	return d.sched.NextRun(name)
}

// Run runs until ctx ends. An invalid config at start is returned as is
// (a *config.Error); afterwards an invalid edit is logged, put in the inbox
// and ignored.
func (d *Daemon) Run(ctx context.Context) error {
	d.init()
	data, hash, err := readConfig(d.ConfigPath)
	if err != nil {
		return err
	}
	cfg, err := config.Parse(d.ConfigPath, data)
	if err != nil {
		return err
	}
	d.watch = fileState{hash: hash}
	d.log = d.logger(cfg)
	d.log.Info("agent starting", "config", d.ConfigPath, "data_dir", cfg.Agent.DataDir, "user_agent", d.UserAgent)

	d.st, err = store.Open(ctx, cfg.Agent.DataDir)
	if err != nil {
		return err
	}
	defer d.st.Close()
	secrets, closeSecrets, err := d.OpenSecrets(ctx, cfg)
	if err != nil {
		// Integrations without a credential, and the inbox, still work.
		d.log.Error("the credential store could not be opened; runs that need a credential fail", "error", err)
		secrets, closeSecrets = nil, func() {}
	}
	defer closeSecrets()
	d.secrets = secrets

	bg, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	defer wg.Wait()
	defer stopBackground()

	d.delivery = &notify.Delivery{Store: d.st, Clock: d.Clock, Logger: d.log.With("component", "email")}
	if d.HTTP {
		d.metrics = metrics.New(d.Version, d, d.log.With("component", "metrics"))
	}
	gen := d.generation(cfg, hash)
	d.cur = gen
	// Before any run of ours: a run left "running" is a crash's.
	if err := gen.runner.RecoverInterrupted(ctx); err != nil {
		d.log.Error("recording the runs interrupted by the agent stopping failed", "error", err)
	}
	opt := d.Options
	opt.Clock, opt.Logger, opt.MaxParallel = d.Clock, d.log, cfg.Agent.MaxParallelRuns
	d.sched, err = scheduler.New(gen.runner, opt)
	if err != nil {
		return err
	}
	wg.Go(func() { d.delivery.Run(bg) })
	if d.Serve != nil && secrets != nil {
		wg.Go(func() {
			if err := d.Serve(bg, secrets, cfg.Agent.DataDir); err != nil {
				d.log.Error("the credentials channel is not served; `agent credentials set` writes the keyring directly", "error", err)
			}
		})
	}
	wg.Go(func() { d.sched.Watch(bg) })
	wg.Go(func() { d.deliveries(bg) })
	if d.HTTP {
		d.serveHTTP(bg, cfg, &wg)
	}
	d.sched.CatchUp(ctx)
	stopSignals := d.notifySignals()
	defer stopSignals()
	removeReloadRequest(cfg.Agent.DataDir)
	d.logSchedule(cfg)
	close(d.ready)

	tick := d.Clock.NewTicker(d.Poll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			d.log.Info("agent stopping: cancelling the runs going on")
			if err := d.sched.Stop(); err != nil {
				d.log.Error("stopping the scheduler", "error", err)
			}
			d.log.Info("agent stopped")
			return nil
		case <-d.reload:
			d.reloadConfig(ctx, true)
		case <-tick.Chan():
			if dir := d.Config().Agent.DataDir; reloadRequested(dir) {
				d.reloadConfig(ctx, true)
				removeReloadRequest(dir)
			} else if d.watch.changed(d.ConfigPath) {
				d.reloadConfig(ctx, false)
			}
		}
	}
}

// generation wires a loaded config to the daemon's store, credentials and
// delivery.
func (d *Daemon) generation(cfg *config.Config, hash string) *generation {
	n := &notify.Notifier{Config: cfg, Store: d.st, Logger: d.log, Queued: func(int64) { d.delivery.Kick() }}
	var m *notify.Mailer
	if cfg.SMTP.Host != "" {
		m = &notify.Mailer{SMTP: cfg.SMTP, Secrets: d.secrets}
	}
	d.delivery.SetMailer(m)
	dl := &deliver.Deliverer{Config: cfg, Store: d.st, Secrets: d.secrets, Logger: d.log, UserAgent: d.UserAgent, Version: strings.TrimPrefix(d.UserAgent, "agent/"), Notifier: n}
	r := &runner.Runner{Config: cfg, Store: d.st, Logger: d.log, Secrets: d.secrets, UserAgent: d.UserAgent, Notifier: n, Deliverer: dl}
	if d.metrics != nil {
		r.Observer = d.metrics
	}
	return &generation{cfg: cfg, hash: hash, loadedAt: d.Clock.Now(), runner: r}
}

func (d *Daemon) logSchedule(cfg *config.Config) {
	for _, in := range cfg.Integrations {
		if next := d.sched.NextRun(in.Name); !next.IsZero() {
			d.log.Info("scheduled", "integration", in.Name, "schedule", in.Schedule.String(), "next_run", next.In(cfg.Location).Format(time.RFC3339), "state", in.State())
		} else {
			d.log.Info("not scheduled", "integration", in.Name, "schedule", in.Schedule.String(), "state", in.State())
		}
	}
}

// logger writes to Sink or Stderr in the config's format, at its level.
func (d *Daemon) logger(cfg *config.Config) *slog.Logger {
	d.setLevel(cfg)
	if d.Sink != nil {
		return slog.New(leveled{d.Sink, &d.level})
	}
	opts := &slog.HandlerOptions{Level: &d.level}
	if cfg.Agent.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(d.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(d.Stderr, opts))
}

// setLevel applies log_level; a reload may change it.
func (d *Daemon) setLevel(cfg *config.Config) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.Agent.LogLevel)); err == nil {
		d.level.Set(level)
	}
}

// leveled filters a handler by a level that a reload may change.
type leveled struct {
	slog.Handler
	level slog.Leveler
}

func (l leveled) Enabled(ctx context.Context, lv slog.Level) bool {
	return lv >= l.level.Level() && l.Handler.Enabled(ctx, lv)
}
func (l leveled) WithAttrs(a []slog.Attr) slog.Handler {
	return leveled{l.Handler.WithAttrs(a), l.level}
}
func (l leveled) WithGroup(g string) slog.Handler { return leveled{l.Handler.WithGroup(g), l.level} }
