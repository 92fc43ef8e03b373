// Command agent syncs SaaS vendors' user lists into a system of record of
// people and SaaS users. It is both the CLI an admin types and the service
// that runs the schedule; see README.md and config.example.toml.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	_ "github.com/agentsync/agent/vendors/all" // every built-in vendor registers itself
)

// version is stamped by the build (-ldflags "-X main.version=1.2.3").
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
