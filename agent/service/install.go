// Package service makes the agent an OS service with
// github.com/kardianos/service: a systemd unit on Linux (our own template,
// hardened), an automatic Windows service with recovery actions and Event
// Log logging; and the service's body, the Daemon behind `agent run`.
package service

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	kservice "github.com/kardianos/service"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/internal/osdir"
)

// Name is the service's name: the systemd unit agent.service, the Windows
// service "agent" and its Event Log source.
const Name = "agent"

// Definition is what the service manager is told: absolute paths only,
// since a service does not start where the admin typed the command
// (Windows starts services in System32).
type Definition struct {
	Executable string // the agent binary
	ConfigPath string // passed as --config
	DataDir    string // the only folder the service writes (ReadWritePaths)
	// User, when set, is the account the systemd unit runs as (User=);
	// the packages set it to their system user "agent". Empty: root, as
	// `agent service install` has it.
	User string
}

// DefinitionFor describes the service that runs cfg with the running binary.
func DefinitionFor(cfg *config.Config) (Definition, error) {
	exe, err := os.Executable()
	if err != nil {
		return Definition{}, fmt.Errorf("locating the agent binary: %w", err)
	}
	if resolved, err := filepath.EvalSymlinks(exe); err == nil {
		exe = resolved
	}
	def := Definition{Executable: exe, ConfigPath: cfg.Path, DataDir: cfg.Agent.DataDir}
	for _, p := range []string{def.Executable, def.ConfigPath, def.DataDir} {
		if !filepath.IsAbs(p) {
			return Definition{}, fmt.Errorf("path %q is not absolute", p)
		}
	}
	return def, nil
}

// Arguments are the service's command line after the executable.
func (d Definition) Arguments() []string { return []string{"--config", d.ConfigPath, "run"} }

// EnvironmentFile is the optional file of variables the systemd unit reads
// (e.g. AGENT_KEYRING_PASSPHRASE), beside the config.
func (d Definition) EnvironmentFile() string {
	return filepath.Join(filepath.Dir(d.ConfigPath), "agent.env")
}

// managerConfig is the kardianos configuration of the service. On Linux
// kardianos only reads the state and starts or stops the unit: the unit
// itself is ours (SystemdUnit), written by systemdUnits.
func (d Definition) managerConfig() (*kservice.Config, error) {
	opt := kservice.KeyValue{
		// Windows: start at boot (once the network is up), restart 15s
		// after a crash, forget crashes after a day.
		"StartType":              "automatic",
		"DelayedAutoStart":       true,
		"OnFailure":              "restart",
		"OnFailureDelayDuration": "15s",
		"OnFailureResetPeriod":   86400,
	}
	return &kservice.Config{
		Name:        Name,
		DisplayName: "agent",
		Description: Description,
		Executable:  d.Executable,
		Arguments:   d.Arguments(),
		Option:      opt,
	}, nil
}

// noProgram is the service body of a process that only manages the service.
type noProgram struct{}

func (noProgram) Start(kservice.Service) error { return nil }
func (noProgram) Stop(kservice.Service) error  { return nil }

// Manager returns the service as the OS's service manager knows it, to
// install or control it.
func Manager(d Definition) (kservice.Service, error) {
	c, err := d.managerConfig()
	if err != nil {
		return nil, err
	}
	s, err := kservice.New(noProgram{}, c)
	if err != nil {
		return nil, fmt.Errorf("service manager: %w", err)
	}
	if runtime.GOOS == "linux" && s.Platform() != "linux-systemd" {
		return nil, fmt.Errorf("service manager: this system is managed by %s; the agent installs as a systemd service only (run `agent run` from your init system instead)", s.Platform())
	}
	return s, nil
}

// Install installs the service and starts it. It is idempotent: an
// installed service (an older version, another config path) is stopped,
// its definition replaced, and started again, which is how an upgrade
// takes effect. On Linux, a unit the agent did not write (a package's) is
// refused with ErrForeignUnit before anything changes, and a replacement
// that fails puts the previous unit back, enabled and running as it was.
func Install(d Definition, out io.Writer) error {
	s, err := Manager(d)
	if err != nil {
		return err
	}
	if runtime.GOOS == "linux" {
		if err := hostUnits().foreign(); err != nil {
			return err
		}
	}
	if err := osdir.MkdirPrivate(d.DataDir); err != nil {
		return fmt.Errorf("data_dir: %w", err)
	}
	if runtime.GOOS == "linux" {
		unit, err := SystemdUnit(d)
		if err != nil {
			return err
		}
		if err := hostUnits().install(unit, out); err != nil {
			return err
		}
		fmt.Fprintf(out, installedText, Name, s.Platform(), d.Executable, strings.Join(d.Arguments(), " "), d.DataDir, logsHint())
		return nil
	}
	if installed(s) {
		fmt.Fprintf(out, "service %s is installed: replacing it\n", Name)
		stop(s)
		if err := s.Uninstall(); err != nil {
			return fmt.Errorf("removing the installed service: %w", err)
		}
	}
	// Windows deletes a service once its last handle closes: a new one of
	// the same name may have to wait for that.
	deadline := time.Now().Add(15 * time.Second)
	for {
		err = s.Install()
		if err == nil || !strings.Contains(strings.ToLower(err.Error()), "marked for deletion") || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("installing the service: %w", err)
	}
	if err := s.Start(); err != nil {
		return fmt.Errorf("the service is installed but did not start: %w", err)
	}
	fmt.Fprintf(out, installedText, Name, s.Platform(), d.Executable, strings.Join(d.Arguments(), " "), d.DataDir, logsHint())
	return nil
}

const installedText = "service %s installed and started (%s)\n  command: %s %s\n  state:   %s\n  logs:    %s\n"

// Uninstall stops and removes the service; one that is not installed is
// not an error. On Linux, a unit the agent did not write is refused with
// ErrForeignUnit, and a step that fails leaves the service as it was.
func Uninstall(d Definition, out io.Writer) error {
	s, err := Manager(d)
	if err != nil {
		return err
	}
	if runtime.GOOS == "linux" {
		removed, err := hostUnits().uninstall()
		switch {
		case err != nil:
			return err
		case !removed:
			fmt.Fprintf(out, "service %s is not installed\n", Name)
		default:
			fmt.Fprintf(out, "service %s stopped and removed; its data stays in %s\n", Name, d.DataDir)
		}
		return nil
	}
	if !installed(s) {
		fmt.Fprintf(out, "service %s is not installed\n", Name)
		return nil
	}
	stop(s)
	if err := s.Uninstall(); err != nil {
		return fmt.Errorf("removing the service: %w", err)
	}
	fmt.Fprintf(out, "service %s stopped and removed; its data stays in %s\n", Name, d.DataDir)
	return nil
}

// Control starts, stops or restarts the installed service.
func Control(d Definition, action string, out io.Writer) error {
	s, err := Manager(d)
	if err != nil {
		return err
	}
	if !installed(s) {
		return fmt.Errorf("service %s is not installed (agent service install)", Name)
	}
	if err := kservice.Control(s, action); err != nil {
		return err
	}
	fmt.Fprintf(out, "service %s: %s done\n", Name, action)
	return nil
}

// Status is the service's state as the service manager says it:
// "running", "stopped", "not installed", or its error.
func Status(d Definition) (string, error) {
	s, err := Manager(d)
	if err != nil {
		return "", err
	}
	st, err := s.Status()
	switch {
	case errors.Is(err, kservice.ErrNotInstalled):
		return "not installed", nil
	case err != nil:
		return "", err
	case st == kservice.StatusRunning:
		return "running", nil
	case st == kservice.StatusStopped:
		return "stopped", nil
	}
	return "unknown", nil
}

func installed(s kservice.Service) bool {
	_, err := s.Status()
	return !errors.Is(err, kservice.ErrNotInstalled)
}

// stop stops the service if it runs and waits (a while) until it has.
func stop(s kservice.Service) {
	if st, err := s.Status(); err != nil || st != kservice.StatusRunning {
		return
	}
	s.Stop()
	for range 60 {
		if st, err := s.Status(); err != nil || st != kservice.StatusRunning {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func logsHint() string {
	if runtime.GOOS == "windows" {
		return "Event Viewer, Windows Logs > Application, source " + Name
	}
	return "journalctl -u " + Name
}
