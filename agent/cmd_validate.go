package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/internal/plural"
)

func cmdValidate(ctx context.Context, a *app, args []string) error {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	if err := parseFlags(fs, args, ""); err != nil {
		return err
	}
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	launched := 0
	for _, in := range cfg.Integrations {
		if missing := in.Missing(); len(missing) > 0 {
			fmt.Fprintf(a.stdout, "%s: draft (missing: %s)\n", in.Name, strings.Join(missing, ", "))
			continue
		}
		launched++
		fmt.Fprintf(a.stdout, "%s: launched (vendor %s, %s, schedule %s)\n", in.Name, in.Vendor, in.Mode, in.Schedule)
	}
	for _, w := range credentialWarnings(cfg, time.Now()) {
		fmt.Fprintln(a.stdout, "warning:", w)
	}
	for _, w := range integrationWarnings(cfg) {
		fmt.Fprintln(a.stdout, "warning:", w)
	}
	fmt.Fprintf(a.stdout, "%s: ok, %s (%d launched, %d draft)\n",
		a.configPath, plural.Count(len(cfg.Integrations), "integration", "integrations"), launched, len(cfg.Integrations)-launched)
	return nil
}

// warner is a vendor's settings that can tell what is wrong now but may
// be right by the time a run comes (a file that is not there yet).
type warner interface {
	Warnings(baseDir string) []string
}

// integrationWarnings are settings that validate but likely do not do
// what was meant.
func integrationWarnings(cfg *config.Config) []string {
	var out []string
	for _, in := range cfg.Integrations {
		if w, ok := in.Settings.(warner); ok {
			for _, msg := range w.Warnings(cfg.Dir) {
				out = append(out, in.Name+": "+msg)
			}
		}
		if in.Active.Written && !in.Deactivate {
			out = append(out, in.Name+": [integration.active] is set but deactivate = false: a user inactive at the source stays active here; set deactivate = true to deactivate them")
		}
	}
	return out
}
