package service

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeSystemd is a root folder and a systemctl that keeps the unit's
// enabled and active state, logs every call, and fails the calls named in
// fail.
type fakeSystemd struct {
	root            string
	enabled, active bool
	fail            map[string]bool // "enable", "restart", …: fails once
	calls           []string
}

func newFakeSystemd(t *testing.T) *fakeSystemd {
	t.Helper()
	root := t.TempDir()
	for _, d := range append([]string{ownUnitDir}, vendorUnitDirs...) {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return &fakeSystemd{root: root, fail: map[string]bool{}}
}

func (f *fakeSystemd) units() systemdUnits {
	return systemdUnits{root: f.root, systemctl: func(args ...string) (string, error) {
		f.calls = append(f.calls, strings.Join(args, " "))
		verb := args[0]
		if verb == "--quiet" {
			verb = args[1]
		}
		if f.fail[verb] {
			delete(f.fail, verb)
			return "", errors.New("systemctl " + verb + ": failed")
		}
		switch verb {
		case "is-active":
			if !f.active {
				return "", errors.New("inactive")
			}
		case "is-enabled":
			if !f.enabled {
				return "", errors.New("disabled")
			}
		case "enable":
			f.enabled = true
		case "disable":
			f.enabled = false
			f.active = f.active && args[1] != "--now"
		case "start", "restart":
			f.active = true
		}
		return "", nil
	}}
}

func (f *fakeSystemd) write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(f.root, path), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (f *fakeSystemd) read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(f.root, path))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const ownUnit = ownUnitDir + "/agent.service"

func renderedUnit(t *testing.T) string {
	t.Helper()
	unit, err := SystemdUnit(testDefinition(t))
	if err != nil {
		t.Fatal(err)
	}
	return unit
}

// A unit the agent did not write is refused before anything is touched:
// the package's stays enabled and running, whatever install or uninstall
// was asked for.
func TestSystemdForeignUnitRefused(t *testing.T) {
	unit := renderedUnit(t)
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, f *fakeSystemd)
		want  string
	}{
		{"the package's unit", func(t *testing.T, f *fakeSystemd) {
			f.write(t, "/usr/lib/systemd/system/agent.service", unit)
		}, "/usr/lib/systemd/system/agent.service is a package's unit, not a unit `agent service install` wrote: manage it with systemctl"},
		{"the package's unit, edited in full", func(t *testing.T, f *fakeSystemd) {
			f.write(t, "/lib/systemd/system/agent.service", unit)
			f.write(t, ownUnit, unit)
		}, "/lib/systemd/system/agent.service is a package's unit"},
		{"masked", func(t *testing.T, f *fakeSystemd) {
			if err := os.Symlink("/dev/null", filepath.Join(f.root, ownUnit)); err != nil {
				t.Fatal(err)
			}
		}, "/etc/systemd/system/agent.service is masked, not a unit `agent service install` wrote: systemctl unmask agent first"},
		{"an admin's own", func(t *testing.T, f *fakeSystemd) {
			f.write(t, ownUnit, "[Service]\nExecStart=/opt/agent run\n")
		}, "/etc/systemd/system/agent.service was written by someone else"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, action := range []string{"install", "uninstall"} {
				f := newFakeSystemd(t)
				tc.setup(t, f)
				f.enabled, f.active = true, true
				before, _ := os.ReadFile(filepath.Join(f.root, ownUnit))
				var err error
				if action == "install" {
					err = f.units().install(unit, &strings.Builder{})
				} else {
					_, err = f.units().uninstall()
				}
				if !errors.Is(err, ErrForeignUnit) || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("%s: err = %v, want ErrForeignUnit saying %q", action, err, tc.want)
				}
				if len(f.calls) > 0 || !f.enabled || !f.active {
					t.Errorf("%s touched the service: %q", action, f.calls)
				}
				if after, _ := os.ReadFile(filepath.Join(f.root, ownUnit)); string(after) != string(before) {
					t.Errorf("%s changed %s", action, ownUnit)
				}
			}
		})
	}
}

func TestSystemdInstallUninstall(t *testing.T) {
	f := newFakeSystemd(t)
	u := f.units()
	var out strings.Builder
	unit := renderedUnit(t)
	if err := u.install(unit, &out); err != nil {
		t.Fatal(err)
	}
	if f.read(t, ownUnit) != unit || !f.enabled || !f.active {
		t.Fatalf("install: enabled %v, active %v, calls %q", f.enabled, f.active, f.calls)
	}
	if fi, _ := os.Stat(filepath.Join(f.root, ownUnit)); fi.Mode().Perm() != 0o644 {
		t.Errorf("unit mode %v", fi.Mode())
	}
	// Again, with another definition: replaced and restarted.
	unit2 := strings.Replace(unit, "RestartSec=15s", "RestartSec=16s", 1)
	out.Reset()
	if err := u.install(unit2, &out); err != nil {
		t.Fatal(err)
	}
	if f.read(t, ownUnit) != unit2 || !f.enabled || !f.active || !strings.Contains(out.String(), "replacing it") {
		t.Fatalf("reinstall: %q, enabled %v, active %v", out.String(), f.enabled, f.active)
	}
	removed, err := u.uninstall()
	if err != nil || !removed {
		t.Fatalf("uninstall: %v %v", removed, err)
	}
	if _, err := os.Lstat(filepath.Join(f.root, ownUnit)); !errors.Is(err, os.ErrNotExist) || f.enabled || f.active {
		t.Fatalf("uninstall left the unit: enabled %v active %v", f.enabled, f.active)
	}
	if removed, err := u.uninstall(); err != nil || removed {
		t.Fatalf("uninstall of nothing: %v %v", removed, err)
	}
}

// A replacement or removal that fails leaves the service as it was:
// the old unit, enabled and running.
func TestSystemdFailureKeepsTheService(t *testing.T) {
	unit := renderedUnit(t)
	newUnit := unit + "# new\n"
	for _, step := range []string{"daemon-reload", "enable", "restart"} {
		t.Run("install, "+step+" fails", func(t *testing.T) {
			f := newFakeSystemd(t)
			f.write(t, ownUnit, unit)
			f.enabled, f.active = true, true
			f.fail[step] = true
			err := f.units().install(newUnit, &strings.Builder{})
			if err == nil {
				t.Fatal("no error")
			}
			if f.read(t, ownUnit) != unit || !f.enabled || !f.active || !strings.Contains(err.Error(), "the previous definition is back as it was") {
				t.Errorf("err %v: unit replaced %v, enabled %v, active %v; calls %q", err, f.read(t, ownUnit) != unit, f.enabled, f.active, f.calls)
			}
		})
	}
	for _, step := range []string{"disable", "remove"} {
		t.Run("uninstall, "+step+" fails", func(t *testing.T) {
			f := newFakeSystemd(t)
			f.write(t, ownUnit, unit)
			f.enabled, f.active = true, true
			u := f.units()
			if step == "disable" {
				f.fail["disable"] = true
			} else {
				u.remove = func(string) error { return errors.New("remove: read-only file system") }
			}
			_, err := u.uninstall()
			if err == nil || !strings.Contains(err.Error(), "it is back as it was") {
				t.Fatalf("err = %v", err)
			}
			if f.read(t, ownUnit) != unit || !f.enabled || !f.active {
				t.Errorf("enabled %v, active %v; calls %q", f.enabled, f.active, f.calls)
			}
		})
	}
	t.Run("install, the old unit does not come back", func(t *testing.T) {
		f := newFakeSystemd(t)
		f.write(t, ownUnit, unit)
		f.enabled, f.active = true, true
		u := f.units()
		restart := u.systemctl
		u.systemctl = func(args ...string) (string, error) {
			if args[0] == "restart" {
				return "", errors.New("systemctl restart: failed")
			}
			return restart(args...)
		}
		err := u.install(newUnit, &strings.Builder{})
		if err == nil || !strings.Contains(err.Error(), "putting the previous one back failed") || f.read(t, ownUnit) != unit {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("first install, start fails", func(t *testing.T) {
		f := newFakeSystemd(t)
		f.fail["restart"] = true
		err := f.units().install(unit, &strings.Builder{})
		if err == nil || !strings.Contains(err.Error(), "installed and enabled but did not start (journalctl -u agent)") || !f.enabled {
			t.Fatalf("err %v, enabled %v", err, f.enabled)
		}
	})
}
