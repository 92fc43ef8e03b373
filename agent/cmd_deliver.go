package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/agent/deliver"
	"github.com/agentsync/agent/agent/engine"
	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/destinations"
)

// runNowRetries bounds the retry waits of run-now's deliveries (DESIGN:
// "at most about 20 s of retries").
const runNowRetries = 20 * time.Second

// deliverer is the CLI's Deliverer over an open store and keyring.
func (a *app) deliverer(cfg *config.Config, st *store.Store, secrets destinations.SecretSource, h destinations.HTTP) *deliver.Deliverer {
	return &deliver.Deliverer{Config: cfg, Store: st, Secrets: secrets, Logger: a.logger(cfg),
		UserAgent: "agent/" + version, Version: version, HTTP: h}
}

func cmdDeliver(ctx context.Context, a *app, args []string) error {
	fs := flag.NewFlagSet("deliver", flag.ContinueOnError)
	full := fs.Bool("full", false, "first queue a snapshot of every record")
	asJSON := fs.Bool("json", false, "one JSON object per integration per line")
	verbose := fs.Bool("verbose", false, "log what the deliveries do on stderr, at [agent] log_level (else warnings and errors only)")
	names, cfg, err := a.parseWithConfig(fs, args)
	a.quiet = !*verbose
	if err != nil {
		return err
	}
	delivers := func(in *config.Integration) bool { return len(in.Destinations) > 0 }
	for _, n := range names {
		if in, ok := cfg.Integration(n); ok && !delivers(in) {
			return usagef("integration %s has no destinations (integration.destinations in %s)", n, a.configPath)
		}
	}
	w, names, err := a.openWork(ctx, cfg, names, delivers, "has no integration with destinations; nothing to deliver", destinations.HTTP{})
	if w == nil {
		return err
	}
	defer w.close(ctx)
	failed := false
	for _, name := range names {
		res, err := w.deliverer.Integration(ctx, name, *full)
		if err != nil {
			return err
		}
		out := make(map[string]engine.Delivery, len(res))
		for dn, r := range res {
			out[dn] = engine.Delivery{Sent: r.Sent, Queued: r.Queued, Error: r.Error}
			failed = failed || r.Err != nil
		}
		if *asJSON {
			if err := a.printJSON(map[string]any{"integration": name, "delivery": out}); err != nil {
				return err
			}
			continue
		}
		printDeliveries(a.stdout, name, out)
	}
	if failed {
		return errSilent
	}
	return nil
}

// printDeliveries writes one line per destination.
func printDeliveries(w io.Writer, integration string, res map[string]engine.Delivery) {
	for _, dn := range slices.Sorted(maps.Keys(res)) {
		r := res[dn]
		if r.Error != "" {
			fmt.Fprintf(w, "%s -> %s: delivery failed: %s; %d sent, %d queued\n", integration, dn, r.Error, r.Sent, r.Queued)
			continue
		}
		fmt.Fprintf(w, "%s -> %s: %d sent, %d queued\n", integration, dn, r.Sent, r.Queued)
	}
}

// destinationJSON is a destination's part of `agent status --json`.
type destinationJSON struct {
	Queued          int        `json:"queued"`
	LastDeliveredAt *time.Time `json:"last_delivered_at"`
	Error           string     `json:"error"`
}

// destinationStatus is the queue of each of the integration's destinations.
func destinationStatus(ctx context.Context, dl *deliver.Deliverer, st *store.Store, in *config.Integration) (map[string]destinationJSON, error) {
	out := make(map[string]destinationJSON, len(in.Destinations))
	for _, dn := range in.Destinations {
		dc, ok := dl.Config.Destination(dn)
		if !ok {
			continue
		}
		var dj destinationJSON
		ds, err := st.Delivery(ctx, dn, in.Name)
		switch {
		case err == nil:
			if !ds.LastDeliveredAt.IsZero() {
				t := ds.LastDeliveredAt.UTC()
				dj.LastDeliveredAt = &t
			}
			dj.Error = ds.LastError
			if dj.Queued, err = dl.Queued(ctx, in, dc); err != nil {
				return nil, err
			}
		case !errors.Is(err, store.ErrNotFound):
			return nil, err
		}
		out[dn] = dj
	}
	return out, nil
}
