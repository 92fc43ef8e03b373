package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/agentsync/agent/agent/store"
)

// changeJSON is one row of `agent changes --json`.
type changeJSON struct {
	Integration string    `json:"integration"`
	Kind        string    `json:"kind"`
	Application string    `json:"application,omitempty"`
	Key         string    `json:"key"`
	Field       string    `json:"field"` // "" for the record's creation
	Old         string    `json:"old"`
	New         string    `json:"new"`
	RunID       string    `json:"run_id"`
	At          time.Time `json:"at"`
	Event       string    `json:"event,omitempty"` // a push's ?event=
	Actor       string    `json:"actor,omitempty"` // a push's ?actor=
}

func cmdChanges(ctx context.Context, a *app, args []string) error {
	fs := flag.NewFlagSet("changes", flag.ContinueOnError)
	integration := fs.String("integration", "", "only this integration's changes")
	key := fs.String("key", "", "only this record's changes (its key: the username, else the e-mail)")
	since := fs.String("since", "", "only changes at or after DATE (YYYY-MM-DD in the agent's time zone, or RFC 3339)")
	asJSON := fs.Bool("json", false, "JSON, one change per line")
	limit := fs.Int("limit", 0, "only the newest N changes (0 = all)")
	if err := parseFlags(fs, args, "use --integration NAME and --key KEY"); err != nil {
		return err
	}
	if *limit < 0 {
		return usagef("--limit %d: want 0 (all) or more", *limit)
	}
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	if *integration != "" {
		if _, ok := cfg.Integration(*integration); !ok {
			return usagef("no integration named %q in %s", *integration, a.configPath)
		}
	}
	q := store.ChangeQuery{Integration: *integration, Key: *key, Limit: *limit}
	if *since != "" {
		if q.Since, err = parseSince(*since, cfg.Location); err != nil {
			return usagef("--since %q: %v", *since, err)
		}
	}
	st, err := a.readStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	changes, err := st.History(ctx, q)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(a.stdout)
		for _, c := range changes {
			if err := enc.Encode(changeJSON{Integration: c.Integration, Kind: string(c.Kind), Application: c.Application, Key: c.Key,
				Field: c.Field, Old: c.Old, New: c.New, RunID: c.RunID, At: c.At.UTC(), Event: c.Event, Actor: c.Actor}); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tINTEGRATION\tKIND\tKEY\tFIELD\tOLD\tNEW\tRUN\tEVENT\tACTOR")
	for _, c := range changes {
		field := c.Field
		if field == "" {
			field = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.At.In(cfg.Location).Format("2006-01-02 15:04:05"), c.Integration, c.Kind,
			c.Key, field, short(c.Old), short(c.New), c.RunID, short(c.Event), short(c.Actor))
	}
	return tw.Flush()
}

// parseSince reads --since: a date (its midnight in loc) or an RFC 3339 time.
func parseSince(s string, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.Local
	}
	if t, err := time.ParseInLocation("2006-01-02", s, loc); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("want a date (2006-01-02) or an RFC 3339 time (2006-01-02T15:04:05Z)")
}

// short keeps a table cell on one line and readable.
func short(s string) string {
	const max = 40
	r := []rune(s)
	for i, c := range r {
		if c == '\n' || c == '\t' || c == '\r' {
			r[i] = ' '
		}
	}
	if len(r) > max {
		return string(r[:max-1]) + "…"
	}
	return string(r)
}
