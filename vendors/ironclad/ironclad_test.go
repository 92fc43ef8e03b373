package ironclad_test

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/credentials"
	"github.com/agentsync/agent/internal/vendorsim"
	"github.com/agentsync/agent/internal/vendortest"
	"github.com/agentsync/agent/vendors"
	"github.com/agentsync/agent/vendors/ironclad"
	"github.com/agentsync/agent/vendors/rest"
)

const secret = "cw-secret-9f8e7d6c5b4a"

// start serves the simulator's Ironclad profile (vendorsim.ShapeIronclad).
func start(t *testing.T, users int, cfg vendorsim.Config) (*vendorsim.Sim, *httptest.Server) {
	t.Helper()
	cfg.Shape, cfg.ClientID, cfg.Secret, cfg.Users = vendorsim.ShapeIronclad, "cw-client", secret, users
	sim := vendorsim.New(cfg)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return sim, srv
}

func env(t *testing.T) *vendortest.Env {
	return vendortest.New(t, vendortest.Secrets{
		"ironclad-prod": {Kind: credentials.OAuth2Client, ClientID: "cw-client", ClientSecret: secret},
	})
}

// minimal is all an admin writes: the rest comes from the template, but
// for the simulator's address.
func minimal(url string) string {
	return `
[[integration]]
name = "ironclad"
vendor = "` + ironclad.Name + `"
credential = "ironclad-prod"
  [integration.rest]
  base_url = "` + url + `"
  http.backoff = "1ms"
`
}

func TestDefaultsAlone(t *testing.T) {
	sim, srv := start(t, 250, vendorsim.Config{ExpireTokensAfter: 2})
	e := env(t)
	cfg := e.Config(minimal(srv.URL))
	in, _ := cfg.Integration("ironclad")
	if !in.Launched() || in.Mode != "users+saas_users" || in.Application != "Ironclad Clickwrap" {
		t.Fatalf("launched %v (missing %v), mode %q, application %q", in.Launched(), in.Missing(), in.Mode, in.Application)
	}
	rep := e.Run(cfg, "ironclad")
	if rep.Outcome != store.OutcomeSuccess {
		t.Fatalf("run: %s: %s", rep.Outcome, rep.Error)
	}
	if rep.Counts.Fetched != 250 || rep.Counts.Created != 250 || rep.SaaSCounts.Created != 250 {
		t.Errorf("counts %+v, saas %+v", rep.Counts, rep.SaaSCounts)
	}
	// Three pages of at most 100; tokens expire every 2 pages, so the run
	// got a second token after a 401 and carried on.
	if n := sim.Requests.Load(); n != 4 {
		t.Errorf("%d page requests, want 3 pages + 1 refused", n)
	}
	if n := sim.TokenCalls.Load(); n != 2 {
		t.Errorf("%d token requests, want 2 (one per expiry, not one per page)", n)
	}
	people := e.Records("ironclad", store.Person)
	p := people["user0007@example.com"]
	want := map[string]string{
		"username": "user0007@example.com", "email": "user0007@example.com", "full_name": "User Number 7",
		"locale": "de-DE", "time_zone": "Europe/Berlin", "verified": "true", "verified_at": "2024-03-01T16:30:00Z",
		"custom.user_id": "1007",
	}
	for k, v := range want {
		if p.Fields[k] != v {
			t.Errorf("person %s = %q, want %q (all: %v)", k, p.Fields[k], v, p.Fields)
		}
	}
	saas := e.Records("ironclad", store.SaaSUser)
	s := saas["user0007@example.com"]
	if s.Application != "Ironclad Clickwrap" || s.Fields["email"] != "user0007@example.com" || s.Fields["custom.user_id"] != "1007" ||
		s.Fields["custom.locale"] != "de-DE" || s.Fields["custom.verified_at"] != "2024-03-01T16:30:00Z" {
		t.Errorf("saas user = %+v", s)
	}
	if len(people) != 250 || len(saas) != 250 {
		t.Errorf("%d people, %d saas users", len(people), len(saas))
	}
}

// TestThrottled: a 429 with Retry-After is waited out, as the Rate Limits
// page asks, and the run completes.
func TestThrottled(t *testing.T) {
	sim, srv := start(t, 150, vendorsim.Config{ThrottleEvery: 2, RetryAfter: 1})
	e := env(t)
	rep := e.Run(e.Config(minimal(srv.URL)), "ironclad")
	if rep.Outcome != store.OutcomeSuccess || rep.Counts.Created != 150 || sim.Throttled.Load() == 0 {
		t.Fatalf("%s: %s, %d throttled", rep.Outcome, rep.Error, sim.Throttled.Load())
	}
}

func TestUsersOnlyMode(t *testing.T) {
	_, srv := start(t, 3, vendorsim.Config{})
	e := env(t)
	cfg := e.Config(strings.Replace(minimal(srv.URL), `credential = "ironclad-prod"`, "credential = \"ironclad-prod\"\nmode = \"users\"", 1))
	in, _ := cfg.Integration("ironclad")
	for t2 := range in.Mapping {
		if strings.HasPrefix(t2, "saas_user.") {
			t.Errorf("users mode kept the default target %s", t2)
		}
	}
	rep := e.Run(cfg, "ironclad")
	if rep.Outcome != store.OutcomeSuccess || rep.SaaSCounts != nil || rep.Counts.Created != 3 {
		t.Fatalf("report %+v", rep)
	}
}

func TestOverridesPerKey(t *testing.T) {
	_, srv := start(t, 5, vendorsim.Config{})
	e := env(t)
	// A regional host for the users, the token endpoint elsewhere, a
	// smaller page and one mapping target of the admin's own.
	cfg := e.Config(`
[[integration]]
name = "ironclad"
vendor = "ironclad-clickwrap"
credential = "ironclad-prod"
  [integration.mapping]
  "user.full_name" = "name | upper"
  [integration.rest]
  users_url = "` + srv.URL + `/v1.1/users"
  token_url = "` + srv.URL + `/oauth/token"
  pagination.page_size = 2
`)
	in, _ := cfg.Integration("ironclad")
	r := in.Settings.(*rest.Settings)
	if r.RecordsPath != "data" || r.Pagination.HasMorePath != "has_more" || r.Pagination.PageSize != 2 || r.Pagination.LimitParam != "per_page" {
		t.Errorf("merged rest settings: %+v", r)
	}
	if in.Mapping["user.full_name"] != "name | upper" || in.Mapping["user.locale"] != "locale" {
		t.Errorf("merged mapping: %v", in.Mapping)
	}
	rep := e.Run(cfg, "ironclad")
	if rep.Outcome != store.OutcomeSuccess || rep.Counts.Created != 5 {
		t.Fatalf("report %+v", rep)
	}
	if got := e.Records("ironclad", store.Person)["user0001@example.com"].Fields["full_name"]; got != "USER NUMBER 1" {
		t.Errorf("full_name = %q", got)
	}
}

func TestDraftWithoutCredential(t *testing.T) {
	e := env(t)
	cfg := e.Config("[[integration]]\nname = \"ironclad\"\nvendor = \"ironclad-clickwrap\"\n")
	in, _ := cfg.Integration("ironclad")
	if got := strings.Join(in.Missing(), ", "); got != "credential" {
		t.Fatalf("missing = %q, want credential", got)
	}
	if rep := e.Run(cfg, "ironclad"); rep.Outcome != store.OutcomeSkipped || !strings.Contains(rep.Error, "draft") {
		t.Errorf("report %+v", rep)
	}
}

func TestWrongSecretNamesTheCredential(t *testing.T) {
	_, srv := start(t, 5, vendorsim.Config{})
	e := vendortest.New(t, vendortest.Secrets{
		"ironclad-prod": {Kind: credentials.OAuth2Client, ClientID: "cw-client", ClientSecret: "not-the-secret-4242"},
	})
	rep := e.Run(e.Config(minimal(srv.URL)), "ironclad")
	if rep.Outcome != store.OutcomeFailed || !strings.Contains(rep.Error, `credential "ironclad-prod" was refused by the token endpoint`) {
		t.Fatalf("report %+v", rep)
	}
	if strings.Contains(rep.Error, "not-the-secret-4242") || strings.Contains(e.Logs.String(), "not-the-secret-4242") {
		t.Error("the secret is in the error or the logs")
	}
}

func TestTemplateRegistered(t *testing.T) {
	v, ok := vendors.Describe(ironclad.Name)
	if !ok || v.NewSettings == nil || v.Defaults.Application != "Ironclad Clickwrap" {
		t.Fatalf("%v %+v", ok, v.Defaults)
	}
	for _, f := range []string{"email", "locale", "name", "time_zone", "id", "verified", "verified_time"} {
		found := false
		for _, e := range v.Defaults.Mapping {
			if strings.HasPrefix(e, f+" ") || e == f {
				found = true
			}
		}
		if !found {
			t.Errorf("the default mapping does not read %q", f)
		}
	}
	if _, err := v.Factory(vendors.Config{Vendor: ironclad.Name, Settings: v.NewSettings()}); !errors.Is(err, vendors.ErrCredential) {
		t.Errorf("factory without a credential: %v", err)
	}
}
