// Command ironcladsim serves the loopback Ironclad Clickwrap simulator of
// vendors/ironclad/simulator, for installer/check.sh: it points the README's
// integration at it (base_url) so that the admin's walkthrough runs for
// real against the installed package, without a network. With
// -oomnitza-token it also serves an Oomnitza tenant (internal/oomnitzasim)
// that accepts that API token, for the README's delivery walkthrough. It
// prints its base URL (then the tenant's), then serves until it is killed.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"time"

	"github.com/agentsync/agent/internal/oomnitzasim"
	"github.com/agentsync/agent/vendors/ironclad/simulator"
)

func main() {
	n := flag.Int("users", 25, "how many users the account has")
	oomToken := flag.String("oomnitza-token", "", "also serve an Oomnitza tenant accepting this API token")
	flag.Parse()
	users := make([]simulator.User, *n)
	for i := range users {
		users[i] = simulator.User{
			ID:           int64(1000 + i),
			Email:        fmt.Sprintf("user%02d@example.com", i),
			Name:         fmt.Sprintf("User %02d", i),
			Locale:       "en-US",
			TimeZone:     "Europe/Paris",
			Verified:     true,
			VerifiedTime: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC).Format(time.RFC3339),
		}
	}
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
	srv := &http.Server{Handler: simulator.New(simulator.Config{Users: users}), ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.Serve(ln))
}
