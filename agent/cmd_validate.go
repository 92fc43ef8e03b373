package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"
)

func cmdValidate(ctx context.Context, a *app, args []string) error {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	names, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(names) > 0 {
		return usagef("validate takes no names (got %q)", names)
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
	fmt.Fprintf(a.stdout, "%s: ok, %d integrations (%d launched, %d draft)\n",
		a.configPath, len(cfg.Integrations), launched, len(cfg.Integrations)-launched)
	return nil
}
