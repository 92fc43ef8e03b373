package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/agent/store"
)

const usageText = `agent syncs SaaS vendors' user lists into people and SaaS users.

Usage: agent [--config PATH] COMMAND [ARGS]

Commands:
  validate                               check the config file
  run-now [NAME...] [--dry-run] [--json] [--verbose]
                                         run integrations now (all launched ones if none named);
                                         --verbose: their log on stderr, else warnings and errors only
  deliver [NAME...] [--full] [--json] [--verbose]
                                         deliver what is queued for the integrations' destinations now
  status [--json]                        state, last and next run of each integration
  runs [NAME] [--json] [--limit N]       run history
  notifications [--json]                 the in-app inbox
  export --integration NAME [--kind people|saas_users|applications|invoices|contracts] [--format jsonl|csv]
                                         the stored records (default: --kind people --format jsonl)
  report saas [--json|--csv] [--as-of YYYY-MM-DD]
                                         one row per SaaS application, over every integration: catalogue status,
                                         SaaS users active/inactive and idle 30/60/90 days, seats in force and unused,
                                         spend over 12 months per currency, next contract end (README: "SaaS discovery and spend")
  changes [--integration NAME] [--key KEY] [--since DATE] [--limit N] [--json]
                                         the change history (record, field, old, new, run, time, a push's event and actor)
  credentials set NAME [--kind oauth2_client|api_key|basic] [--client-id ID | --username USER] [--secret-stdin] [--expires YYYY-MM-DD]
  credentials list [--json] | delete NAME | test NAME [--token-url URL]   secrets in the OS keyring
  version                                print the version
  run                                    the service's loop, in the foreground: every integration on its schedule,
                                         serving [http] (GET /healthz, /readyz, /metrics)
  serve                                  serve [http] alone, read-only, where the service runs on another machine
  page                                   print the status page's sign-in URL (run it as the service's account)
  service install|uninstall|start|stop|restart|status|reload
                                         manage the OS service (systemd, Windows service)

The config is --config PATH, else $AGENT_CONFIG, else ` + "%s" + `.
Exit codes: 0 success, 1 the operation failed, 2 bad usage or invalid config.
`

// app is one CLI invocation.
type app struct {
	configPath string
	configFrom string // where configPath came from: "--config", "$AGENT_CONFIG" or "the default"
	// quiet keeps a command's log to warnings and errors, so that its own
	// output reads clean on a terminal (run-now and deliver without
	// --verbose).
	quiet  bool
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

type command func(ctx context.Context, a *app, args []string) error

var commands = map[string]command{
	"validate":      cmdValidate,
	"run-now":       cmdRunNow,
	"status":        cmdStatus,
	"runs":          cmdRuns,
	"notifications": cmdNotifications,
	"export":        cmdExport,
	"report":        cmdReport,
	"changes":       cmdChanges,
	"deliver":       cmdDeliver,
	"version":       cmdVersion,
}

// run is main without the process: tests call it directly.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cfgPath, rest, err := splitGlobal(args)
	if err != nil {
		fmt.Fprintln(stderr, "agent:", err)
		return exitUsage
	}
	if len(rest) == 0 || rest[0] == "help" || rest[0] == "-h" || rest[0] == "--help" {
		out := stderr
		code := exitUsage
		if len(rest) > 0 {
			out, code = stdout, exitOK
		}
		fmt.Fprintf(out, usageText, config.DefaultPath())
		return code
	}
	cmd, ok := commands[rest[0]]
	if !ok {
		hint := ""
		if best := config.Closest(rest[0], slices.Collect(maps.Keys(commands))); best != "" {
			hint = fmt.Sprintf("; did you mean %s?", best)
		}
		fmt.Fprintf(stderr, "agent: unknown command %q%s (agent help lists the commands)\n", rest[0], hint)
		return exitUsage
	}
	a := &app{configPath: cfgPath, configFrom: "--config", stdin: stdin, stdout: stdout, stderr: stderr}
	if cfgPath == "" {
		a.configPath, a.configFrom = config.DefaultPath(), "the default"
		if os.Getenv("AGENT_CONFIG") != "" {
			a.configFrom = "$AGENT_CONFIG"
		}
	}
	err = cmd(ctx, a, rest[1:])
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		var he helpError
		if errors.As(err, &he) {
			printHelp(stdout, rest[0], he.fs)
		} else {
			fmt.Fprintf(stdout, usageText, config.DefaultPath())
		}
		return exitOK
	case errors.Is(err, errSilent):
		return exitFailed
	case errors.Is(err, errConfigShown):
		return exitUsage
	}
	var ue usageError
	var ce *config.Error
	switch {
	case errors.As(err, &ce):
		fmt.Fprintln(stderr, ce.Error())
		return exitUsage
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, "agent:", err)
		return exitUsage
	}
	fmt.Fprintln(stderr, "agent:", err)
	return exitFailed
}

// errSilent is a failure that was already reported in the command's output.
var errSilent = errors.New("failed")

func (a *app) loadConfig() (*config.Config, error) {
	cfg, err := config.Load(a.configPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, a.noConfig(err)
	}
	return cfg, err
}

// noConfig is the usage error of a config file that is not there: it
// says where the path came from and how to give another.
func (a *app) noConfig(err error) error {
	how := "give the config file with --config PATH or $AGENT_CONFIG"
	switch a.configFrom {
	case "--config":
		how = "check the path given with --config"
	case "$AGENT_CONFIG":
		how = "check $AGENT_CONFIG, or give the config file with --config PATH"
	}
	return usageError{msg: fmt.Sprintf("no config file at %s (%s): %s", a.configPath, a.configFrom, how), err: err}
}

func (a *app) openStore(ctx context.Context, cfg *config.Config) (*store.Store, error) {
	return store.Open(ctx, cfg.Agent.DataDir)
}

// readStore opens the store for a command that only reads it (runs,
// notifications, export): read-only, so it works where this user may not
// write the store and creates nothing there.
func (a *app) readStore(ctx context.Context, cfg *config.Config) (*store.Store, error) {
	return store.OpenReadOnly(ctx, cfg.Agent.DataDir)
}

func (a *app) logger(cfg *config.Config) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.Agent.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	if a.quiet && level < slog.LevelWarn {
		level = slog.LevelWarn
	}
	opts := &slog.HandlerOptions{Level: level}
	if strings.EqualFold(cfg.Agent.LogFormat, "json") {
		return slog.New(slog.NewJSONHandler(a.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(a.stderr, opts))
}

// isTerminal reports whether w is a console, for the progress line.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func cmdVersion(ctx context.Context, a *app, args []string) error {
	fmt.Fprintln(a.stdout, "agent", version)
	return nil
}
