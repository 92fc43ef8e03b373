// Package metrics is the agent's Prometheus registry: what the runs did
// (counted as they end, in this process), what their vendors' HTTP
// traffic looked like, and what the store says at scrape time (the last
// success of each integration, the delivery queues). GET /metrics serves
// it (package httpd).
//
// Label values are bounded: integration and destination names come from
// the config, outcome, kind and operation from fixed sets, and host is a
// vendor's host[:port] without path or query. No user name, no URL.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"runtime"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/agent/engine"
	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/vendors/web"
)

// Namespace prefixes every metric of the agent's own.
const Namespace = "agent"

// Operations of agent_records_total, and kinds.
const (
	OpCreated     = "created"
	OpUpdated     = "updated"
	OpDeactivated = "deactivated"
	OpReactivated = "reactivated"

	KindPerson   = "person"
	KindSaaSUser = "saas_user"
)

// DurationBuckets are agent_run_duration_seconds' buckets: from a small
// file (a fraction of a second) to a million-user resync (hours).
var DurationBuckets = []float64{0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400}

// Source is what the metrics read at scrape time: the config in force
// and the store.
type Source interface {
	Config() *config.Config                          // nil when none is loaded
	Store(ctx context.Context) (*store.Store, error) // an error says why it does not open
}

// Metrics holds the registry and the collectors the runs feed. A nil
// *Metrics records nothing.
type Metrics struct {
	reg      *prometheus.Registry
	runs     *prometheus.CounterVec
	duration *prometheus.HistogramVec
	records  *prometheus.CounterVec
	requests *prometheus.CounterVec
	retries  *prometheus.CounterVec
	limited  *prometheus.CounterVec
	log      *slog.Logger

	mu    sync.Mutex
	hosts map[string]bool // integration + "\x00" + host, bounded by maxHosts
}

// maxHosts bounds the vendor hosts counted per process: an integration
// talks to its users and token URLs' hosts, a handful. Past the bound a
// host is counted as "other", so that no series can grow without end.
const maxHosts = 256

// OtherHost is the host label past maxHosts.
const OtherHost = "other"

// New builds the registry: the agent's metrics, build info for version,
// and the Go runtime's and the process's. src is read at every scrape;
// log receives what failed to be read (nil discards).
func New(version string, src Source, log *slog.Logger) *Metrics {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	byIntegration := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help},
			append([]string{"integration"}, labels...))
	}
	m := &Metrics{
		reg:  prometheus.NewRegistry(),
		runs: byIntegration("runs_total", "Runs that ended, by integration and outcome (success, failed, cancelled, skipped).", "outcome"),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "run_duration_seconds",
			Help: "How long runs took, from the start of the fetch to the recorded end, by integration and outcome.", Buckets: DurationBuckets},
			[]string{"integration", "outcome"}),
		records: byIntegration("records_total", "Records changed by successful runs, by integration, kind (person, saas_user, application, invoice, contract) and operation (created, updated, deactivated, reactivated).",
			"kind", "operation"),
		requests: byIntegration("vendor_requests_total", "HTTP requests to vendors (each attempt), by integration and host.", "host"),
		retries:  byIntegration("vendor_retries_total", "HTTP requests to vendors that were retried (429, 5xx, connection errors), by integration and host.", "host"),
		limited:  byIntegration("vendor_rate_limited_total", "HTTP 429 answers from vendors, by integration and host.", "host"),
		log:      log,
		hosts:    map[string]bool{},
	}
	build := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: "build_info",
		Help:        "Always 1: the agent's version and the Go version it was built with.",
		ConstLabels: prometheus.Labels{"version": version, "goversion": runtime.Version()}})
	build.Set(1)
	m.reg.MustRegister(m.runs, m.duration, m.records, m.requests, m.retries, m.limited, build,
		&storeCollector{src: src, log: log},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Gatherer is the registry, for tests and for serving it elsewhere.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.reg }

// Handler serves the registry in the Prometheus text format (or
// OpenMetrics when asked). A collector that fails is logged and left
// out; the rest is served.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(m.log.Handler(), slog.LevelError),
		ErrorHandling: promhttp.ContinueOnError,
	})
}

// RunFinished counts a run that ended (the runner calls it). Dry runs
// are not counted: they change nothing. Records count for successful
// runs only: a run that failed applied nothing.
func (m *Metrics) RunFinished(rep engine.Report) {
	if m == nil || rep.DryRun || rep.Integration == "" {
		return
	}
	m.runs.WithLabelValues(rep.Integration, rep.Outcome).Inc()
	if rep.Outcome != store.OutcomeSkipped {
		m.duration.WithLabelValues(rep.Integration, rep.Outcome).Observe(max(rep.FinishedAt.Sub(rep.StartedAt).Seconds(), 0))
	}
	if rep.Outcome != store.OutcomeSuccess {
		return
	}
	kind := KindPerson
	if rep.Kind != "" {
		kind = string(rep.Kind) // application, invoice, contract
	}
	m.count(rep.Integration, kind, rep.Counts)
	if rep.SaaSCounts != nil {
		m.count(rep.Integration, KindSaaSUser, *rep.SaaSCounts)
	}
}

func (m *Metrics) count(integration, kind string, c store.Counts) {
	for op, n := range map[string]int{OpCreated: c.Created, OpUpdated: c.Updated, OpDeactivated: c.Deactivated, OpReactivated: c.Reactivated} {
		// Add(0) too: the series exists from the first run on, so that
		// rate() sees the first change.
		m.records.WithLabelValues(integration, kind, op).Add(float64(n))
	}
}

// VendorHTTP returns what counts the integration's vendor HTTP traffic:
// vendors.Config.ObserveHTTP. It is nil for a nil *Metrics.
func (m *Metrics) VendorHTTP(integration string) func(event, host string) {
	if m == nil {
		return nil
	}
	return func(event, host string) {
		host = m.host(integration, host)
		switch event {
		case web.EventRequest:
			m.requests.WithLabelValues(integration, host).Inc()
		case web.EventRetry:
			m.retries.WithLabelValues(integration, host).Inc()
		case web.EventRateLimited:
			m.limited.WithLabelValues(integration, host).Inc()
		}
	}
}

// host returns the label of a vendor host: itself while fewer than
// maxHosts were seen, else OtherHost.
func (m *Metrics) host(integration, host string) string {
	k := integration + "\x00" + host
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.hosts[k] {
		return host
	}
	if len(m.hosts) >= maxHosts {
		return OtherHost
	}
	m.hosts[k] = true
	return host
}
