// Package filelock provides named, exclusive OS file locks under
// data_dir/locks, which the kernel releases when the holder dies, so a
// crash never leaves a stale lock. `agent run-now` and the service take one
// per integration run (so they never run it twice at once), one per
// delivery ("deliver@DESTINATION@INTEGRATION"), and the credentials
// package one for its index.
package filelock

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/agentsync/agent/internal/osdir"
)

// ErrHeld means another holder (a run, a delivery) has the lock.
var ErrHeld = errors.New("already running")

// Lock is a held lock.
type Lock struct {
	f    *os.File
	path string
}

// Acquire takes the lock called name without waiting. When another
// process or goroutine holds it, the error wraps ErrHeld and names the
// holder's pid when known. The message reads "integration NAME: already
// running", which is what run-now prints for a run lock.
func Acquire(dataDir, name string) (*Lock, error) {
	dir := filepath.Join(dataDir, "locks")
	if err := osdir.MkdirPrivate(dataDir); err != nil {
		return nil, fmt.Errorf("lock %s: data_dir: %w", name, err)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	path := filepath.Join(dir, name+".lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	if err := tryLock(f); err != nil {
		f.Close()
		if errors.Is(err, ErrHeld) {
			if pid := holder(path); pid > 0 {
				return nil, fmt.Errorf("integration %s: %w (pid %d)", name, ErrHeld, pid)
			}
			return nil, fmt.Errorf("integration %s: %w", name, ErrHeld)
		}
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	// The pid is only a hint for the message above; the lock is the flock.
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &Lock{f: f, path: path}, nil
}

// Release frees the lock.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	l.f.Truncate(0)
	err := unlock(l.f)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}

func holder(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}
