package deliver_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/agent/deliver"
	"github.com/agentsync/agent/agent/engine"
	"github.com/agentsync/agent/agent/runner"
	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/credentials"
	_ "github.com/agentsync/agent/destinations/all"
	"github.com/agentsync/agent/internal/oomnitzasim"
	"github.com/agentsync/agent/internal/vendortest"
	"github.com/agentsync/agent/vendors"
	_ "github.com/agentsync/agent/vendors/file"
)

// pages is a source of n generated people.
type pages int

func (n pages) Fetch(ctx context.Context, yield func(vendors.Page) error) error {
	for p := 0; p*1000 < int(n); p++ {
		var recs []vendors.Record
		for i := p * 1000; i < min(int(n), (p+1)*1000); i++ {
			recs = append(recs, vendors.Record{"email": fmt.Sprintf("user%07d@example.com", i), "first": "First", "last": fmt.Sprintf("Last%d", i)})
		}
		if err := yield(vendors.Page{Number: p + 1, Records: recs}); err != nil {
			return err
		}
	}
	return nil
}

// BenchmarkSnapshot delivers a full snapshot of N people in batches of
// 100 to a loopback Oomnitza simulator that validates every batch and
// keeps nothing (the tenant runs in this process too).
func BenchmarkSnapshot(b *testing.B) {
	const n = 100_000
	ctx := context.Background()
	tenant := oomnitzasim.New(oomnitzasim.Config{Token: "tok", Discard: true})
	srv := httptest.NewServer(tenant)
	defer srv.Close()
	dir := b.TempDir()
	cfg, err := config.Parse(filepath.Join(dir, "config.toml"), []byte(fmt.Sprintf(`
[agent]
data_dir = %q
[[destination]]
name = "oom"
type = "oomnitza"
url = %q
credential = "tok"
[[integration]]
name = "people"
vendor = "file"
destinations = ["oom"]
  [integration.file]
  path = "unused.jsonl"
  [integration.mapping]
  "user.username" = "email"
  "user.email" = "email"
  "user.first_name" = "first"
  "user.last_name" = "last"
`, dir, srv.URL)))
	if err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(ctx, dir)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	in, _ := cfg.Integration("people")
	if rep := engine.Run(ctx, st, runner.Spec(in), pages(n), engine.Options{}); rep.Outcome != store.OutcomeSuccess {
		b.Fatal(rep.Error)
	}
	d := &deliver.Deliverer{Config: cfg, Store: st, Secrets: vendortest.Secrets{"tok": {Kind: credentials.APIKey, Token: "tok"}}}
	b.ResetTimer()
	for range b.N {
		res, err := d.Integration(ctx, "people", true)
		if err != nil || res["oom"].Err != nil || res["oom"].Sent != n {
			b.Fatalf("%v %+v", err, res)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
}
