package engine

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/mapping"
	"github.com/agentsync/agent/vendors"
	"github.com/agentsync/agent/vendors/file"
)

const benchUsers = 100_000

// benchSource writes n Ironclad-shaped users to a JSONL file and returns
// the real file vendor over it.
func benchSource(b *testing.B, n int) Source {
	b.Helper()
	dir := b.TempDir()
	path := filepath.Join(dir, "users.jsonl")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	for i := range n {
		fmt.Fprintf(w, `{"id": %d, "email": "User%d@Example.com", "name": "User Number%d", "locale": "en-US", "timezone": "America/New_York", "verified": true, "verified_time": "2024-01-02T03:04:05Z", "department": "Dept%d", "status": "active"}`+"\n", i, i, i, i%50)
	}
	w.Flush()
	f.Close()
	src, err := file.New(vendors.Config{Integration: "acme", Vendor: "file", BaseDir: dir, Settings: &file.Settings{Path: "users.jsonl"}})
	if err != nil {
		b.Fatal(err)
	}
	return src
}

func benchSpec(b *testing.B) Spec {
	m, err := mapping.Compile(map[string]string{
		"user.username":                   "email | lower",
		"user.email":                      "email | lower",
		"user.full_name":                  "name",
		"user.employee_id":                "id",
		"user.department":                 "department",
		"user.locale":                     "locale",
		"user.time_zone":                  "timezone",
		"user.verified":                   "verified | bool",
		"user.verified_at":                "verified_time | time",
		"user.custom.connector_sync_time": "$sync_time",
	})
	if err != nil {
		b.Fatal(err)
	}
	return Spec{Integration: "acme", Mode: ModeUsers, Preference: CreateUpdate, Deactivate: true,
		MaxDeactivatePercent: 20, Mapping: m, Active: Active{Field: "status", InactiveValues: []string{"inactive"}}}
}

func benchRun(b *testing.B, st *store.Store, sp Spec, src Source) Report {
	rep := Run(context.Background(), st, sp, src, Options{})
	if rep.Outcome != store.OutcomeSuccess {
		b.Fatalf("run: %s", rep.Error)
	}
	return rep
}

// BenchmarkFirstSync: every user is created (with its change-history row).
func BenchmarkFirstSync(b *testing.B) {
	src, sp := benchSource(b, benchUsers), benchSpec(b)
	for b.Loop() {
		b.StopTimer()
		st, err := store.Open(context.Background(), b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if rep := benchRun(b, st, sp, src); rep.Counts.Created != benchUsers {
			b.Fatalf("created %d", rep.Counts.Created)
		}
		st.Close()
	}
	b.ReportMetric(float64(benchUsers)*float64(b.N)/b.Elapsed().Seconds(), "users/s")
}

// BenchmarkNoChangeResync: every user is unchanged and costs no write.
func BenchmarkNoChangeResync(b *testing.B) {
	src, sp := benchSource(b, benchUsers), benchSpec(b)
	st, err := store.Open(context.Background(), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	benchRun(b, st, sp, src)
	for b.Loop() {
		if rep := benchRun(b, st, sp, src); rep.Counts.Unchanged != benchUsers {
			b.Fatalf("unchanged %d", rep.Counts.Unchanged)
		}
	}
	b.ReportMetric(float64(benchUsers)*float64(b.N)/b.Elapsed().Seconds(), "users/s")
}
