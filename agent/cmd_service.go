package main

import (
	"context"
	"flag"
	"fmt"
	"io"
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
	if err := parseFlags(fs, args, "it runs every integration on its schedule (run-now runs some now)"); err != nil {
		return err
	}
	path, err := filepath.Abs(a.configPath)
	if err != nil {
		return err
	}
	return service.Run(ctx, &service.Daemon{ConfigPath: path, UserAgent: "agent/" + version, Version: version, Stderr: a.stderr,
		OpenSecrets: openSecrets, Serve: serveCredentials, HTTP: true, Mount: mountHandlers})
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
	var u unitFlags
	fs.StringVar(&u.user, "user", "", "unit: the account the service runs as")
	fs.StringVar(&u.executable, "executable", "", "unit: the agent binary's path (default: this binary)")
	fs.StringVar(&u.dataDir, "data-dir", "", "unit: data_dir (default: the config's)")
	names, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(names) != 1 {
		return usagef("usage: agent service %s", serviceActions)
	}
	action := names[0]
	switch action {
	case "unit":
		return printUnit(a, u)
	case "install", "uninstall", "start", "stop", "restart", "status", "reload":
	default:
		return usagef("service: unknown action %q (want %s)", action, serviceActions)
	}
	if u != (unitFlags{}) {
		return usagef("service %s: --user, --executable and --data-dir are options of `agent service unit`", action)
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

// unitFlags are the options of `agent service unit`.
type unitFlags struct{ user, executable, dataDir string }

// printUnit prints the systemd unit for the config: what `service install`
// writes, or, with --user, --executable and --data-dir, what the packages
// install (installer/build.sh renders it so, from this one template). The
// config is read only when --data-dir is not given. A maintainer's command:
// it is not in the usage text.
func printUnit(a *app, u unitFlags) error {
	var cfg *config.Config
	if u.dataDir == "" {
		var err error
		if cfg, err = a.loadConfig(); err != nil {
			return err
		}
	}
	def, err := definition(a, cfg)
	if err != nil {
		return usagef("service unit: %v", err)
	}
	for _, o := range []struct {
		flag, value string
		to          *string
	}{{"--executable", u.executable, &def.Executable}, {"--data-dir", u.dataDir, &def.DataDir}} {
		if o.value == "" {
			continue
		}
		if !filepath.IsAbs(o.value) {
			return usagef("service unit: %s %q is not absolute", o.flag, o.value)
		}
		*o.to = o.value
	}
	def.User = u.user
	unit, err := service.SystemdUnit(def)
	if err != nil {
		return usagef("service unit: %v", err)
	}
	_, err = io.WriteString(a.stdout, unit)
	return err
}
