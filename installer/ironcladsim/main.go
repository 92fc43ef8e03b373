// Command ironcladsim serves the Ironclad profile of the agent's vendor
// simulator (internal/vendorsim, vendorsim.ShapeIronclad), for
// installer/check.sh: it points the README's integration at it (base_url)
// so that the admin's walkthrough runs for real against the installed
// package, without a network. With -oomnitza-token it also serves an
// Oomnitza tenant (internal/oomnitzasim) that accepts that API token, for
// the README's delivery walkthrough. It prints its base URL (then the
// tenant's), then serves until it is killed.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"time"

	"github.com/agentsync/agent/internal/oomnitzasim"
	"github.com/agentsync/agent/internal/vendorsim"
)

func main() {
	n := flag.Int("users", 25, "how many users the account has")
	oomToken := flag.String("oomnitza-token", "", "also serve an Oomnitza tenant accepting this API token")
	flag.Parse()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("http://%s\n", ln.Addr())
	if *oomToken != "" {
		oln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("http://%s\n", oln.Addr())
		tenant := &http.Server{Handler: oomnitzasim.New(oomnitzasim.Config{Token: *oomToken}), ReadHeaderTimeout: 10 * time.Second}
		go func() { log.Fatal(tenant.Serve(oln)) }()
	}
	// Client ID and secret: the simulator's, sim-client and sim-secret.
	sim := vendorsim.New(vendorsim.Config{Shape: vendorsim.ShapeIronclad, Users: *n})
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.Serve(ln))
}
