package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/agentsync/agent/agent/report"
)

// saasHelp is what `agent report --help` adds: what the SaaS report's
// rows and columns count (README.md, "SaaS discovery and spend", says the
// same at length).
const saasHelp = `
The SaaS report: one row per application named by the catalogue (mode
"applications": its name), a SaaS user, or an invoice's or contract's
application field, over every integration. Names match case-insensitively
after trimming; a row shows the catalogue's spelling, else the first in sort
order; rows sorted by name. Days are UTC days of the stored times; as-of is
--as-of, else today in the agent's time_zone.
  application        the name
  catalogue_status   active (a catalogue record of it is active), inactive, or empty: not in the catalogue
  users_active       SaaS users active; users_inactive: inactive
  no_activity_30d    active SaaS users whose last_activity is empty or on a day before as-of - 30 days
                     (no_activity_60d, no_activity_90d: 60, 90 days)
  seats              sum of seats of the contracts in force on as-of (start <= as-of <= end, empty = open-ended);
                     empty when none has seats
  unused_seats       seats - users_active, when there are seats
  spend_12m          per currency, the exact sum of invoice amounts dated after as-of - 12 months and at most as-of
                     (--csv: "12345.60 EUR; 10.00 USD"; --json: {"EUR": "12345.60"})
  next_contract_end  the earliest contract end on or after as-of
`

// cmdReport is `agent report saas`: the SaaS report over every
// integration's records, read-only (package report says what each column
// counts).
func cmdReport(ctx context.Context, a *app, args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "a JSON array, one object per application")
	asCSV := fs.Bool("csv", false, "CSV: a header row, then one line per application")
	asOf := fs.String("as-of", "", "the report's day, YYYY-MM-DD (default: today in the agent's time_zone)")
	names, err := parseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		printHelp(a.stdout, "report", fs)
		fmt.Fprint(a.stdout, saasHelp)
		return nil
	}
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
