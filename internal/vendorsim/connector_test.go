package vendorsim_test

import (
	"net/http/httptest"
	"testing"

	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/credentials"
	"github.com/agentsync/agent/internal/vendorsim"
	"github.com/agentsync/agent/internal/vendortest"
	_ "github.com/agentsync/agent/vendors/all"
)

// TestEveryShapeThroughTheConnector reads the simulator with the agent's
// own vendor in every pagination style and in the Ironclad shape, from
// the TOML it describes itself with: a first sync creates everybody, a
// churned generation changes exactly what its Census says.
func TestEveryShapeThroughTheConnector(t *testing.T) {
	tests := []struct {
		name string
		cfg  vendorsim.Config
	}{
		{"cursor", vendorsim.Config{Pagination: vendorsim.Cursor}},
		{"offset_limit", vendorsim.Config{Pagination: vendorsim.OffsetLimit}},
		{"page_number", vendorsim.Config{Pagination: vendorsim.PageNumber}},
		{"link_header", vendorsim.Config{Pagination: vendorsim.LinkHeader}},
		{"none", vendorsim.Config{Pagination: vendorsim.None}},
		{"ironclad", vendorsim.Config{Shape: vendorsim.ShapeIronclad}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.cfg.Users = 1000
			sim := vendorsim.New(tc.cfg)
			srv := httptest.NewServer(sim)
			defer srv.Close()
			e := vendortest.New(t, vendortest.Secrets{"sim": {Kind: credentials.OAuth2Client, ClientID: "sim-client", ClientSecret: "sim-secret"}})
			cfg := e.Config(sim.Config().TOML(srv.URL, vendorsim.Integration{PageSize: 150}))
			rep := e.Run(cfg, "sim")
			if rep.Outcome != store.OutcomeSuccess || rep.Counts.Created != 1000 {
				t.Fatalf("first sync: %s %s %+v", rep.Outcome, rep.Error, rep.Counts)
			}
			if tc.cfg.Pagination != vendorsim.None && sim.PagesServed.Load() < 7 {
				t.Errorf("%d pages served, want 7 or more", sim.PagesServed.Load())
			}
			sim.Set(func(c *vendorsim.Config) {
				c.Generation, c.Churn = 1, vendorsim.Churn{Changed: 2, Removed: 1, Added: 3, Inactive: 1}
			})
			n := sim.Config().Census()
			if n.Changed == 0 || n.Removed == 0 || n.Added != 30 {
				t.Fatalf("census %+v", n)
			}
			rep = e.Run(cfg, "sim")
			c := rep.Counts
			deact := n.Removed
			if tc.cfg.Shape != vendorsim.ShapeIronclad {
				deact += n.Inactive
			}
			if rep.Outcome != store.OutcomeSuccess || c.Fetched != n.Listed || c.Created != n.Added || c.Updated != n.Changed ||
				c.Unchanged != n.Listed-n.Added-n.Changed || c.Deactivated != deact {
				t.Fatalf("churned run: %s %s %+v; census %+v", rep.Outcome, rep.Error, c, n)
			}
		})
	}
}
