package rest_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/agentsync/agent/internal/vendorsim"
	"github.com/agentsync/agent/internal/vendortest"
	"github.com/agentsync/agent/vendors"
)

// BenchmarkFetch100k reads 100,000 users through the REST connector
// (OAuth2, cursor pages, records_path) from a loopback server, in pages of
// 100 and of 1,000:
//
//	go test -run='^$' -bench=Fetch100k -benchmem ./vendors/rest/
func BenchmarkFetch100k(b *testing.B) {
	const users = 100_000
	for _, size := range []int{100, 1000} {
		b.Run(fmt.Sprintf("page=%d", size), func(b *testing.B) {
			_, srv := newSim(b, vendorsim.Config{Users: users, Auth: vendorsim.AuthOAuth2, Pagination: vendorsim.Cursor})
			e := vendortest.New(b, secrets())
			cfg := e.Config(integration(srv.URL, `credential = "oauth"`, fmt.Sprintf(`
  auth = "oauth2_client_credentials"
  token_url = "%s/oauth/token"
  pagination = { type = "cursor", cursor_path = "response_metadata.next_cursor", page_size = %d }
`, srv.URL, size)))
			in, _ := cfg.Integration("vendor-x")
			s := in.VendorConfig(cfg)
			s.Secrets = e.Secrets
			factory, _ := vendors.Lookup("rest")
			src, err := factory(s)
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				n := 0
				err := src.Fetch(context.Background(), func(p vendors.Page) error {
					n += len(p.Records)
					return nil
				})
				if err != nil || n != users {
					b.Fatalf("fetched %d users: %v", n, err)
				}
			}
			b.ReportMetric(float64(users*b.N)/b.Elapsed().Seconds(), "users/s")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(users*b.N), "ns/user")
		})
	}
}
