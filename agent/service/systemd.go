package service

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ErrForeignUnit is returned by Install and Uninstall on Linux when
// agent.service is a unit the agent did not write (a package's, a masked
// one, an admin's own): those are systemctl's to manage.
var ErrForeignUnit = errors.New("not a unit `agent service install` wrote")

// ownUnitDir is where `agent service install` writes agent.service;
// vendorUnitDirs are where packages put theirs (ours: /usr/lib).
const ownUnitDir = "/etc/systemd/system"

var vendorUnitDirs = []string{"/usr/local/lib/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system"}

// unitMarker is the first line of every unit rendered from the template:
// a regular file in ownUnitDir that starts with it is the agent's.
var unitMarker, _, _ = strings.Cut(unitTemplate, "\n")

// systemdUnits installs and removes the unit of `agent service install`
// with systemctl. Every step that fails after the service was touched
// puts it back as it was (enabled, running) before the error is returned.
type systemdUnits struct {
	root      string                               // "" on a host; a scratch folder in tests
	systemctl func(args ...string) (string, error) // runs systemctl ARGS
	remove    func(path string) error              // os.Remove when nil
}

func hostUnits() systemdUnits {
	return systemdUnits{systemctl: func(args ...string) (string, error) {
		out, err := exec.Command("systemctl", args...).CombinedOutput()
		if err != nil {
			return string(out), fmt.Errorf("systemctl %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
		}
		return string(out), nil
	}}
}

func (u systemdUnits) path() string { return filepath.Join(u.root, ownUnitDir, Name+".service") }

// foreign says why agent.service is not the agent's to change, or nil.
func (u systemdUnits) foreign() error {
	for _, dir := range vendorUnitDirs {
		p := filepath.Join(dir, Name+".service")
		if _, err := os.Lstat(filepath.Join(u.root, p)); err == nil {
			return fmt.Errorf("%s is a package's unit, %w: manage it with systemctl "+
				"(systemctl status|restart|reload %s; systemctl edit %s for its settings; "+
				"systemctl disable --now %s to turn it off); to remove it, remove the package",
				p, ErrForeignUnit, Name, Name, Name)
		}
	}
	p := filepath.Join(ownUnitDir, Name+".service")
	fi, err := os.Lstat(u.path())
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return err
	case fi.Mode()&os.ModeSymlink != 0:
		target, _ := os.Readlink(u.path())
		if target == "/dev/null" {
			return fmt.Errorf("%s is masked, %w: systemctl unmask %s first", p, ErrForeignUnit, Name)
		}
		return fmt.Errorf("%s links to %s, %w: manage it with systemctl, or remove the link first", p, target, ErrForeignUnit)
	}
	b, err := os.ReadFile(u.path())
	if err != nil {
		return err
	}
	if first, _, _ := strings.Cut(string(b), "\n"); first != unitMarker {
		return fmt.Errorf("%s was written by someone else, %w: manage it with systemctl, or remove it first", p, ErrForeignUnit)
	}
	return nil
}

func (u systemdUnits) is(state string) bool {
	_, err := u.systemctl("--quiet", "is-"+state, Name+".service")
	return err == nil
}

// install writes unit and starts it; an installed unit of the agent's is
// replaced and restarted, and put back if that fails.
func (u systemdUnits) install(unit string, out io.Writer) error {
	if err := u.foreign(); err != nil {
		return err
	}
	old, err := os.ReadFile(u.path())
	existed := err == nil
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	wasActive, wasEnabled := existed && u.is("active"), existed && u.is("enabled")
	if existed {
		fmt.Fprintf(out, "service %s is installed: replacing it\n", Name)
	}
	if err := writeFileAtomic(u.path(), []byte(unit)); err != nil {
		return fmt.Errorf("installing the service: %w", err)
	}
	// putBack restores what was there before this install: the old unit,
	// enabled and running as it was; or, on a first install, nothing.
	putBack := func(cause error) error {
		var errs []error
		if existed {
			errs = append(errs, writeFileAtomic(u.path(), old))
		} else {
			errs = append(errs, os.Remove(u.path()))
		}
		_, err := u.systemctl("daemon-reload")
		errs = append(errs, err)
		if existed && wasEnabled {
			_, err := u.systemctl("enable", Name+".service")
			errs = append(errs, err)
		}
		if existed && wasActive {
			_, err := u.systemctl("restart", Name+".service")
			errs = append(errs, err)
		}
		if err := errors.Join(errs...); err != nil {
			return fmt.Errorf("installing the service: %w; and putting the previous one back failed: %v", cause, err)
		}
		if existed {
			return fmt.Errorf("installing the service: %w; the previous definition is back as it was", cause)
		}
		return fmt.Errorf("installing the service: %w; nothing was installed", cause)
	}
	if _, err := u.systemctl("daemon-reload"); err != nil {
		return putBack(err)
	}
	if _, err := u.systemctl("enable", Name+".service"); err != nil {
		return putBack(err)
	}
	if _, err := u.systemctl("restart", Name+".service"); err != nil {
		if existed {
			return putBack(err)
		}
		return fmt.Errorf("the service is installed and enabled but did not start (journalctl -u %s): %w", Name, err)
	}
	return nil
}

// uninstall stops, disables and removes the agent's unit; a step that
// fails re-enables and restarts it as it was.
func (u systemdUnits) uninstall() (bool, error) {
	if err := u.foreign(); err != nil {
		return false, err
	}
	if _, err := os.Stat(u.path()); errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	wasActive, wasEnabled := u.is("active"), u.is("enabled")
	putBack := func(cause error) error {
		var errs []error
		if wasEnabled {
			_, err := u.systemctl("enable", Name+".service")
			errs = append(errs, err)
		}
		if wasActive {
			_, err := u.systemctl("start", Name+".service")
			errs = append(errs, err)
		}
		if err := errors.Join(errs...); err != nil {
			return fmt.Errorf("removing the service: %w; and putting it back failed: %v", cause, err)
		}
		return fmt.Errorf("removing the service: %w; it is back as it was", cause)
	}
	if _, err := u.systemctl("disable", "--now", Name+".service"); err != nil {
		return false, putBack(err)
	}
	remove := u.remove
	if remove == nil {
		remove = os.Remove
	}
	if err := remove(u.path()); err != nil {
		return false, putBack(err)
	}
	if _, err := u.systemctl("daemon-reload"); err != nil {
		return false, fmt.Errorf("the service is removed, but %w", err)
	}
	// Forget a failed state of the unit that is gone; nothing to put back.
	_, _ = u.systemctl("reset-failed", Name+".service")
	return true, nil
}

// writeFileAtomic replaces path by data (mode 0644) in one rename.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}
