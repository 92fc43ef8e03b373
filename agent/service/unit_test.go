package service

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A definition with the paths an admin may really have: spaces, and a %
// that systemd would read as a specifier.
func testDefinition(t *testing.T) Definition {
	t.Helper()
	dir := t.TempDir()
	exe := filepath.Join(dir, "opt dir", "agent")
	if err := os.MkdirAll(filepath.Dir(exe), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return Definition{Executable: exe, ConfigPath: filepath.Join(dir, "etc agent", "config.toml"), DataDir: filepath.Join(dir, "state 100%")}
}

func TestSystemdUnitPassesVerify(t *testing.T) {
	def := testDefinition(t)
	unit, err := SystemdUnit(def)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"\nRestart=on-failure\n", "\nRestartSec=15s\n", "\nStartLimitIntervalSec=0\n", "\nNoNewPrivileges=yes\n", "\nProtectSystem=strict\n", "\nPrivateTmp=yes\n",
		"\nExecStart=\"" + def.Executable + "\" --config \"" + def.ConfigPath + "\" run\n",
		"\nReadWritePaths=\"" + strings.ReplaceAll(def.DataDir, "%", "%%") + "\"\n",
		"\nExecReload=/bin/kill -HUP $MAINPID\n",
		"\nWantedBy=multi-user.target\n",
	} {
		if !strings.Contains(unit, want) {
			t.Errorf("the unit lacks %q", strings.TrimSpace(want))
		}
	}
	// Every start counts toward a start limit, a restart by hand too:
	// none, so that restarts cannot use up crash recovery.
	if strings.Contains(unit, "\nStartLimitBurst=") {
		t.Errorf("the unit sets StartLimitBurst:\n%s", unit)
	}
	if strings.Contains(unit, "@") || strings.Contains(unit, "{{") {
		t.Errorf("unrendered placeholder in the unit:\n%s", unit)
	}
	verifyUnit(t, unit)
}

// verifyUnit runs systemd-analyze verify on unit, which must print nothing.
func verifyUnit(t *testing.T, unit string) {
	t.Helper()
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("systemd-analyze is missing in CI (apt-get install systemd)")
		}
		t.Skip("systemd-analyze is not installed (apt-get install systemd); the unit was not verified")
	}
	path := filepath.Join(t.TempDir(), Name+".service")
	if err := os.WriteFile(path, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	// verify exits 0 on unknown keys and bad values, but prints them.
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s\nunit:\n%s", err, out, unit)
	}
}

func TestSystemdUnitUser(t *testing.T) {
	def := testDefinition(t)
	unit, err := SystemdUnit(def)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(unit, "\nUser=") || !strings.Contains(unit, "\nType=simple\nExecStart=") {
		t.Errorf("without a user the unit runs as root, with no User= line:\n%s", unit)
	}
	def.User = "agent"
	unit, err = SystemdUnit(def)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(unit, "\nType=simple\nUser=agent\nExecStart=") {
		t.Errorf("the unit does not run as agent:\n%s", unit)
	}
	verifyUnit(t, unit)
	for _, bad := range []string{"root\nExecStartPre=/bin/evil", "%u", "a b", "Agent", "1agent"} {
		def.User = bad
		if _, err := SystemdUnit(def); err == nil {
			t.Errorf("user %q must be refused", bad)
		}
	}
}

func TestSystemdUnitRefusesPathsItCannotHold(t *testing.T) {
	def := testDefinition(t)
	def.DataDir = "/var/lib/agent\nExecStartPre=/bin/evil"
	if _, err := SystemdUnit(def); err == nil {
		t.Fatal("a newline in a path must be refused")
	}
}

func TestManagerConfig(t *testing.T) {
	def := testDefinition(t)
	c, err := def.managerConfig()
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "agent" || c.Executable != def.Executable || strings.Join(c.Arguments, " ") != "--config "+def.ConfigPath+" run" {
		t.Errorf("config = %+v", c)
	}
	for k, v := range map[string]any{"StartType": "automatic", "OnFailure": "restart", "OnFailureDelayDuration": "15s", "OnFailureResetPeriod": 86400, "DelayedAutoStart": true} {
		if c.Option[k] != v {
			t.Errorf("Option[%s] = %v, want %v", k, c.Option[k], v)
		}
	}
}

// logger records what the service manager's logger was given.
type logger struct{ lines []string }

func (l *logger) Error(v ...any) error          { l.lines = append(l.lines, "E "+v[0].(string)); return nil }
func (l *logger) Warning(v ...any) error        { l.lines = append(l.lines, "W "+v[0].(string)); return nil }
func (l *logger) Info(v ...any) error           { l.lines = append(l.lines, "I "+v[0].(string)); return nil }
func (l *logger) Errorf(string, ...any) error   { return errors.New("unused") }
func (l *logger) Warningf(string, ...any) error { return errors.New("unused") }
func (l *logger) Infof(string, ...any) error    { return errors.New("unused") }

func TestEventLogHandler(t *testing.T) {
	out := &logger{}
	log := slog.New(eventLog{out: out}).With("integration", "acme")
	log.Info("scheduled run starting", "scheduled_at", "23:00")
	log.WithGroup("run").Warn("slow", "pages", 3)
	log.Error("failed", "error", errors.New("boom"))
	want := []string{
		`I msg="scheduled run starting" integration=acme scheduled_at=23:00`,
		`W msg=slow integration=acme run.pages=3`,
		`E msg=failed integration=acme error=boom`,
	}
	if strings.Join(out.lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("event log:\n%s\nwant:\n%s", strings.Join(out.lines, "\n"), strings.Join(want, "\n"))
	}
}
