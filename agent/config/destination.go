package config

import (
	"strings"

	"github.com/agentsync/agent/destinations"
	"github.com/agentsync/agent/internal/endpoint"
)

// maxBatchSize bounds batch_size: one request must stay a sane size.
const maxBatchSize = 10_000

// validateDestinations checks each [[destination]] and the names the
// integrations deliver to.
func validateDestinations(cfg *Config, r *reporter) {
	seen := map[string]path{}
	for i, d := range cfg.Destinations {
		p := path{"destination", idx(i)}
		r.name(p, "destination", d.Name, seen)
		t, ok := destinations.Lookup(d.Type)
		if d.Type == "" {
			r.report(p, "destination.type is required (one of %s)", strings.Join(destinations.Names(), ", "))
		} else if !ok {
			r.oneOf(p.with("type"), d.Type, destinations.Names()...)
		}
		if d.URL == "" {
			r.report(p, "destination.url is required")
		} else if msg := endpoint.Check(d.URL); msg != "" {
			r.report(p.with("url"), "destination.url %s", msg)
		}
		if d.Credential == "" && ok && d.Type != "webhook" {
			r.report(p, "destination.credential is required: the keyring entry of the %s token (kind %s)", d.Type, t.CredentialKind)
		}
		if d.BatchSize < 1 || d.BatchSize > maxBatchSize {
			r.report(p.with("batch_size"), "destination.batch_size %d must be between 1 and %d", d.BatchSize, maxBatchSize)
		}
		if d.Settings != nil {
			for _, pr := range d.Settings.Check() {
				at := p.with(strings.Split(pr.Key, ".")...)
				if len(pr.Allowed) > 0 {
					r.oneOf(at, pr.Value, pr.Allowed...)
					continue
				}
				r.report(at, "destination.%s %s", pr.Key, pr.Msg)
			}
		}
	}
	for i, in := range cfg.Integrations {
		used := map[string]bool{}
		for j, name := range in.Destinations {
			at := path{"integration", idx(i), "destinations", idx(j)}
			if _, ok := cfg.Destination(name); !ok {
				r.report(at, "integration.destinations: no [[destination]] is named %s", q(name))
			} else if used[name] {
				r.report(at, "integration.destinations names %s twice", q(name))
			}
			used[name] = true
		}
	}
}
