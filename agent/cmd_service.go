package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"time"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/agent/service"
	"github.com/agentsync/agent/credentials"
	"github.com/agentsync/agent/vendors"
)

func init() {
	commands["run"] = cmdRun
	commands["service"] = cmdService
}

// cmdRun is the service's loop in the foreground: what the service manager
// starts, and what an admin may run by hand without one.
func cmdRun(ctx context.Context, a *app, args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	names, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(names) > 0 {
		return usagef("run takes no names: it runs every integration on its schedule (run-now runs some now)")
	}
	path, err := filepath.Abs(a.configPath)
	if err != nil {
		return err
	}
	return service.Run(ctx, &service.Daemon{ConfigPath: path, UserAgent: "agent/" + version, Stderr: a.stderr,
		OpenSecrets: openSecrets, Serve: serveCredentials})
}

// serveCredentials answers `agent credentials` on the service's channel
// with the service's own credential store.
func serveCredentials(ctx context.Context, secrets vendors.SecretSource, dataDir string) error {
	st, ok := secrets.(*credentials.Store)
	if !ok {
		return nil
	}
	return credentials.ListenAndServe(ctx, st, credentials.SocketPath(dataDir))
}

const serviceActions = "install|uninstall|start|stop|restart|status|reload"

// reloadWait bounds how long `agent service reload` waits for the service.
const reloadWait = 15 * time.Second

func cmdService(ctx context.Context, a *app, args []string) error {
	fs := flag.NewFlagSet("service", flag.ContinueOnError)
	names, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(names) != 1 {
		return usagef("usage: agent service %s", serviceActions)
	}
	action := names[0]
	switch action {
	case "install", "uninstall", "start", "stop", "restart", "status", "reload":
	default:
		return usagef("service: unknown action %q (want %s)", action, serviceActions)
	}
	cfg, err := a.loadConfig()
	if err != nil && (action == "install" || action == "reload") {
		// The service would run, or keep running, the last good config.
		return err
	}
	def, err := definition(a, cfg)
	if err != nil {
		return err
	}
	switch action {
	case "install":
		return service.Install(def, a.stdout)
	case "uninstall":
		return service.Uninstall(def, a.stdout)
	case "status":
		st, err := service.Status(def)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "service %s: %s\n", service.Name, st)
		return nil
	case "reload":
		if err := service.RequestReload(def.DataDir, reloadWait); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "service %s re-read %s\n", service.Name, def.ConfigPath)
		return nil
	}
	return service.Control(def, action, a.stdout)
}

// definition describes the service; when the config cannot be loaded
// (stopping a service whose config is broken must work) from the
// defaults.
func definition(a *app, cfg *config.Config) (service.Definition, error) {
	if cfg == nil {
		path, err := filepath.Abs(a.configPath)
		if err != nil {
			return service.Definition{}, err
		}
		cfg = &config.Config{Path: path, Agent: config.Agent{DataDir: config.DefaultDataDir()}}
	}
	return service.DefinitionFor(cfg)
}
