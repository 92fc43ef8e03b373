package vendortest

import (
	"cmp"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/internal/vendorsim"
)

// Case is the test of one template of the REST connector: the simulator
// profile of its vendor's API (built from the vendor's public docs, which
// its README cites) and what a run against it must store.
type Case struct {
	Vendor  string // the template's name, also the integration's
	Profile vendorsim.Profile
	Users   int

	// Wrong is an API key or client secret the vendor refuses (default
	// "not-the-secret-4242"); the one it accepts is the profile's.
	Wrong string
	// Missing is what the integration lacks with an empty
	// [integration.rest] table, comma-separated ("" when the template
	// alone is complete).
	Missing string
	// Rest is the [integration.rest] table pointing the template at the
	// simulator, "{base}" standing for its base URL.
	Rest string

	Application string                       // every SaaS user's
	People      map[string]map[string]string // fields of stored people, by key
	SaaSUsers   map[string]map[string]string // fields of stored SaaS users, by key
	Inactive    int                          // how many people are stored inactive
	InactiveKey string                       // one of them
	// Refused is what the error of a run with the Wrong credential says
	// (default: that the credential "cred" was refused).
	Refused string
}

// Template runs c's template against the simulated vendor, as run-now
// does: "sync" with the right credential (every user created as a person
// and a SaaS user, with c's fields, c's inactive people and, behind a
// token endpoint, one token), then "refused" with the wrong one (the run
// fails, saying why, and the wrong secret is nowhere in it or the logs).
func Template(t *testing.T, c Case) {
	t.Run("sync", func(t *testing.T) { c.sync(t) })
	t.Run("refused", func(t *testing.T) { c.refused(t) })
}

// start serves the profile until the test ends.
func (c Case) start(t *testing.T) (*vendorsim.ProfileSim, string) {
	sim := vendorsim.NewProfile(c.Profile, c.Users)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return sim, srv.URL
}

func (c Case) config(base string) string {
	return Integration(c.Vendor, strings.ReplaceAll(c.Rest, "{base}", base))
}

func (c Case) sync(t *testing.T) {
	sim, base := c.start(t)
	e := New(t, Secrets{"cred": c.secret("")})
	if in, _ := e.Config(Integration(c.Vendor, "")).Integration(c.Vendor); strings.Join(in.Missing(), ",") != c.Missing {
		t.Errorf("with an empty [integration.rest]: missing %v, want %q", in.Missing(), c.Missing)
	}
	rep := e.Run(e.Config(c.config(base)), c.Vendor)
	if rep.Outcome != store.OutcomeSuccess || rep.Counts.Created != c.Users || rep.SaaSCounts == nil || rep.SaaSCounts.Created != c.Users {
		t.Fatalf("%s: %s %+v, saas %+v; want %d created", rep.Outcome, rep.Error, rep.Counts, rep.SaaSCounts, c.Users)
	}
	if n := sim.TokenCalls.Load(); c.Profile.Token != nil && n != 1 {
		t.Errorf("%d token requests, want 1 for the run", n)
	}
	people, saas := e.Records(c.Vendor, store.Person), e.Records(c.Vendor, store.SaaSUser)
	fields(t, "person", people, c.People)
	fields(t, "saas user", saas, c.SaaSUsers)
	for key, s := range saas {
		if s.Application != c.Application {
			t.Fatalf("saas user %s: application %q, want %q", key, s.Application, c.Application)
		}
	}
	if key := c.InactiveKey; key != "" && people[key].Status != store.Inactive {
		t.Errorf("person %s is %q, want inactive", key, people[key].Status)
	}
	if n := e.Inactive(c.Vendor, store.Person); n != c.Inactive {
		t.Errorf("%d people inactive, want %d", n, c.Inactive)
	}
}

// fields checks the wanted fields of the records by key.
func fields(t *testing.T, what string, got map[string]store.Record, want map[string]map[string]string) {
	t.Helper()
	for key, fs := range want {
		r, ok := got[key]
		if !ok {
			t.Errorf("no %s %s", what, key)
			continue
		}
		for f, v := range fs {
			if r.Fields[f] != v {
				t.Errorf("%s %s: %s = %q, want %q (all: %v)", what, key, f, r.Fields[f], v, r.Fields)
			}
		}
	}
}

func (c Case) refused(t *testing.T) {
	_, base := c.start(t)
	wrong := cmp.Or(c.Wrong, "not-the-secret-4242")
	e := New(t, Secrets{"cred": c.secret(wrong)})
	rep := e.Run(e.Config(c.config(base)), c.Vendor)
	if want := cmp.Or(c.Refused, `credential "cred" was refused`); rep.Outcome != store.OutcomeFailed || !strings.Contains(rep.Error, want) {
		t.Fatalf("%s: %s; want failed, naming %q", rep.Outcome, rep.Error, want)
	}
	if strings.Contains(rep.Error, wrong) || strings.Contains(e.Logs.String(), wrong) {
		t.Errorf("the wrong secret %q is in the error or the logs", wrong)
	}
}
