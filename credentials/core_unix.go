//go:build unix

package credentials

import (
	"sync"

	"golang.org/x/sys/unix"
)

var coreOnce sync.Once

// noCoreDumps stops the process from writing a core file (which would hold
// the secrets in its memory) once it opens a keyring.
func noCoreDumps() {
	coreOnce.Do(func() {
		unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{Cur: 0, Max: 0})
	})
}
