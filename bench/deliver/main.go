// Command deliver benches a full snapshot delivery: N people synced from a
// loopback vendorsim into the agent's store, then `agent deliver --full`
// (the built binary) to a loopback Oomnitza simulator that validates every
// batch and keeps nothing. It prints the records per second and the
// deliver process's peak RSS:
//
//	go run ./bench/deliver                   # 1,000,000 people, batches of 100
//	go run ./bench/deliver -users 100000 -batch 500
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/agentsync/agent/bench/rig"
	"github.com/agentsync/agent/credentials"
	"github.com/agentsync/agent/internal/oomnitzasim"
	"github.com/agentsync/agent/internal/vendorsim"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("bench/deliver: ")
	users := flag.Int("users", 1_000_000, "people to deliver")
	batch := flag.Int("batch", 100, "the destination's batch_size")
	bin := flag.String("bin", "", "an agent binary (default: go build ./agent)")
	keep := flag.Bool("keep", false, "keep the work folder")
	flag.Parse()
	ctx := context.Background()

	work, err := os.MkdirTemp("", "bench-deliver-")
	if err != nil {
		log.Fatal(err)
	}
	if !*keep {
		defer os.RemoveAll(work)
	}
	if *bin == "" {
		*bin = filepath.Join(work, "agent-bin")
		if out, err := exec.Command("go", "build", "-o", *bin, "./agent").CombinedOutput(); err != nil {
			log.Fatalf("go build: %v\n%s", err, out)
		}
	}
	vs, err := rig.StartSim(vendorsim.Config{Users: *users, Pagination: vendorsim.Cursor, MaxPageSize: 1000})
	if err != nil {
		log.Fatal(err)
	}
	defer vs.Close()
	const token = "bench-oomnitza-token"
	tenant := oomnitzasim.New(oomnitzasim.Config{Token: token, Discard: true})
	srv := httptest.NewServer(tenant)
	defer srv.Close()

	a, err := rig.NewAgent(filepath.Join(work, "agent"), vs, vendorsim.Integration{PageSize: 1000})
	if err != nil {
		log.Fatal(err)
	}
	sync, err := a.RunBinary(ctx, *bin)
	if err != nil || sync.Outcome != "success" {
		log.Fatalf("the sync: %v %s", err, sync.Error)
	}
	fmt.Printf("synced %d people in %s\n", sync.Counts.Created, sync.Wall.Round(1e6))

	// Now the destination, and the integration delivering to it.
	text, err := os.ReadFile(a.Config)
	if err != nil {
		log.Fatal(err)
	}
	cfg := strings.Replace(string(text), "[[integration]]\nname = \"sim\"\n", "[[integration]]\nname = \"sim\"\ndestinations = [\"oom\"]\n", 1)
	cfg += fmt.Sprintf("\n[[destination]]\nname = \"oom\"\ntype = \"oomnitza\"\nurl = %q\ncredential = \"oom\"\nbatch_size = %d\n", srv.URL, *batch)
	if err := os.WriteFile(a.Config, []byte(cfg), 0o600); err != nil {
		log.Fatal(err)
	}
	if err := a.SetCredential("oom", credentials.Secret{Kind: credentials.APIKey, Token: token}); err != nil {
		log.Fatal(err)
	}
	r, out, errs, err := a.Measure(ctx, *bin, "deliver", "--full", "sim")
	if err != nil {
		log.Fatalf("agent deliver: %v\n%s%s", err, out, errs)
	}
	ps := tenant.Portions()
	if len(ps) != 1 || !ps[0].Finalized || ps[0].Records != *users {
		log.Fatalf("the tenant got %+v, want one finalized portion of %d records", ps, *users)
	}
	fmt.Print(out)
	fmt.Printf("delivered %d people in batches of %d: %s, %.0f records/s, peak RSS %.1f MB\n",
		*users, *batch, r.Wall.Round(1e6), float64(*users)/r.Wall.Seconds(), float64(r.MaxRSS)/(1<<20))
}
