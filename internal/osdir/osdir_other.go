//go:build !windows

package osdir

import (
	"fmt"
	"os"
)

// ProgramData is Windows's %ProgramData% folder; elsewhere it is empty.
func ProgramData() string { return "" }

// MkdirPrivate makes dir and its missing parents, new folders with mode
// 0700. An existing folder keeps its mode: on Unix the package or the
// admin chose it (the packages' /var/lib/agent is 0750, group agent), and
// the files inside are 0600.
func MkdirPrivate(dir string) error { return os.MkdirAll(dir, 0o700) }

// CheckPrivate refuses a secret file that others may read (mode & 077).
func CheckPrivate(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("%s is readable by others (mode %04o): chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	return nil
}
