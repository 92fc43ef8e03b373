package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/agent/deliver"
	"github.com/agentsync/agent/agent/engine"
	"github.com/agentsync/agent/agent/notify"
	"github.com/agentsync/agent/agent/runner"
	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/destinations"
	"github.com/agentsync/agent/internal/plural"
	"github.com/agentsync/agent/vendors"
)

func cmdRunNow(ctx context.Context, a *app, args []string) error {
	fs := flag.NewFlagSet("run-now", flag.ContinueOnError)
	dry := fs.Bool("dry-run", false, "fetch and diff, write nothing")
	asJSON := fs.Bool("json", false, "one JSON run report per line")
	verbose := fs.Bool("verbose", false, "log what the runs do on stderr, at [agent] log_level (else warnings and errors only)")
	cpuprofile := hiddenString(fs, "cpuprofile", "write a CPU profile of the command to FILE (go tool pprof)")
	names, cfg, err := a.parseWithConfig(fs, args)
	a.quiet = !*verbose
	if err != nil {
		return err
	}
	if *cpuprofile != "" {
		stop, err := startCPUProfile(*cpuprofile)
		if err != nil {
			return err
		}
		defer stop()
	}
	// Push-only integrations have nothing to fetch: named, the runner says so.
	runnable := func(in *config.Integration) bool { return in.Launched() && !in.PushOnly() }
	w, names, err := a.openWork(ctx, cfg, names, runnable, "has no launched integration; nothing to run",
		destinations.HTTP{Sleep: deliver.RetryBudget(runNowRetries)})
	if w == nil {
		return err
	}
	defer w.close(ctx)
	r := &runner.Runner{Config: cfg, Store: w.st, Logger: w.logger, Secrets: w.secrets, UserAgent: "agent/" + version, Notifier: w.notifier, Deliverer: w.deliverer}

	failed := false
	var printErr error
	runAll(ctx, r, names, runOptions{
		dryRun:   *dry,
		parallel: cfg.Agent.MaxParallelRuns,
		progress: isTerminal(a.stderr),
		stderr:   a.stderr,
	}, func(name string, rep engine.Report, runErr error) {
		if rep.Outcome != store.OutcomeSuccess {
			failed = true
		}
		for _, d := range rep.Delivery {
			// The run's outcome stays success; the exit code says a
			// destination did not get its changes.
			failed = failed || d.Error != ""
		}
		if printErr != nil {
			return
		}
		if *asJSON {
			printErr = a.printJSON(rep)
			return
		}
		if runErr != nil && (errors.Is(runErr, runner.ErrDraft) || errors.Is(runErr, runner.ErrPushOnly)) {
			fmt.Fprintf(a.stdout, "%s: not run: %s\n", name, rep.Error)
			return
		}
		fmt.Fprintln(a.stdout, summary(rep))
		printInvalid(a.stdout, rep)
		printDeliveries(a.stdout, name, rep.Delivery)
	})
	if printErr != nil {
		return printErr
	}
	if failed {
		return errSilent
	}
	return nil
}

// work is what run-now and deliver hold while they work: the store, the
// keyring, a deliverer, and a notifier that remembers the e-mails it
// queued, sent by close before the command exits.
type work struct {
	a         *app
	cfg       *config.Config
	st        *store.Store
	secrets   vendors.SecretSource
	logger    *slog.Logger
	notifier  *notify.Notifier
	deliverer *deliver.Deliverer

	mu       sync.Mutex
	queued   []int64
	closeKey func()
}

// openWork picks the integrations (the named ones, else those that want;
// none: said on stderr and a nil work) and opens what they need; h is the
// deliveries' retry policy. A nil work comes with the error to return.
func (a *app) openWork(ctx context.Context, cfg *config.Config, names []string, want func(*config.Integration) bool, none string, h destinations.HTTP) (*work, []string, error) {
	names, err := a.integrations(cfg, names, want, none)
	if err != nil || len(names) == 0 {
		return nil, nil, err
	}
	st, err := a.openStore(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	secrets, closeSecrets, err := openSecrets(ctx, cfg)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	w := &work{a: a, cfg: cfg, st: st, secrets: secrets, logger: a.logger(cfg), closeKey: closeSecrets}
	w.notifier = &notify.Notifier{Config: cfg, Store: st, Logger: w.logger, Queued: func(id int64) {
		w.mu.Lock()
		w.queued = append(w.queued, id)
		w.mu.Unlock()
	}}
	w.deliverer = a.deliverer(cfg, st, secrets, h)
	w.deliverer.Notifier = w.notifier
	return w, names, nil
}

// printJSON writes v as one line of JSON.
func (a *app) printJSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%s\n", b)
	return nil
}

// close sends the queued e-mails, then closes the keyring and the store.
func (w *work) close(ctx context.Context) {
	w.mu.Lock()
	ids := w.queued
	w.mu.Unlock()
	w.a.sendEmails(ctx, w.cfg, w.st, w.secrets, w.logger, ids)
	w.closeKey()
	w.st.Close()
}

// runNowEmailTimeout bounds how long run-now tries to send its e-mails
// before it exits: a script (cron, Task Scheduler) must not hang on a dead
// SMTP server.
var runNowEmailTimeout = 20 * time.Second

// sendEmails sends the e-mails that run-now's runs queued before it exits:
// with no service running, nothing else would until the service starts.
// Only these: the inbox's other pending e-mails wait for their retry time
// in the service. What cannot be sent within runNowEmailTimeout is said on
// stderr and stays pending, with its error, for the service to retry; the
// exit code stays the runs'.
func (a *app) sendEmails(ctx context.Context, cfg *config.Config, st *store.Store, secrets vendors.SecretSource, logger *slog.Logger, ids []int64) {
	if len(ids) == 0 || cfg.SMTP.Host == "" {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, runNowEmailTimeout)
	defer cancel()
	d := &notify.Delivery{Store: st, Logger: logger.With("component", "email")}
	d.SetMailer(&notify.Mailer{SMTP: cfg.SMTP, Secrets: secrets})
	for _, u := range d.Send(ctx, ids) {
		what := fmt.Sprintf("notification %d", u.ID)
		if len(u.Recipients) > 0 {
			what += fmt.Sprintf(" (%s, to %s)", u.Event, strings.Join(u.Recipients, ", "))
		}
		fmt.Fprintf(a.stderr, "agent: e-mail of %s not sent: %v; it stays pending for the service to retry\n", what, u.Err)
	}
}

// summary is the one human line per integration.
func summary(rep engine.Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", rep.Integration, rep.Outcome)
	if rep.DryRun {
		b.WriteString(" (dry run, nothing written)")
	}
	if !rep.FinishedAt.IsZero() && !rep.StartedAt.IsZero() {
		fmt.Fprintf(&b, " in %s", rep.FinishedAt.Sub(rep.StartedAt).Round(time.Millisecond))
	}
	c := rep.Counts
	if c != (store.Counts{}) || rep.Outcome == store.OutcomeSuccess {
		counted := store.Person // a report's Kind is empty for people
		if rep.Kind != "" {
			counted = rep.Kind
		}
		fmt.Fprintf(&b, "; %s: %s", counted.Plural(), countsText(c))
		if rep.SaaSCounts != nil {
			fmt.Fprintf(&b, "; saas users: %s", countsText(*rep.SaaSCounts))
		}
	}
	if rep.Error != "" {
		fmt.Fprintf(&b, "; error: %s", rep.Error)
	}
	if n := len(rep.Staged); n > 0 {
		shown := rep.Staged[:min(n, 5)]
		fmt.Fprintf(&b, "; would have deactivated %s", strings.Join(shown, ", "))
		if n > len(shown) {
			fmt.Fprintf(&b, " and more (run-now --json lists %d)", n)
		}
	}
	return b.String()
}

// printInvalid lists, indented under the summary line, why records were
// skipped (the report keeps the first few).
func printInvalid(w io.Writer, rep engine.Report) {
	for _, why := range rep.Invalid {
		fmt.Fprintf(w, "  invalid: %s\n", why)
	}
	n := rep.Counts.Invalid
	if rep.SaaSCounts != nil {
		n = max(n, rep.SaaSCounts.Invalid)
	}
	if more := n - len(rep.Invalid); len(rep.Invalid) > 0 && more > 0 {
		fmt.Fprintf(w, "  and %s more (the log names them)\n", plural.Count(more, "invalid record", "invalid records"))
	}
}

func countsText(c store.Counts) string {
	s := fmt.Sprintf("%d fetched, %d created, %d updated, %d unchanged, %d deactivated, %d reactivated",
		c.Fetched, c.Created, c.Updated, c.Unchanged, c.Deactivated, c.Reactivated)
	for _, extra := range []struct {
		n    int
		name string
	}{{c.Filtered, "filtered"}, {c.SkippedByPreference, "skipped by preference"}, {c.Invalid, "invalid"}} {
		if extra.n > 0 {
			s += fmt.Sprintf(", %d %s", extra.n, extra.name)
		}
	}
	return s
}

// parseWithConfig parses a command's flags and names, then loads the config.
func (a *app) parseWithConfig(fs *flag.FlagSet, args []string) ([]string, *config.Config, error) {
	names, err := parseArgs(fs, args)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := a.loadConfig()
	return names, cfg, err
}

// integrations checks the named integrations exist, or, when none is
// named, picks those that want (saying so on stderr, with none).
func (a *app) integrations(cfg *config.Config, names []string, want func(*config.Integration) bool, none string) ([]string, error) {
	for _, n := range names {
		if _, ok := cfg.Integration(n); !ok {
			return nil, usagef("no integration named %q in %s", n, a.configPath)
		}
	}
	if len(names) > 0 {
		return names, nil
	}
	for _, in := range cfg.Integrations {
		if want(in) {
			names = append(names, in.Name)
		}
	}
	if len(names) == 0 {
		fmt.Fprintf(a.stderr, "agent: %s %s\n", a.configPath, none)
	}
	return names, nil
}
