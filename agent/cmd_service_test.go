package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// `agent service unit` is how installer/build.sh gets the packages' unit
// from the one template: it must print exactly what it was asked for.
func TestServiceUnitForThePackage(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the packages' unit is rendered on Linux")
	}
	s := newSandbox(t)
	// The config need not exist: with --data-dir it is not read.
	s.cfg = "/etc/agent/config.toml"
	code, out, errs := s.agent("service", "unit", "--user", "agent", "--executable", "/usr/bin/agent", "--data-dir", "/var/lib/agent")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{
		"\nUser=agent\n",
		"\nExecStart=/usr/bin/agent --config /etc/agent/config.toml run\n",
		"\nConditionFileIsExecutable=/usr/bin/agent\n",
		"\nReadWritePaths=/var/lib/agent\n",
		"\nWorkingDirectory=/var/lib/agent\n",
		"\nEnvironmentFile=-/etc/agent/agent.env\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the unit lacks %q:\n%s", strings.TrimSpace(want), out)
		}
	}
}

func TestServiceUnitOfTheConfig(t *testing.T) {
	s := newSandbox(t)
	code, out, errs := s.agent("service", "unit")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	exe, _ := os.Executable()
	exe, _ = filepath.EvalSymlinks(exe)
	// config.example.toml's data_dir "data" resolves beside the config;
	// no --user: root, as `agent service install` writes it.
	if !strings.Contains(out, "\nReadWritePaths="+filepath.Join(s.dir, "data")+"\n") || !strings.Contains(out, "\nExecStart="+exe+" ") || strings.Contains(out, "\nUser=") {
		t.Errorf("unit:\n%s", out)
	}
}

func TestServiceUnitUsage(t *testing.T) {
	s := newSandbox(t)
	for _, args := range [][]string{
		{"service", "unit", "--executable", "bin/agent", "--data-dir", "/var/lib/agent"},
		{"service", "unit", "--data-dir", "data"},
		{"service", "unit", "--user", "a b", "--data-dir", "/var/lib/agent"},
		{"service", "status", "--user", "agent"},
	} {
		if code, _, errs := s.agent(args...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errs)
		}
	}
}
