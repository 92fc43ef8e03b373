package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/agentsync/agent/agent/report"
)

// cmdReport is `agent report saas`: the SaaS report over every
// integration's records, read-only (package report says what each column
// counts).
func cmdReport(ctx context.Context, a *app, args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "a JSON array, one object per application")
	asCSV := fs.Bool("csv", false, "CSV: a header row, then one line per application")
	asOf := fs.String("as-of", "", "the report's day, YYYY-MM-DD (default: today in the agent's time_zone)")
	names, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(names) == 0:
		return usagef("report: which report? agent report saas")
	case len(names) > 1 || names[0] != "saas":
		return usagef("report: unknown report %q (reports: saas)", names)
	case *asJSON && *asCSV:
		return usagef("report: --json or --csv, not both")
	}
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	day := time.Now()
	if cfg.Location != nil {
		day = day.In(cfg.Location)
	}
	if *asOf != "" {
		if day, err = time.Parse(time.DateOnly, *asOf); err != nil {
			return usagef("report: --as-of %q: want a day as YYYY-MM-DD", *asOf)
		}
	}
	st, err := a.readStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := report.BuildSaaS(ctx, st, day)
	if err != nil {
		return err
	}
	for _, n := range rep.Notes {
		fmt.Fprintln(a.stderr, "agent: report:", n)
	}
	switch {
	case *asJSON:
		return rep.JSON(a.stdout)
	case *asCSV:
		return rep.CSV(a.stdout)
	}
	return rep.Text(a.stdout)
}
