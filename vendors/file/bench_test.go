package file

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/agentsync/agent/vendors"
)

// writeIronclad writes n Ironclad-shaped users as JSONL to path.
func writeIronclad(b *testing.B, path string, n int) {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(w, `{"id": %d, "email": "user%d@example.com", "first_name": "First%d", "last_name": "Last%d", `+
			`"locale": "en-US", "timezone": "America/New_York", "verified": %t, "verified_time": "2024-01-02T03:04:05Z", `+
			`"last_login": "2024-06-%02dT10:11:12Z", "groups": ["legal", "sales"], "manager": null}`+"\n",
			12345678901234567+i, i, i, i, i%2 == 0, i%28+1)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkJSONL(b *testing.B) {
	const n = 100_000
	dir := b.TempDir()
	writeIronclad(b, filepath.Join(dir, "users.jsonl"), n)
	src, err := New(vendors.Config{BaseDir: dir, Settings: &Settings{Path: "users.jsonl"}})
	if err != nil {
		b.Fatal(err)
	}
	if st, err := os.Stat(filepath.Join(dir, "users.jsonl")); err == nil {
		b.SetBytes(st.Size())
	}
	b.ReportAllocs()
	ctx := context.Background()
	for b.Loop() {
		got := 0
		err := src.Fetch(ctx, func(p vendors.Page) error {
			got += len(p.Records)
			return nil
		})
		if err != nil || got != n {
			b.Fatalf("Fetch: %d records, %v", got, err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
