package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/agent/deliver"
	"github.com/agentsync/agent/agent/store"
)

// scrapeTimeout bounds the store reads of one scrape.
const scrapeTimeout = 10 * time.Second

var (
	lastSuccessDesc = prometheus.NewDesc(Namespace+"_last_success_timestamp_seconds",
		"When the last successful run of the integration ended (Unix time), from the store; absent until one succeeded.",
		[]string{"integration"}, nil)
	queuedDesc = prometheus.NewDesc(Namespace+"_delivery_queued_records",
		"Records queued for a destination and not yet acknowledged, by destination and integration, from the store.",
		[]string{"destination", "integration"}, nil)
)

// storeCollector reads the store at scrape time: so the series are right
// after a restart, and `agent serve`, which runs nothing, has them too.
type storeCollector struct {
	src Source
	log *slog.Logger

	mu     sync.Mutex
	counts map[queueKey]queueCount // the last count of each queue
}

// Counting a long queue reads every change in it; a queue whose marks
// did not move since the last scrape has the same count, kept here.
type queueKey struct {
	dest        *config.Destination // a reload makes new ones: counted again
	integration string
}

type queueCount struct {
	queued, acked store.Marks
	snapshot      bool
	n             int
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- lastSuccessDesc
	ch <- queuedDesc
}

// Collect sends what it could read; what it could not is sent as an
// invalid metric, which the handler logs and leaves out.
func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	cfg := c.src.Config()
	if cfg == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	st, err := c.src.Store(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(lastSuccessDesc, err)
		return
	}
	// Counting a queue needs no credential: none is given.
	dl := &deliver.Deliverer{Config: cfg, Store: st, Logger: c.log}
	for _, in := range cfg.Integrations {
		r, err := st.LastRun(ctx, in.Name, store.OutcomeSuccess)
		switch {
		case err == nil && !r.FinishedAt.IsZero():
			ch <- prometheus.MustNewConstMetric(lastSuccessDesc, prometheus.GaugeValue, float64(r.FinishedAt.UnixMilli())/1e3, in.Name)
		case err != nil && !errors.Is(err, store.ErrNotFound):
			ch <- prometheus.NewInvalidMetric(lastSuccessDesc, err)
		}
		for _, dn := range in.Destinations {
			dc, ok := cfg.Destination(dn)
			if !ok {
				continue
			}
			n, err := c.queued(ctx, dl, st, in, dc)
			if err != nil {
				ch <- prometheus.NewInvalidMetric(queuedDesc, fmt.Errorf("queue of %s for %s: %w", in.Name, dn, err))
				continue
			}
			ch <- prometheus.MustNewConstMetric(queuedDesc, prometheus.GaugeValue, float64(n), dn, in.Name)
		}
	}
}

// queued is dl.Queued, from the last count while the queue's marks stay.
func (c *storeCollector) queued(ctx context.Context, dl *deliver.Deliverer, st *store.Store, in *config.Integration, dc *config.Destination) (int, error) {
	ds, err := st.Delivery(ctx, dc.Name, in.Name)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	k := queueKey{dc, in.Name}
	c.mu.Lock()
	last, ok := c.counts[k]
	c.mu.Unlock()
	if ok && last.queued == ds.Queued && last.acked == ds.Acked && last.snapshot == ds.Snapshot {
		return last.n, nil
	}
	n, err := dl.Queued(ctx, in, dc)
	if err != nil {
		return 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.counts == nil || len(c.counts) > 1024 { // reloads leave old keys behind
		c.counts = map[queueKey]queueCount{}
	}
	c.counts[k] = queueCount{queued: ds.Queued, acked: ds.Acked, snapshot: ds.Snapshot, n: n}
	return n, nil
}
