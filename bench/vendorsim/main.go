// Command vendorsim serves the loopback vendor simulator of
// internal/vendorsim, for the bench and for trying the agent by hand:
//
//	go run ./bench/vendorsim -users 1000000 -addr 127.0.0.1:8089
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/agentsync/agent/internal/vendorsim"
)

func main() {
	var cfg vendorsim.Config
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback)")
	flag.IntVar(&cfg.Users, "users", 1000, "how many users")
	flag.StringVar(&cfg.Shape, "shape", vendorsim.ShapeREST, "rest (GET /v1/users) | ironclad (GET /v1.1/users, the Clickwrap envelope)")
	flag.IntVar(&cfg.MaxPageSize, "max-page-size", 1000, "largest page served")
	flag.StringVar(&cfg.Pagination, "pagination", vendorsim.Cursor, "cursor | offset_limit | page_number | link_header | none")
	flag.DurationVar(&cfg.Latency, "latency", 0, "added latency per page")
	flag.IntVar(&cfg.RatePerSec, "rate", 0, "requests per second allowed (0 = unlimited)")
	flag.IntVar(&cfg.Generation, "generation", 0, "0 = the original users; >0 applies the churn")
	flag.Float64Var(&cfg.Churn.Changed, "changed", 0, "percent changed in generation > 0")
	flag.Float64Var(&cfg.Churn.Removed, "removed", 0, "percent removed")
	flag.Float64Var(&cfg.Churn.Added, "added", 0, "percent added")
	flag.Float64Var(&cfg.Churn.Inactive, "inactive", 0, "percent made inactive")
	flag.StringVar(&cfg.Fault, "fault", "", "a fault to inject: "+strings.Join(vendorsim.Faults, " | "))
	flag.IntVar(&cfg.FaultPage, "fault-page", 2, "the page that faults")
	flag.DurationVar(&cfg.Stall, "stall", 5*time.Second, "how long the stall_once fault hangs")
	flag.StringVar(&cfg.ClientID, "client-id", "sim-client", "OAuth2 client ID")
	flag.StringVar(&cfg.Secret, "client-secret", "sim-secret", "OAuth2 client secret")
	flag.Parse()
	if cfg.Fault != "" && !slices.Contains(vendorsim.Faults, cfg.Fault) {
		log.Fatalf("unknown fault %q; the faults: %s", cfg.Fault, strings.Join(vendorsim.Faults, ", "))
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	if ip := ln.Addr().(*net.TCPAddr).IP; !ip.IsLoopback() {
		log.Fatalf("vendorsim listens on loopback only, not %s", ip)
	}
	// The first line is the base URL, for scripts.
	base := fmt.Sprintf("http://%s", ln.Addr())
	fmt.Fprintln(os.Stdout, base)
	sim := vendorsim.New(cfg)
	fmt.Fprintf(os.Stderr, "# an integration that reads it (credential: client ID %s; store the secret with `agent credentials set sim`):\n%s",
		cfg.ClientID, sim.Config().TOML(base, vendorsim.Integration{}))
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.Serve(ln))
}
