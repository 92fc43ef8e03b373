package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/agent/export"
	"github.com/agentsync/agent/agent/runner"
	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/destinations"
)

// runJSON is a run as status, runs and the JSON outputs show it.
type runJSON struct {
	RunID       string        `json:"run_id"`
	Integration string        `json:"integration"`
	Trigger     string        `json:"trigger"`
	StartedAt   time.Time     `json:"started_at"`
	FinishedAt  *time.Time    `json:"finished_at"`
	Outcome     string        `json:"outcome"`
	Error       string        `json:"error"`
	Counts      store.Counts  `json:"counts"`
	SaaSCounts  *store.Counts `json:"saas_counts,omitempty"`
	Event       string        `json:"event,omitempty"` // a push's ?event=
	Actor       string        `json:"actor,omitempty"` // a push's ?actor=
}

// jsonLines writes items to w as JSON, one a line, each as line renders
// it.
func jsonLines[T any](w io.Writer, items []T, line func(T) any) error {
	enc := json.NewEncoder(w)
	for _, it := range items {
		if err := enc.Encode(line(it)); err != nil {
			return err
		}
	}
	return nil
}

func toRunJSON(r *store.Run) *runJSON {
	if r == nil {
		return nil
	}
	out := &runJSON{RunID: r.ID, Integration: r.Integration, Trigger: r.Trigger, StartedAt: r.StartedAt.UTC(),
		Outcome: r.Outcome, Error: r.Error, Counts: r.Counts, SaaSCounts: r.SaaSCounts, Event: r.Event, Actor: r.Actor}
	if !r.FinishedAt.IsZero() {
		f := r.FinishedAt.UTC()
		out.FinishedAt = &f
	}
	return out
}

func cmdStatus(ctx context.Context, a *app, args []string) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "JSON, one object per integration per line")
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	cfg, st, err := a.configAndStore(ctx)
	if err != nil {
		return a.despiteConfig(ctx, err, func(st *store.Store) error { return a.storeStatus(ctx, st, *asJSON) })
	}
	defer st.Close()
	now := time.Now()
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	if !*asJSON {
		fmt.Fprintln(tw, "INTEGRATION\tSTATE\tLAST RUN\tOUTCOME\tNEXT RUN\tCREDENTIAL\tRECORDS")
	}
	// One grouped count per table, for every integration at once.
	held, err := st.CountByStatus(ctx)
	if err != nil {
		return err
	}
	// Counting a queue needs no credential: the keyring stays closed.
	dl := a.deliverer(cfg, st, nil, destinations.HTTP{})
	var dests [][]string // integration, destination, queued, last delivered, error
	for _, in := range cfg.Integrations {
		s, err := runner.StatusOf(ctx, st, cfg, in, now)
		if err != nil {
			return err
		}
		ds, err := destinationStatus(ctx, dl, st, in)
		if err != nil {
			return err
		}
		for _, dn := range in.Destinations {
			d := ds[dn]
			last := "never"
			if d.LastDeliveredAt != nil {
				last = d.LastDeliveredAt.In(cfg.Location).Format("2006-01-02 15:04 MST")
			}
			dests = append(dests, []string{in.Name, dn, fmt.Sprint(d.Queued), last, or(d.Error, "-")})
		}
		if *asJSON {
			obj := map[string]any{
				"integration": in.Name, "state": s.State, "vendor": in.Vendor, "schedule": in.Schedule.String(),
				"credential": in.Credential, "last_run": toRunJSON(s.LastRun), "last_success": toRunJSON(s.LastSuccess),
				"next_run": nil, "missing": in.Missing(), "reason": s.Reason,
				"records": integrationCounts(held[in.Name], in.Mode),
			}
			if len(ds) > 0 {
				obj["destinations"] = ds
			}
			if !s.NextRun.IsZero() {
				obj["next_run"] = s.NextRun.UTC()
			}
			if err := json.NewEncoder(a.stdout).Encode(obj); err != nil {
				return err
			}
			continue
		}
		last, outcome, next, cred := "never", "-", "-", in.Credential
		if s.LastRun != nil {
			last, outcome = s.LastRun.StartedAt.Local().Format("2006-01-02 15:04"), s.LastRun.Outcome
		}
		if !s.NextRun.IsZero() {
			next = s.NextRun.In(cfg.Location).Format("2006-01-02 15:04 MST")
		} else if in.Schedule.Manual() {
			next = "manual"
		}
		if cred == "" {
			cred = "-"
		}
		state := s.State
		if s.Reason != "" {
			state += " (" + s.Reason + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", in.Name, state, last, outcome, next, cred, recordsText(integrationCounts(held[in.Name], in.Mode)))
	}
	if *asJSON || len(dests) == 0 {
		return tw.Flush()
	}
	fmt.Fprintln(tw, "\nINTEGRATION\tDESTINATION\tQUEUED\tLAST DELIVERED\tERROR")
	for _, row := range dests {
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	return tw.Flush()
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func cmdRuns(ctx context.Context, a *app, args []string) error {
	fs := flag.NewFlagSet("runs", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "JSON, one run per line")
	limit := fs.Int("limit", 50, "how many runs (0 = all)")
	names, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(names) > 1 {
		return usagef("runs takes at most one integration name")
	}
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	name := ""
	if len(names) == 1 {
		name = names[0]
		if _, ok := cfg.Integration(name); !ok {
			return usagef("no integration named %q in %s", name, a.configPath)
		}
	}
	st, err := a.readStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	runs, err := st.Runs(ctx, name, *limit)
	if err != nil {
		return err
	}
	if *asJSON {
		return jsonLines(a.stdout, runs, func(r store.Run) any { return toRunJSON(&r) })
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STARTED\tINTEGRATION\tTRIGGER\tOUTCOME\tDURATION\tFETCHED\tCREATED\tUPDATED\tDEACTIVATED\tREACTIVATED\tERROR")
	for _, r := range runs {
		dur := "-"
		if !r.FinishedAt.IsZero() {
			dur = r.FinishedAt.Sub(r.StartedAt).Round(time.Millisecond).String()
		}
		c := r.Counts
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\n", r.StartedAt.Local().Format("2006-01-02 15:04:05"),
			r.Integration, r.Trigger, r.Outcome, dur, c.Fetched, c.Created, c.Updated, c.Deactivated, c.Reactivated, r.Error)
	}
	return tw.Flush()
}

func cmdNotifications(ctx context.Context, a *app, args []string) error {
	fs := flag.NewFlagSet("notifications", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "JSON, one message per line")
	limit := fs.Int("limit", 50, "how many messages (0 = all)")
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	cfg, err := a.loadConfig()
	if err != nil {
		return a.despiteConfig(ctx, err, func(st *store.Store) error { return a.printNotifications(ctx, st, *limit, *asJSON) })
	}
	st, err := a.readStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	return a.printNotifications(ctx, st, *limit, *asJSON)
}

// printNotifications writes the newest limit messages of the inbox.
func (a *app) printNotifications(ctx context.Context, st *store.Store, limit int, asJSON bool) error {
	ns, err := st.Notifications(ctx, limit)
	if err != nil {
		return err
	}
	if asJSON {
		return jsonLines(a.stdout, ns, func(n store.Notification) any {
			return map[string]any{"id": n.ID, "created_at": n.CreatedAt.UTC(), "integration": n.Integration, "event": n.Event,
				"subject": n.Subject, "body": n.Body, "recipients": n.Recipients, "email_status": n.EmailStatus, "email_error": n.EmailError}
		})
	}
	if len(ns) == 0 {
		fmt.Fprintln(a.stdout, "no notifications")
		return nil
	}
	for _, n := range ns {
		mail := n.EmailStatus
		if n.EmailError != "" {
			mail += ": " + n.EmailError
		}
		fmt.Fprintf(a.stdout, "#%d %s  %s  [%s] %s (e-mail: %s)\n%s\n\n", n.ID, n.CreatedAt.Local().Format("2006-01-02 15:04"),
			n.Integration, n.Event, n.Subject, mail, n.Body)
	}
	return nil
}

func cmdExport(ctx context.Context, a *app, args []string) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	name := fs.String("integration", "", "the integration")
	kind := fs.String("kind", "people", "people | saas_users | applications | invoices | contracts")
	format := fs.String("format", "jsonl", "jsonl | csv")
	names, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if *name == "" && len(names) == 1 {
		*name = names[0]
	} else if len(names) > 0 {
		return usagef("export: unexpected %q", names)
	}
	k, ok := kindNamed(*kind)
	if !ok {
		return usagef("export: --kind must be people, saas_users, applications, invoices or contracts, not %q", *kind)
	}
	if *format != "jsonl" && *format != "csv" {
		return usagef("export: --format must be jsonl or csv, not %q", *format)
	}
	if *name == "" {
		return usagef("export: --integration NAME is required")
	}
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	in, ok := cfg.Integration(*name)
	if !ok {
		return usagef("no integration named %q in %s", *name, a.configPath)
	}
	st, err := a.readStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	e := export.New(in.Name, k, in.CompiledMapping)
	if *format == "csv" {
		return e.CSV(ctx, st, a.stdout)
	}
	return e.JSONL(ctx, st, a.stdout)
}

// configAndStore loads the config and opens its store for status. Status
// also puts a credential's expiry in the inbox, so it takes the store
// read-write; where this user cannot write it (another user's store, a
// read-only mount), it reads it read-only and says the notice waits.
func (a *app) configAndStore(ctx context.Context) (*config.Config, *store.Store, error) {
	cfg, err := a.loadConfig()
	if err != nil {
		return nil, nil, err
	}
	st, err := a.openStore(ctx, cfg)
	if err == nil {
		return cfg, st, nil
	}
	st, roErr := a.readStore(ctx, cfg)
	if roErr != nil {
		return nil, nil, err
	}
	fmt.Fprintf(a.stderr, "agent: note: reading the store read-only (%v); a credential expiry notice waits for the service\n", err)
	return cfg, st, nil
}

// errConfigShown is an invalid config already printed, with what the
// store holds after it: exit 2, nothing more to say.
var errConfigShown = errors.New("invalid config")

// despiteConfig is status and notifications when the config does not
// load: the problems first, then, when the file was readable, what the
// store of the data_dir it names (or the default) holds, read-only, so
// that the inbox's "config edit rejected" can be read. The exit code stays
// 2.
func (a *app) despiteConfig(ctx context.Context, err error, show func(*store.Store) error) error {
	var ce *config.Error
	if !errors.As(err, &ce) {
		return err
	}
	fmt.Fprintln(a.stderr, ce.Error())
	dir := ce.DataDir
	if dir == "" {
		dir = config.DefaultDataDir()
	}
	st, err := store.OpenReadOnly(ctx, dir)
	if err != nil {
		fmt.Fprintf(a.stderr, "agent: %s is invalid (above), and the store in %s cannot be read: %v\n", a.configPath, dir, err)
		return errConfigShown
	}
	defer st.Close()
	fmt.Fprintf(a.stderr, "agent: %s is invalid (above); below is what the store in %s holds (a running service keeps its last good config)\n", a.configPath, dir)
	if err := show(st); err != nil {
		return err
	}
	return errConfigShown
}

// storeStatus is status without a config: the last run of each
// integration the store knows and the newest messages of the inbox.
func (a *app) storeStatus(ctx context.Context, st *store.Store, asJSON bool) error {
	runs, err := st.LastRuns(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		return jsonLines(a.stdout, runs, func(r store.Run) any {
			return map[string]any{"integration": r.Integration, "state": "unknown", "reason": "the config is invalid", "last_run": toRunJSON(&r)}
		})
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "INTEGRATION\tLAST RUN\tOUTCOME\tERROR")
	for _, r := range runs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Integration, r.StartedAt.Local().Format("2006-01-02 15:04"), r.Outcome, or(short(r.Error), "-"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	const newest = 5
	ns, err := st.Notifications(ctx, newest)
	if err != nil || len(ns) == 0 {
		return err
	}
	fmt.Fprintf(a.stdout, "\nNewest messages (agent notifications shows them whole):\n")
	for _, n := range ns {
		fmt.Fprintf(a.stdout, "#%d %s  %s  [%s] %s\n", n.ID, n.CreatedAt.Local().Format("2006-01-02 15:04"), or(n.Integration, "-"), n.Event, n.Subject)
	}
	return nil
}
